import { deserialize, serialize } from '@gatehouse-auth/core';
import type { App } from './app.js';
import { contexts } from './context.js';
import { Credentials } from './credentials.js';
import { badResponse, loggedOutError } from './errors.js';
import { deepFreeze, type FieldSpecifier, type MeteorUser, parseMeteorUser, projection } from './meteor-user.js';
import { safely } from './store.js';
import { API, AUTH, asObject, readBody } from './transport.js';
import { internals, type User } from './user.js';

export type { FieldSpecifier, MeteorUser } from './meteor-user.js';

/** Meteor's optional last argument of the async methods: called with the error, or with nothing on success. */
export type AccountsCallback = (error?: Error) => void;

/** Who `loginWithPassword` logs in: a username, an email (a string with `@`), or an object naming which. */
export type LoginSelector = string | { username: string } | { email: string } | { id: string };

/** What `onLogin` callbacks receive (Meteor passes the login method's result; never the token here). */
export interface LoginDetails {
  /** The user's id. */
  id: string;
  /** The provider of the user (`local-userpass`, `anon-user`, `oauth2-google`, …) — not Meteor's `password`. */
  type: string;
}

/** One login method the app offers, as `GET …/auth/providers` lists it: public fields only. */
export interface LoginServiceConfiguration {
  /** The provider type: `local-userpass`, `anon-user`, `oauth2-google`, … */
  type: string;
  /** For OAuth providers, Meteor's service name: `google`, `facebook`, `apple`. */
  service?: string;
  /** For OAuth providers, the public client id. */
  clientId?: string;
  /** For `local-userpass`: the password rules, to show before a form is submitted (the server checks them). */
  password?: { minLength: number; maxLength: number; rejectCommon: boolean };
  /** For `local-userpass`: how new accounts are confirmed. */
  confirmation?: 'auto' | 'email' | 'function';
  /** For `local-userpass`: how a forgotten password is reset. */
  reset?: 'email' | 'function';
  /** For `local-userpass`: false when the app forbids creating accounts from clients. */
  signUp?: boolean;
}

/** What `onLogin`, `onLoginFailure` and `onLogout` return (Meteor's handle). */
export interface AccountsHandle {
  /** Unregisters the callback. */
  stop(): void;
}

/** `createUser()` options. */
export interface CreateUserOptions {
  username?: string;
  email?: string;
  password: string;
  profile?: Record<string, unknown>;
}

/**
 * Meteor's client accounts API (`Meteor.user()`, `Meteor.loginWithPassword()`, `Accounts.createUser()`, …) over
 * one {@link App}: see {@link createAccounts}. The synchronous readers are reactive through the app's store:
 * `app.subscribe` tells when they may answer differently. Each async method returns a promise; a
 * Meteor-style callback may be passed as the last argument instead (the promise then never rejects).
 */
export interface Accounts {
  /** The app underneath. */
  readonly app: App;
  /**
   * The current user's document (`Meteor.user()`), or `null` when nobody is logged in — and, for a user who
   * logged in before any document was fetched, until it arrives. Synchronous, from the cache kept with the
   * user (in the app's storage), so it answers offline and right after a restart. The same frozen object until
   * the document changes; with `fields`, a new projected copy.
   *
   * @example
   * ```ts
   * accounts.user()?.emails[0]?.address;
   * accounts.user({ fields: { profile: 1 } }); // { _id, profile }
   * ```
   */
  user(): MeteorUser | null;
  user(options: { fields?: FieldSpecifier }): Partial<MeteorUser> | null;
  /** The current user's id (`Meteor.userId()`), or `null`. */
  userId(): string | null;
  /** True while a login is under way, until the user's document has arrived (`Meteor.loggingIn()`). */
  loggingIn(): boolean;
  /** True while a logout is under way (`Meteor.loggingOut()`). */
  loggingOut(): boolean;
  /**
   * Logs in with a password (`Meteor.loginWithPassword`): `selector` is a username, an email (any string with
   * `@`), `{ username }` or `{ email }`. Resolves once the user's document has arrived. `{ id }` cannot work
   * over HTTP and throws a TypeError.
   *
   * @example
   * ```ts
   * await accounts.loginWithPassword('ada@example.com', password);
   * ```
   */
  loginWithPassword(selector: LoginSelector, password: string, callback?: AccountsCallback): Promise<void>;
  /**
   * Creates a password account, then logs in as it — by username if given, else by email
   * (`Accounts.createUser`). When the app confirms addresses by email, an email-only account cannot log in yet:
   * the promise rejects with the server's refusal, and the account exists.
   *
   * @example
   * ```ts
   * await accounts.createUser({ username: 'ada', email: 'ada@example.com', password, profile: { name: 'Ada' } });
   * ```
   */
  createUser(options: CreateUserOptions, callback?: AccountsCallback): Promise<void>;
  /**
   * Logs out (`Meteor.logout`): the current user and any other user of the app still logged in, so that
   * `userId()` is `null` afterwards, as with Meteor's one user per client. (`user.logOut()` logs out one user.)
   */
  logout(callback?: AccountsCallback): Promise<void>;
  /** Ends every other session of the current user, on every device; this one stays (`Meteor.logoutOtherClients`). */
  logoutOtherClients(callback?: AccountsCallback): Promise<void>;
  /** Changes the current user's password; the user's other sessions end (`Accounts.changePassword`). */
  changePassword(oldPassword: string, newPassword: string, callback?: AccountsCallback): Promise<void>;
  /** Mails a password-reset link to `email` (`Accounts.forgotPassword`). Unknown addresses succeed too. */
  forgotPassword(options: { email: string }, callback?: AccountsCallback): Promise<void>;
  /**
   * Sets a new password with the token of a reset link (`Accounts.resetPassword`). `token` is
   * `"<tokenId>.<token>"`: the link's `tokenId` and `token` query parameters joined by a dot. Unlike Meteor it
   * does not log in (the token does not say who); every session of the user ends.
   */
  resetPassword(token: string, newPassword: string, callback?: AccountsCallback): Promise<void>;
  /**
   * Confirms an address with the token of a confirmation link, `"<tokenId>.<token>"` (`Accounts.verifyEmail`).
   * Unlike Meteor it does not log in; a current user's document is fetched again (so `verified` shows).
   */
  verifyEmail(token: string, callback?: AccountsCallback): Promise<void>;
  /** Calls `callback` after each login, once the user's document has arrived (`Accounts.onLogin`). */
  onLogin(callback: (details: LoginDetails) => void): AccountsHandle;
  /** Calls `callback` after each failed login (`Accounts.onLoginFailure`). */
  onLoginFailure(callback: (details: { error: Error }) => void): AccountsHandle;
  /** Calls `callback` when the current user is logged out, for whatever reason (`Accounts.onLogout`). */
  onLogout(callback: () => void): AccountsHandle;
  /** True once the list of login services has loaded (`Accounts.loginServicesConfigured()`). */
  loginServicesConfigured(): boolean;
  /** The login services the app offers; `[]` until loaded (`Accounts.loginServiceConfiguration`). */
  loginServiceConfiguration(): readonly LoginServiceConfiguration[];
  /**
   * Edits the current user's own profile with a Mongo update modifier — what
   * `Meteor.users.update(Meteor.userId(), modifier)` does in a Meteor client — under Meteor's rules: only
   * fields under `profile`, with `$set`, `$unset` or `$inc`, at most 16 KiB, and only if the app allows
   * profile edits. Resolves with the new document (also what `user()` answers from then on).
   *
   * @example
   * ```ts
   * await accounts.updateProfile({ $set: { 'profile.name': 'Ada' }, $inc: { 'profile.visits': 1 } });
   * ```
   */
  updateProfile(modifier: Record<string, unknown>, callback?: AccountsCallback): Promise<MeteorUser>;
  /**
   * Fetches the current user's document again (`GET /auth/user`) and resolves with it; `null` when nobody is
   * logged in. Done for you after each login and token refresh.
   */
  refreshUser(callback?: AccountsCallback): Promise<MeteorUser | null>;
}

const facades: WeakMap<App, Accounts> = /* @__PURE__ */ new WeakMap();
const noop = () => {};

/**
 * Meteor's client accounts API as a facade over an {@link App}: `Meteor.user()`, `Meteor.loginWithPassword()`,
 * `Accounts.createUser()`, `Accounts.onLogin()` and the rest, by their Meteor names, over Gatehouse's HTTP
 * API instead of DDP. Everything stays in the app's one store (so `useUser`, `useUserId` and `useLoggingIn` of
 * `@gatehouse-auth/react` follow it), and the user's document is kept with the user in the app's storage.
 *
 * One facade per app: calling it again with the same app returns the same object. Creating it loads the list
 * of login services and, when a user is logged in, that user's document.
 *
 * @throws TypeError when `app` is not an `App`.
 * @example
 * ```ts
 * import { App, createAccounts } from '@gatehouse-auth/client';
 *
 * const app = new App({ id: 'my-app', baseUrl: 'https://auth.example.com' });
 * const accounts = createAccounts(app);
 * app.subscribe(() => render(accounts.user()));
 * await accounts.loginWithPassword('ada', 'correct horse battery staple');
 * console.log(accounts.user()?.username); // 'ada'
 * ```
 */
export function createAccounts(app: App): Accounts {
  const ctx = contexts.get(app);
  if (!ctx) throw new TypeError('createAccounts() needs an App: createAccounts(new App({ id, baseUrl }))');
  const existing = facades.get(app);
  if (existing) return existing;

  /** Documents by user id: `undefined` not read from storage yet, `null` none. */
  const cache = new Map<string, { text: string; doc: MeteorUser } | null>();
  const loads = new Map<string, Promise<MeteorUser | null>>();
  const logins = new WeakMap<User, Promise<void>>();
  const hooks = { login: new Set<(d: LoginDetails) => void>(), failure: new Set<(d: { error: Error }) => void>() };
  const logoutHooks = new Set<() => void>();
  let services: readonly LoginServiceConfiguration[] | null = null;
  const none: readonly LoginServiceConfiguration[] = Object.freeze([]);
  let servicesLoading = false;
  let currentId = app.currentUser?.id ?? null;

  const cached = (id: string): MeteorUser | null => {
    let entry = cache.get(id);
    if (entry === undefined) {
      entry = null;
      const text = ctx.state.read(id, 'document');
      try {
        if (text) entry = { text, doc: deepFreeze(parseMeteorUser(deserialize(JSON.parse(text)), id)) };
      } catch {
        // A damaged copy is as good as none: the next fetch replaces it.
      }
      cache.set(id, entry);
    }
    return entry?.doc ?? null;
  };

  /** Keeps (or with `null` forgets) a user's document, in memory and in storage; tells the store if it changed. */
  const keep = (id: string, doc: MeteorUser | null): void => {
    const text = doc ? JSON.stringify(serialize(doc)) : null;
    cached(id);
    if ((cache.get(id)?.text ?? null) === text) return;
    cache.set(id, doc && text ? { text, doc: deepFreeze(doc) } : null);
    ctx.state.write(id, 'document', text);
    ctx.changed();
  };

  /** Fetches `user`'s document (one request at a time per user); kept only while the user is logged in. */
  const load = (user: User): Promise<MeteorUser | null> => {
    let pending = loads.get(user.id);
    if (!pending) {
      pending = internals
        .send(user, 'access', { method: 'GET', path: `${AUTH}/user` })
        .then(readBody)
        .then((body) => {
          const doc = parseMeteorUser(body, user.id);
          if (!user.isLoggedIn) return null;
          keep(user.id, doc);
          return cached(user.id);
        })
        .finally(() => loads.delete(user.id));
      loads.set(user.id, pending);
    }
    return pending;
  };

  /** A fetch that starts now: after the one in flight, if any (which may have left before a change). */
  const reload = async (user: User): Promise<MeteorUser | null> => {
    await loads.get(user.id)?.catch(noop);
    return load(user);
  };

  /** Loads the list of login services, unless it is loaded or loading. */
  const loadServices = (): void => {
    if (services || servicesLoading) return;
    servicesLoading = true;
    ctx
      .request({ method: 'GET', path: `${API}/app/${encodeURIComponent(app.id)}/auth/providers` })
      .then((body) => {
        const list = asObject(body)?.providers;
        if (!Array.isArray(list) || !list.every((p) => typeof asObject(p)?.type === 'string'))
          throw badResponse("expected 'providers'");
        services = deepFreeze(list as LoginServiceConfiguration[]);
        ctx.changed();
      })
      // Offline or refused: asked again at the next login or read.
      .catch(noop)
      .finally(() => {
        servicesLoading = false;
      });
  };

  const current = (): User => {
    const user = app.currentUser;
    if (!user) throw loggedOutError();
    return user;
  };

  /** Logs in, then waits for the document and the `onLogin` callbacks (both started by `loggedIn`). */
  const logIn = async (credentials: Credentials): Promise<void> => {
    const user = await app.logIn(credentials);
    await logins.get(user);
  };

  const post = (route: string, body: object): Promise<unknown> =>
    ctx.request({
      method: 'POST',
      path: `${API}/app/${encodeURIComponent(app.id)}/auth/providers/local-userpass/${route}`,
      body,
    });

  const handle = <T>(set: Set<T>, callback: T): AccountsHandle => {
    if (typeof callback !== 'function') throw new TypeError('expected a callback function');
    set.add(callback);
    return { stop: () => void set.delete(callback) };
  };

  app.on('loggedIn', ({ user }) => {
    // Inside the login's own `loggingIn`, so the flag stays up until the document is here (as Meteor's does).
    const done = ctx.track('loggingIn', () => load(user).catch(noop));
    logins.set(
      user,
      done.then(() => {
        if (user.isLoggedIn)
          for (const hook of [...hooks.login]) safely(() => hook({ id: user.id, type: user.providerType }));
      }),
    );
    loadServices();
  });
  app.on('loginFailed', ({ error }) => {
    for (const hook of [...hooks.failure]) safely(() => hook({ error }));
  });
  app.on('tokenRefreshed', ({ user }) => void load(user).catch(noop));
  app.on('loggedOut', ({ user }) => {
    keep(user.id, null);
    if (user.id === currentId) for (const hook of [...logoutHooks]) safely(hook);
  });
  // After `loggedOut`, which needs the id of the user who was current.
  app.on('userChanged', ({ user }) => {
    currentId = user?.id ?? null;
    if (user && !cached(user.id)) load(user).catch(noop);
  });

  const accounts: Accounts = {
    app,
    user: ((options?: { fields?: FieldSpecifier }) => {
      if (options !== undefined && asObject(options) === null)
        throw new TypeError('user() takes { fields } or nothing');
      const project = options?.fields === undefined ? null : projection(options.fields);
      const user = app.getSnapshot().currentUser;
      const doc = user ? cached(user.id) : null;
      return doc && project ? project(doc) : doc;
    }) as Accounts['user'],
    userId: () => app.getSnapshot().currentUser?.id ?? null,
    loggingIn: () => app.getSnapshot().loggingIn,
    loggingOut: () => app.getSnapshot().loggingOut,
    loginWithPassword(selector, password, callback) {
      const name = loginName(selector);
      if (typeof password !== 'string' || password === '') throw new TypeError('password must be a non-empty string');
      return settle(() => logIn(Credentials.emailPassword(name, password)), callback);
    },
    createUser(options, callback) {
      const { username, email, password, profile, ...rest } = asObject(options) ?? ({} as CreateUserOptions);
      if (asObject(options) === null || Object.keys(rest).length > 0)
        throw new TypeError('createUser() takes { username?, email?, password, profile? }');
      for (const [name, value] of Object.entries({ username, email }))
        if (value !== undefined && (typeof value !== 'string' || value === ''))
          throw new TypeError(`${name} must be a non-empty string`);
      if (username === undefined && email === undefined)
        throw new TypeError('createUser() needs a username or an email');
      if (typeof password !== 'string' || password === '') throw new TypeError('password must be a non-empty string');
      if (profile !== undefined && asObject(profile) === null) throw new TypeError('profile must be an object');
      return settle(async () => {
        await post('register', { username, email, password, profile });
        await logIn(Credentials.emailPassword((username ?? email) as string, password));
      }, callback);
    },
    logout: (callback) =>
      settle(
        () =>
          ctx.track('loggingOut', async () => {
            // Every logged-in user, the current one last (so `onLogout` runs once): Meteor has one user per
            // client, and a logout that left an earlier login current would surprise its apps.
            const [first, ...others] = app.getSnapshot().users.filter((user) => user.isLoggedIn);
            const results = await Promise.allSettled(others.map((user) => user.logOut()));
            await first?.logOut();
            const failed = results.find((result) => result.status === 'rejected');
            if (failed) throw failed.reason;
          }),
        callback,
      ),
    logoutOtherClients: (callback) =>
      settle(async () => {
        await internals.send(current(), 'access', { method: 'POST', path: `${AUTH}/sessions/logout-others` });
      }, callback),
    changePassword(oldPassword, newPassword, callback) {
      if (typeof oldPassword !== 'string' || typeof newPassword !== 'string' || !oldPassword || !newPassword)
        throw new TypeError('changePassword() needs the old and the new password, non-empty strings');
      return settle(async () => {
        const body = { currentPassword: oldPassword, newPassword };
        await internals.send(current(), 'access', { method: 'POST', path: `${AUTH}/password`, body });
      }, callback);
    },
    forgotPassword(options, callback) {
      const email = asObject(options)?.email;
      if (typeof email !== 'string' || email === '') throw new TypeError('forgotPassword() needs { email }');
      return settle(async () => void (await post('reset/send', { email })), callback);
    },
    resetPassword(token, newPassword, callback) {
      const parts = linkToken(token);
      if (typeof newPassword !== 'string' || newPassword === '')
        throw new TypeError('the new password must be a non-empty string');
      return settle(async () => void (await post('reset', { ...parts, password: newPassword })), callback);
    },
    verifyEmail(token, callback) {
      const parts = linkToken(token);
      return settle(async () => {
        await post('confirm', parts);
        const user = app.currentUser;
        if (user) await reload(user).catch(noop);
      }, callback);
    },
    updateProfile(modifier, callback) {
      const ops = asObject(modifier);
      if (ops === null || Object.keys(ops).length === 0 || !Object.keys(ops).every((op) => op.startsWith('$')))
        throw new TypeError(
          "updateProfile() takes a Mongo update modifier, such as { $set: { 'profile.name': 'Ada' } }",
        );
      return settle(async () => {
        const user = current();
        const body = await readBody(
          await internals.send(user, 'access', { method: 'PATCH', path: `${AUTH}/user`, body: ops }),
        );
        const doc = parseMeteorUser(body, user.id);
        if (user.isLoggedIn) keep(user.id, doc);
        return cached(user.id) ?? deepFreeze(doc);
      }, callback);
    },
    onLogin: (callback) => handle(hooks.login, callback),
    onLoginFailure: (callback) => handle(hooks.failure, callback),
    onLogout: (callback) => handle(logoutHooks, callback),
    loginServicesConfigured() {
      loadServices();
      return services !== null;
    },
    loginServiceConfiguration() {
      loadServices();
      return services ?? none;
    },
    refreshUser: (callback) =>
      settle(async () => {
        const user = app.currentUser;
        return user ? reload(user) : null;
      }, callback),
  };
  facades.set(app, accounts);
  loadServices();
  if (app.currentUser) load(app.currentUser).catch(noop);
  return accounts;
}

/**
 * The name a password login sends for `selector` (Meteor's rule: a string with `@`
 * is an email, any other a username). Gatehouse's login takes either in `username` and tells them apart the
 * same way — so `{ username }` with `@` and `{ email }` without cannot mean what they say, and are refused.
 *
 * @throws TypeError for anything else, and for `{ id }`, which the HTTP login cannot select by.
 */
export function loginName(selector: unknown): string {
  if (typeof selector === 'string' && selector !== '') return selector;
  const object = asObject(selector);
  const keys = object ? Object.keys(object) : [];
  const value = object?.[keys[0] as string];
  if (keys.length === 1 && typeof value === 'string' && value !== '') {
    if (keys[0] === 'id')
      throw new TypeError(
        'loginWithPassword({ id }) is not possible over HTTP: Gatehouse logs in by username or email — pass { username } or { email }',
      );
    if (keys[0] === 'username' && !value.includes('@')) return value;
    if (keys[0] === 'email' && value.includes('@')) return value;
    if (keys[0] === 'username' || keys[0] === 'email')
      throw new TypeError('a username never contains "@", and an email always does');
  }
  throw new TypeError('the selector must be a username, an email, { username } or { email }');
}

/**
 * The `token` and `tokenId` of an emailed link, from Meteor's single token string `"<tokenId>.<token>"`.
 *
 * @throws TypeError when `value` is not of that form (the message never repeats it: it is a secret).
 */
export function linkToken(value: unknown): { token: string; tokenId: string } {
  const dot = typeof value === 'string' ? value.indexOf('.') : -1;
  const text = value as string;
  if (dot < 1 || dot === text.length - 1)
    throw new TypeError('expected the token as "<tokenId>.<token>": the link\'s tokenId and token, joined by a dot');
  return { token: text.slice(dot + 1), tokenId: text.slice(0, dot) };
}

/** Runs `work`; with a Meteor-style `callback`, reports to it and resolves either way. */
function settle<T>(work: () => Promise<T>, callback: AccountsCallback | undefined): Promise<T> {
  if (callback !== undefined && typeof callback !== 'function') throw new TypeError('callback must be a function');
  const promise = work();
  return callback
    ? (promise.then(
        (value) => {
          callback();
          return value;
        },
        (error: Error) => callback(error),
      ) as Promise<T>)
    : promise;
}
