import { isObjectIdHex, NO_DEVICE_ID } from '@gatehouse-auth/core';
import { authenticate } from './auth.js';
import { type AppContext, contexts, type PathCall } from './context.js';
import { Credentials } from './credentials.js';
import { deviceInformation, type LocalAppConfiguration } from './device.js';
import { EmailPasswordAuth } from './email-password-auth.js';
import { badResponse } from './errors.js';
import { persistedState } from './persist.js';
import type { DefaultUserProfileData } from './profile.js';
import { defaultStorage, type StorageAdapter } from './storage.js';
import { type AuthEvent, type AuthEvents, type AuthSnapshot, Store } from './store.js';
import { API, asObject, type FetchFunction, readBody, send } from './transport.js';
import { internals, User } from './user.js';

/**
 * How to reach a Gatehouse app. The fields of realm-web 2.0.1's `AppConfiguration` mean the same here.
 *
 * @example
 * ```ts
 * const app = new App({ id: 'my-app', baseUrl: 'https://auth.example.com' });
 * ```
 */
export interface AppConfiguration {
  /** The app id (as configured in Gatehouse; an App Services app id works unchanged). */
  id: string;
  /**
   * The Gatehouse server, e.g. `https://auth.example.com`. Optional in a browser page served by the same
   * origin (defaults to `location.origin`); required elsewhere. A trailing slash is ignored.
   */
  baseUrl?: string;
  /**
   * Where users are kept between runs. Default: `localStorage` in browsers (under realm-web's keys, so users
   * logged in with realm-web stay logged in), else a memory storage shared by all `App`s of the process.
   * In Node, `fileStorage()` from `@gatehouse-auth/client/node` persists to a file.
   */
  storage?: StorageAdapter;
  /** The `fetch` to use (default: the global one, looked up at each call). */
  fetch?: FetchFunction;
  /**
   * Send requests to `baseUrl` directly instead of the `hostname` the location request names. For a
   * server behind a proxy that rewrites its public URL.
   */
  skipLocationRequest?: boolean;
  /** Your app's name and version, sent to the server at login. */
  app?: LocalAppConfiguration;
}

type AnyUser = User<Record<string, unknown>, DefaultUserProfileData>;

/**
 * A Gatehouse app as its client sees it: log users in, keep them (several per device, across restarts and
 * offline), switch between them, and watch it all through a store.
 *
 * It is a drop-in for realm-web 2.0.1's `App` for authentication: the same constructor, methods, argument
 * shapes and user states, and the same requests on the wire. What it does differently, on purpose, is said
 * where it happens (search for "realm-web" in these docs).
 *
 * @example
 * ```ts
 * import { App, Credentials } from '@gatehouse-auth/client';
 *
 * const app = new App({ id: 'my-app', baseUrl: 'https://auth.example.com' });
 * app.on('userChanged', ({ user }) => render(user));
 * const user = await app.logIn(Credentials.emailPassword('ada@example.com', 'correct horse battery'));
 * console.log(user.profile.email, app.currentUser === user);
 * ```
 */
export class App<
  CustomDataType extends Record<string, unknown> = Record<string, unknown>,
  UserProfileDataType extends DefaultUserProfileData = DefaultUserProfileData,
> {
  static readonly #apps = new Map<string, App>();

  /** `Credentials`, also reachable as `App.Credentials` (as in realm-web). */
  static readonly Credentials = Credentials;

  /**
   * The `App` for `id`, made with default settings on first use (realm-web's `getApp`). In a browser the
   * server is then the page's origin.
   */
  static getApp(id: string): App {
    let app = App.#apps.get(id);
    if (!app) App.#apps.set(id, (app = new App(id)));
    return app;
  }

  /** The app id. */
  readonly id: string;
  /** The server the location request goes to (without a trailing slash). */
  readonly baseUrl: string;
  /** Register, confirm and reset email/password accounts. */
  readonly emailPasswordAuth: EmailPasswordAuth;

  /**
   * Registers `listener` to be called after every change of {@link getSnapshot}; returns the function that
   * unregisters it. Bound, so it can be passed around (React: `useSyncExternalStore(app.subscribe,
   * app.getSnapshot)`).
   */
  readonly subscribe: (listener: () => void) => () => void;
  /** The current {@link AuthSnapshot}: the same object until something changes. Bound. */
  readonly getSnapshot: () => AuthSnapshot;

  readonly #ctx: AppContext;
  readonly #store: Store;
  readonly #local: LocalAppConfiguration | undefined;
  readonly #skipLocation: boolean;
  #users: AnyUser[];
  #location: Promise<string> | null = null;
  readonly #flags = { loggingIn: 0, loggingOut: 0 };
  readonly #appListeners = new Map<() => void, () => void>();

  /**
   * @param idOrConfiguration - the configuration, or just the app id (then `baseUrl` is the page's origin).
   * @throws TypeError when the id, `baseUrl`, `fetch` or `storage` is missing or unusable.
   */
  constructor(idOrConfiguration: string | AppConfiguration) {
    const config = typeof idOrConfiguration === 'string' ? { id: idOrConfiguration } : idOrConfiguration;
    if (typeof config?.id !== 'string' || config.id === '')
      throw new TypeError('App needs an app id: new App({ id, baseUrl })');
    const baseUrl = config.baseUrl ?? (globalThis as { location?: { origin?: string } }).location?.origin;
    if (typeof baseUrl !== 'string')
      throw new TypeError('App needs a baseUrl: the Gatehouse server, e.g. https://auth.example.com');
    new URL(baseUrl); // throws a TypeError for a URL that is not one
    if (config.fetch !== undefined && typeof config.fetch !== 'function')
      throw new TypeError('fetch must be a function');
    const storage = config.storage ?? defaultStorage();
    if (
      !['get', 'set', 'remove'].every((m) => typeof (storage as unknown as Record<string, unknown>)[m] === 'function')
    )
      throw new TypeError('storage needs get(key), set(key, value) and remove(key)');

    this.id = config.id;
    // realm-web used baseUrl verbatim, so a trailing slash gave `//api/…`.
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#local = config.app;
    this.#skipLocation = config.skipLocationRequest === true;
    const fetch: FetchFunction = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const state = persistedState(storage, this.id);
    const sendUnder = async (call: PathCall) => send(fetch, { ...call, url: (await this.locationUrl) + call.path });
    const ctx: AppContext = {
      app: this as App,
      id: this.id,
      fetch,
      state,
      send: sendUnder,
      request: (call) => sendUnder(call).then(readBody),
      location: () => this.locationUrl,
      device: () => deviceInformation(this.#local, state.deviceId()),
      skew: 0,
      changed: (events: AuthEvent[] = []) => {
        this.#store.changed(events);
        for (const event of events) {
          const user = (event as { user?: AnyUser | null }).user;
          for (const listener of user ? [...(ctx.userListeners.get(user) ?? [])] : []) listener();
        }
      },
      track: async (flag, work) => {
        this.#flags[flag]++;
        this.#store.changed();
        try {
          return await work();
        } finally {
          this.#flags[flag]--;
          this.#store.changed();
        }
      },
      userListeners: new WeakMap(),
    };
    this.#ctx = ctx;
    contexts.set(this, ctx);
    // Offline start: the users, their tokens and profiles come from storage, with no request.
    this.#users = state.users().map((stored) => new User(ctx, stored));
    this.#store = new Store(() => ({
      currentUser: this.currentUser,
      users: [...this.#users],
      loggingIn: this.#flags.loggingIn > 0,
      loggingOut: this.#flags.loggingOut > 0,
    }));
    this.subscribe = this.#store.subscribe;
    this.getSnapshot = this.#store.getSnapshot;
    this.emailPasswordAuth = new EmailPasswordAuth(ctx);
  }

  /**
   * The current user: the most recent of the logged-in users by login and {@link switchUser}, or `null` when
   * none is logged in. Available at once after a restart, offline, from storage.
   */
  get currentUser(): User<CustomDataType, UserProfileDataType> | null {
    return (this.#users.find((user) => user.isLoggedIn) ?? null) as User<CustomDataType, UserProfileDataType> | null;
  }

  /** Every user this app knows on this device, logged in or logged out, by id, most recent first. */
  get allUsers(): Readonly<Record<string, User<CustomDataType, UserProfileDataType>>> {
    return Object.fromEntries(this.#users.map((user) => [user.id, user])) as Record<
      string,
      User<CustomDataType, UserProfileDataType>
    >;
  }

  /**
   * The hostname all requests go to: the answer of the location request (`GET
   * {baseUrl}/api/client/v2.0/app/{id}/location`), made once on the first request and again after
   * it failed; or `baseUrl` with `skipLocationRequest`.
   */
  get locationUrl(): Promise<string> {
    if (this.#skipLocation) return Promise.resolve(this.baseUrl);
    this.#location ??= send(this.#ctx.fetch, {
      method: 'GET',
      url: `${this.baseUrl}${API}/app/${encodeURIComponent(this.id)}/location`,
    })
      .then(readBody)
      .then((body) => {
        const hostname = asObject(body)?.hostname;
        if (typeof hostname !== 'string') throw badResponse("expected a 'hostname'");
        return hostname.replace(/\/+$/, '');
      })
      .catch((error: unknown) => {
        this.#location = null;
        throw error;
      });
    return this.#location;
  }

  /**
   * Logs a user in: `POST …/auth/providers/<provider>/login` with the credentials and `options.device`, then
   * `GET /auth/profile` (unless `fetchProfile` is false). The user becomes the current user; a user this app
   * already knows (same id) is the same `User` object, with new tokens. Emits `loggedIn`, or `loginFailed` when
   * the login request fails.
   *
   * @throws TypeError (at once) when `credentials` is not a `Credentials`.
   * @example
   * ```ts
   * const user = await app.logIn(Credentials.anonymous());
   * ```
   */
  logIn(credentials: Credentials, fetchProfile = true): Promise<User<CustomDataType, UserProfileDataType>> {
    if (!(credentials instanceof Credentials))
      throw new TypeError('logIn() needs Credentials, e.g. Credentials.emailPassword(email, password)');
    return this.#ctx.track('loggingIn', async () => {
      if (credentials.reuse) {
        // Only a user that is still logged in: realm-web 2.0.1 also took a logged-out anonymous user, then
        // sent `Authorization: Bearer null` and failed.
        const reused = this.#users.find((u) => u.providerType === credentials.providerType && u.isLoggedIn);
        if (reused) {
          this.#toFront(reused);
          this.#ctx.changed();
          if (fetchProfile) await reused.refreshProfile();
          return reused as User<CustomDataType, UserProfileDataType>;
        }
      }
      const response = await authenticate(this.#ctx, credentials).catch((error: Error) => {
        this.#ctx.changed([{ type: 'loginFailed', providerType: credentials.providerType, error }]);
        throw error;
      });
      let user = this.#users.find((u) => u.id === response.userId);
      let events: AuthEvent[] = [];
      if (user) events = internals.update(user, response.accessToken, response.refreshToken);
      else {
        if (!response.refreshToken) throw badResponse('no refresh token for a new user');
        this.#ctx.state.write(response.userId, 'providerType', credentials.providerType);
        user = new User(this.#ctx, {
          id: response.userId,
          providerType: credentials.providerType,
          accessToken: null,
          refreshToken: null,
          profile: undefined,
        });
        internals.update(user, response.accessToken, response.refreshToken);
        this.#users.unshift(user);
      }
      if (isObjectIdHex(response.deviceId) && response.deviceId !== NO_DEVICE_ID)
        this.#ctx.state.setDeviceId(response.deviceId);
      this.#toFront(user);
      try {
        if (fetchProfile) await user.refreshProfile();
      } finally {
        this.#ctx.changed([{ type: 'loggedIn', user }, ...events]);
      }
      return user as User<CustomDataType, UserProfileDataType>;
    });
  }

  /**
   * Makes `user` the current user, without a request. Unlike realm-web, the order is stored, so the current
   * user is still current after a restart.
   *
   * @throws TypeError when `user` is not one of this app's users.
   * @example
   * ```ts
   * const [other] = Object.values(app.allUsers).filter((u) => u.isLoggedIn && u !== app.currentUser);
   * if (other) app.switchUser(other);
   * ```
   */
  switchUser(user: User<CustomDataType, UserProfileDataType>): void {
    this.#known(user);
    this.#toFront(user as AnyUser);
    this.#ctx.changed();
  }

  /**
   * Logs `user` out (`DELETE /auth/session` if logged in) and forgets them on this device: they leave
   * `allUsers` and the storage, and their state is `'removed'`. They are forgotten even if the request
   * fails (then the promise rejects).
   *
   * @throws TypeError (at once) when `user` is not one of this app's users.
   * @example
   * ```ts
   * for (const user of Object.values(app.allUsers)) await app.removeUser(user); // forget everyone here
   * ```
   */
  removeUser(user: User<CustomDataType, UserProfileDataType>): Promise<void> {
    this.#known(user);
    return this.#ctx.track('loggingOut', async () => {
      try {
        await internals.signOut(user as AnyUser, 'removed');
      } finally {
        this.#forget(user as AnyUser);
      }
    });
  }

  /**
   * Deletes `user` on the server (`DELETE /auth/delete`), then forgets them here. Irreversible.
   *
   * Differences from realm-web 2.0.1, which sent the *current* user's access token — deleting whoever was
   * current — and then a logout request for the deleted session: this sends `user`'s own
   * access token (refreshed if needed) and no logout request, since the server ended the sessions with the
   * user.
   *
   * @throws TypeError (at once) when `user` is not one of this app's users.
   * @example
   * ```ts
   * if (confirm('Delete your account?')) await app.deleteUser(user);
   * ```
   */
  deleteUser(user: User<CustomDataType, UserProfileDataType>): Promise<void> {
    this.#known(user);
    return this.#ctx.track('loggingOut', async () => {
      await internals.send(user as AnyUser, 'access', { method: 'DELETE', path: `${API}/auth/delete` });
      internals.clear(user as AnyUser, 'deleted');
      this.#forget(user as AnyUser);
    });
  }

  /**
   * Calls `handler` on each `type` event; returns the function that stops it.
   *
   * @example
   * ```ts
   * app.on('loggedOut', ({ user, reason }) => {
   *   if (reason === 'sessionEnded') showSignInAgain(user);
   * });
   * ```
   */
  on<K extends keyof AuthEvents>(type: K, handler: (event: AuthEvents[K] & { type: K }) => void): () => void {
    return this.#store.on(type, handler);
  }

  /** Calls `callback` on every change (realm's `addListener`; realm-web threw "Not yet implemented"). */
  addListener(callback: () => void): void {
    if (!this.#appListeners.has(callback)) this.#appListeners.set(callback, this.subscribe(callback));
  }

  removeListener(callback: () => void): void {
    this.#appListeners.get(callback)?.();
    this.#appListeners.delete(callback);
  }

  removeAllListeners(): void {
    for (const callback of [...this.#appListeners.keys()]) this.removeListener(callback);
  }

  #known(user: unknown): void {
    if (!(user instanceof User) || !this.#users.includes(user as AnyUser))
      throw new TypeError('expected a user of this app (see app.allUsers)');
  }

  #toFront(user: AnyUser): void {
    this.#users = [user, ...this.#users.filter((u) => u !== user)];
    this.#ctx.state.setUserIds(this.#users.map((u) => u.id));
  }

  #forget(user: AnyUser): void {
    this.#users = this.#users.filter((u) => u !== user);
    this.#ctx.state.forget(user.id);
    internals.remove(user);
    this.#ctx.changed();
  }
}
