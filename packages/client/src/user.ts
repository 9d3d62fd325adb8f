import { deserialize, NO_DEVICE_ID, type ProviderType } from '@gatehouse-auth/core';
import type { App } from './app.js';
import { authenticate } from './auth.js';
import type { AppContext, PathCall } from './context.js';
import { Credentials } from './credentials.js';
import { badResponse, isInvalidSession, loggedOutError } from './errors.js';
import { readClaims } from './jwt.js';
import type { StoredUser } from './persist.js';
import { type DefaultUserProfileData, type Profile, parseProfile, type UserIdentity } from './profile.js';
import { type SessionAuth, sessionAuth } from './sessions.js';
import type { AuthEvent, LogOutReason } from './store.js';
import { AUTH, asObject, readBody } from './transport.js';

/** The state of a user, as in realm-web. */
export const UserState = {
  /** Logged in: has a refresh token (and usually an access token). */
  Active: 'active',
  /** Logged out: still known to the app (in `allUsers`, with its profile), without tokens. */
  LoggedOut: 'logged-out',
  /** Removed from the app by `removeUser()` or `deleteUser()`. */
  Removed: 'removed',
} as const;
export type UserState = (typeof UserState)[keyof typeof UserState];

/** The type of a user (profile `type`). */
export const UserType = { Normal: 'normal', Server: 'server' } as const;
export type UserType = (typeof UserType)[keyof typeof UserType];

/** A user API key as created: the secret `key` is returned this once only. */
export interface ApiKey {
  _id: string;
  key: string;
  name: string;
  disabled: boolean;
}

/** A user API key as listed and fetched: without its secret. */
export type ApiKeyInfo = Omit<ApiKey, 'key'>;

/**
 * A user's API keys (`user.apiKeys`), sent with the user's refresh token as realm-web does. Keys
 * log in with `Credentials.apiKey(key)` as this user.
 */
export interface ApiKeyAuth {
  /**
   * Creates a key named `name`; the answer carries the secret `key`, which the server never shows again.
   *
   * @example
   * ```ts
   * const { key } = await user.apiKeys.create('build server');
   * ```
   */
  create(name: string): Promise<ApiKey>;
  /** One key by its `_id`. */
  fetch(keyId: string): Promise<ApiKeyInfo>;
  /** All of the user's keys. */
  fetchAll(): Promise<ApiKeyInfo[]>;
  delete(keyId: string): Promise<void>;
  enable(keyId: string): Promise<void>;
  /** A disabled key cannot log in until enabled again. */
  disable(keyId: string): Promise<void>;
}

/** Package-internal operations on users, for `App`; not exported from the package. */
export interface UserInternals {
  /** New access (and, if given, refresh) token after a login; returns the events the change makes. */
  update(user: User, accessToken: string, refreshToken: string | null): AuthEvent[];
  /** Ends the session on the server if there is one (`DELETE /auth/session`), then forgets the tokens. */
  signOut(user: User, reason: LogOutReason): Promise<void>;
  /** Forgets the tokens without a request. */
  clear(user: User, reason: LogOutReason): void;
  /** Marks the user removed. */
  remove(user: User): void;
  /** A request with the user's access or refresh token, refreshing as needed. */
  send(user: User, token: 'access' | 'refresh', call: PathCall): Promise<Response>;
}

export const internals = {} as UserInternals;

/** Refresh this long before expiry (capped at a quarter of the token's lifetime). */
const REFRESH_MARGIN_MS = 30_000;

/**
 * A user of an app: their tokens, profile and state, and what they can do. Get users from `app.logIn()`,
 * `app.currentUser` and `app.allUsers` — never construct one.
 *
 * Tokens are refreshed for you: before a request when the access token is about to expire (read from its
 * `exp`), and once when the server answers 401 `InvalidSession`. Concurrent calls share one refresh. A refresh
 * token the server no longer honours logs the user out locally (`loggedOut` event, reason `'sessionEnded'`).
 *
 * @typeParam CustomDataType - the shape of {@link User.customData}.
 * @typeParam UserProfileDataType - the shape of {@link User.profile}.
 */
export class User<
  CustomDataType extends Record<string, unknown> = Record<string, unknown>,
  UserProfileDataType extends DefaultUserProfileData = DefaultUserProfileData,
> {
  static {
    internals.update = (user, accessToken, refreshToken) => {
      const events = user.#setAccessToken(accessToken);
      if (refreshToken) user.#setRefreshToken(refreshToken);
      return events;
    };
    internals.signOut = (user, reason) => user.#signOut(reason);
    internals.clear = (user, reason) => user.#clear(reason);
    internals.remove = (user) => {
      user.#removed = true;
    };
    internals.send = (user, token, call) => user.#send(token, call);
  }

  /** The app this user belongs to. */
  readonly app: App;
  /** The user's id (a 24-hex ObjectId string). */
  readonly id: string;
  /**
   * The provider this `User` first logged in with on this device. As in realm-web, a later login of the same
   * user with another provider (e.g. an API key) does not change it.
   */
  readonly providerType: ProviderType;
  /** The user's API keys. */
  readonly apiKeys: ApiKeyAuth;
  /** The user's sessions on every device: list them, end one, end all others. */
  readonly sessions: SessionAuth;

  readonly #ctx: AppContext;
  #accessToken: string | null;
  #refreshToken: string | null;
  #profile: Profile | undefined;
  #removed = false;
  #refreshing: Promise<void> | null = null;
  #customData: { token: string | null; value: CustomDataType } | undefined;

  /** @internal Users are made by their `App`. */
  constructor(ctx: AppContext, stored: StoredUser) {
    this.#ctx = ctx;
    this.app = ctx.app;
    this.id = stored.id;
    this.providerType = stored.providerType;
    this.#accessToken = stored.accessToken;
    this.#refreshToken = stored.refreshToken;
    this.#profile = stored.profile;
    const key = (keyId: unknown, suffix = '') => {
      if (typeof keyId !== 'string' || keyId === '') throw new TypeError('an API key id must be a non-empty string');
      return `${AUTH}/api_keys/${encodeURIComponent(keyId)}${suffix}`;
    };
    const keys = (method: PathCall['method'], path: string, body?: unknown) =>
      this.#send('refresh', { method, path, body }).then(readBody);
    this.apiKeys = {
      create: (name) => {
        if (typeof name !== 'string' || name === '') throw new TypeError('an API key name must be a non-empty string');
        return keys('POST', `${AUTH}/api_keys`, { name }) as Promise<ApiKey>;
      },
      fetch: (keyId) => keys('GET', key(keyId)) as Promise<ApiKeyInfo>,
      fetchAll: () => keys('GET', `${AUTH}/api_keys`) as Promise<ApiKeyInfo[]>,
      delete: async (keyId) => void (await keys('DELETE', key(keyId))),
      enable: async (keyId) => void (await keys('PUT', key(keyId, '/enable'))),
      disable: async (keyId) => void (await keys('PUT', key(keyId, '/disable'))),
    };
    this.sessions = sessionAuth((call) => this.#send('access', call));
  }

  /** The current access token (a JWT), or `null` when logged out. It may have expired: see {@link getAccessToken}. */
  get accessToken(): string | null {
    return this.#accessToken;
  }

  /** The refresh token (a JWT naming the session), or `null` when logged out. */
  get refreshToken(): string | null {
    return this.#refreshToken;
  }

  /** `'active'`, `'logged-out'` or `'removed'`. */
  get state(): UserState {
    if (this.#removed) return UserState.Removed;
    return this.#refreshToken === null ? UserState.LoggedOut : UserState.Active;
  }

  /** `state === 'active'`. */
  get isLoggedIn(): boolean {
    return this.state === UserState.Active;
  }

  /**
   * The custom user data the server put in the access token (`user_data`), `{}` if none.
   *
   * Differences from realm-web: Extended JSON in it is decoded (`{ "$numberInt": "3" }` reads `3`; realm-web
   * left it encoded, realm-js issue #3326), and a logged-out user reads `{}` instead of throwing.
   */
  get customData(): CustomDataType {
    if (this.#customData?.token !== this.#accessToken) {
      const raw = readClaims(this.#accessToken)?.user_data;
      const value = (asObject(raw) ? deserialize(raw) : {}) as CustomDataType;
      this.#customData = { token: this.#accessToken, value };
    }
    return (this.#customData as { value: CustomDataType }).value;
  }

  /**
   * The profile's data — `email`, `name`, `pictureUrl`, … — as last fetched (at login, by
   * {@link refreshProfile}, or from storage after a restart). `{}` if it was never fetched (realm-web threw).
   */
  get profile(): UserProfileDataType {
    return (this.#profile?.data ?? {}) as UserProfileDataType;
  }

  /** The user's identities, one per provider account linked to the user, oldest first. */
  get identities(): UserIdentity[] {
    return this.#profile?.identities ?? [];
  }

  /** The device id the server gave this login (from the access token), or `null`. */
  get deviceId(): string | null {
    const id = readClaims(this.#accessToken)?.baas_device_id;
    return typeof id === 'string' && id !== NO_DEVICE_ID ? id : null;
  }

  /**
   * An access token that is not about to expire: the current one, or a new one after a refresh (shared with
   * any refresh already in flight). For calling your own APIs with the user's token.
   *
   * @example
   * ```ts
   * await fetch('/api/notes', { headers: { Authorization: `Bearer ${await user.getAccessToken()}` } });
   * ```
   */
  async getAccessToken(): Promise<string> {
    if (this.#refreshToken === null) throw loggedOutError();
    if (this.#refreshing || this.#expiresSoon()) await this.refreshAccessToken();
    if (this.#accessToken === null) throw loggedOutError();
    return this.#accessToken;
  }

  /**
   * Fetches the profile again (`GET /auth/profile`).
   *
   * @example
   * ```ts
   * await user.refreshProfile();
   * console.log(user.profile.email, user.identities);
   * ```
   */
  async refreshProfile(): Promise<void> {
    const profile = parseProfile(
      await readBody(await this.#send('access', { method: 'GET', path: `${AUTH}/profile` })),
    );
    if (this.#removed) return;
    this.#profile = profile;
    this.#ctx.state.write(this.id, 'profile', profile);
    this.#ctx.changed();
  }

  /**
   * Logs the user out: ends the session on the server (`DELETE /auth/session`) and forgets the tokens. The user
   * stays in `app.allUsers` as `'logged-out'`, with its profile. The tokens are forgotten even when the request
   * fails (then the promise rejects); a session the server had already ended counts as success.
   *
   * @example
   * ```ts
   * await app.currentUser?.logOut();
   * ```
   */
  logOut(): Promise<void> {
    return this.#ctx.track('loggingOut', () => this.#signOut('logOut'));
  }

  /**
   * Adds the identity behind `credentials` to this user (`POST …/login?link=true` with the user's access
   * token), then refreshes the profile. The session stays the same.
   *
   * @example
   * ```ts
   * const user = await app.logIn(Credentials.anonymous());
   * await app.emailPasswordAuth.registerUser({ email, password });
   * await user.linkCredentials(Credentials.emailPassword(email, password));
   * ```
   */
  async linkCredentials(credentials: Credentials): Promise<void> {
    if (!(credentials instanceof Credentials)) throw new TypeError('linkCredentials() needs Credentials');
    const response = await authenticate(this.#ctx, credentials, (call) => this.#send('access', call));
    if (response.userId !== this.id) throw badResponse(`link answered for user ${response.userId}, not ${this.id}`);
    this.#ctx.changed(this.#setAccessToken(response.accessToken));
    await this.refreshProfile();
  }

  /**
   * Gets a new access token now (`POST /auth/session` with the refresh token). Concurrent calls share one
   * request. If the server no longer honours the refresh token, the user is logged out locally and this
   * rejects with the server's `InvalidSession` error.
   *
   * @example
   * ```ts
   * app.on('loggedOut', ({ reason }) => reason === 'sessionEnded' && showSignIn());
   * await user.refreshAccessToken();
   * ```
   */
  refreshAccessToken(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /**
   * Refreshes the access token and returns the custom user data it carries.
   *
   * @example
   * ```ts
   * const { plan } = await user.refreshCustomData();
   * ```
   */
  async refreshCustomData(): Promise<CustomDataType> {
    await this.refreshAccessToken();
    return this.customData;
  }

  /**
   * Calls `callback` when this user's tokens change: logged in again, token refreshed, custom data changed,
   * logged out. (realm-web declared these and threw "Not yet implemented".)
   */
  addListener(callback: () => void): void {
    const listeners = this.#ctx.userListeners;
    listeners.set(this, (listeners.get(this) ?? new Set()).add(callback));
  }

  removeListener(callback: () => void): void {
    this.#ctx.userListeners.get(this)?.delete(callback);
  }

  removeAllListeners(): void {
    this.#ctx.userListeners.delete(this);
  }

  /** A plain object for logs and debugging — without the tokens, which must not end up in logs. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      state: this.state,
      providerType: this.providerType,
      profile: this.#profile,
      customData: this.customData,
    };
  }

  async #refresh(): Promise<void> {
    const refreshToken = this.#refreshToken;
    const body = asObject(await readBody(await this.#send('refresh', { method: 'POST', path: `${AUTH}/session` })));
    if (typeof body?.access_token !== 'string') throw badResponse("expected an 'access_token'");
    // Logged out (or in again) while the request was under way: this token belongs to nobody now.
    if (this.#refreshToken !== refreshToken) return;
    this.#ctx.changed([{ type: 'tokenRefreshed', user: this }, ...this.#setAccessToken(body.access_token)]);
  }

  /**
   * One request with a token. With the refresh token: a 401 `InvalidSession` means the session is dead, so
   * the user is logged out locally. With the access token: refreshed first when about to expire, and on a
   * 401 `InvalidSession` refreshed (or the refresh another call made is awaited) and retried **once** —
   * realm-web retried for as long as the server said 401, forever if it kept saying it.
   */
  async #send(token: 'access' | 'refresh', call: PathCall): Promise<Response> {
    if (token === 'refresh') {
      const refreshToken = this.#refreshToken;
      // realm-web sent `Bearer null` here; a logged-out user makes no request at all.
      if (refreshToken === null) throw loggedOutError();
      try {
        return await this.#ctx.send({ ...call, token: refreshToken });
      } catch (error) {
        if (isInvalidSession(error) && this.#refreshToken === refreshToken) this.#clear('sessionEnded');
        throw error;
      }
    }
    const accessToken = await this.getAccessToken();
    try {
      return await this.#ctx.send({ ...call, token: accessToken });
    } catch (error) {
      if (!isInvalidSession(error)) throw error;
      if (this.#accessToken === accessToken || this.#refreshing) await this.refreshAccessToken();
      if (this.#accessToken === null) throw loggedOutError();
      return this.#ctx.send({ ...call, token: this.#accessToken });
    }
  }

  /** True when the access token expires within the margin, by the server's clock as estimated. */
  #expiresSoon(): boolean {
    if (this.#accessToken === null) return true;
    const claims = readClaims(this.#accessToken);
    // A token that is not a JWT with `exp` (not Gatehouse's) is refreshed when the server refuses it.
    if (!claims) return false;
    const margin = Math.min(REFRESH_MARGIN_MS, ((claims.exp - claims.iat) * 1000) / 4);
    return claims.exp * 1000 - this.#ctx.skew - Date.now() < margin;
  }

  /** Takes a freshly issued access token; returns `customDataChanged` when the custom data in it changed. */
  #setAccessToken(token: string): AuthEvent[] {
    const before = this.#accessToken === null ? null : JSON.stringify(this.customData);
    this.#accessToken = token;
    const claims = readClaims(token);
    // A fresh token's `iat` is the server's "now": the difference to ours is the clock skew, so a device
    // whose clock is wrong neither refreshes every time nor misses an expiry.
    if (claims) this.#ctx.skew = claims.iat * 1000 - Date.now();
    this.#ctx.state.write(this.id, 'accessToken', token);
    const customData = this.customData;
    return before === null || JSON.stringify(customData) === before
      ? []
      : [{ type: 'customDataChanged', user: this, customData }];
  }

  #setRefreshToken(token: string): void {
    this.#refreshToken = token;
    this.#ctx.state.write(this.id, 'refreshToken', token);
  }

  async #signOut(reason: LogOutReason): Promise<void> {
    const refreshToken = this.#refreshToken;
    if (refreshToken === null) return;
    try {
      await this.#ctx.send({ method: 'DELETE', path: `${AUTH}/session`, token: refreshToken });
    } catch (error) {
      // A session the server already ended is as good as ended now.
      if (!isInvalidSession(error)) throw error;
    } finally {
      if (this.#refreshToken === refreshToken) this.#clear(reason);
    }
  }

  #clear(reason: LogOutReason): void {
    if (this.#refreshToken === null && this.#accessToken === null) return;
    this.#accessToken = null;
    this.#refreshToken = null;
    this.#ctx.state.write(this.id, 'accessToken', null);
    this.#ctx.state.write(this.id, 'refreshToken', null);
    this.#ctx.changed([{ type: 'loggedOut', user: this, reason }]);
  }
}
