import {
  type Accounts,
  App,
  Credentials,
  createAccounts,
  type FetchFunction,
  type MeteorUser,
  memoryStorage,
  ServerError,
  type StorageAdapter,
  type User,
} from '@gatehouse-auth/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LiveGatehouse, startGatehouse, uniqueEmail } from './harness.js';

/**
 * `createAccounts(app)` — Meteor's client accounts API over the SDK — against a real Gatehouse on loopback, on
 * SQLite and PostgreSQL: every method, the user document it keeps (also across a restart, offline), the
 * callbacks, and the mails the server sends for confirmation and reset.
 */

const APP = 'accounts-app';
/** An app that requires confirmation: nobody logs in before their address is confirmed. */
const STRICT = 'accounts-strict';
const PASSWORD = 'correct horse battery staple';
const API = '/api/client/v2.0';
const GOOGLE_SECRET = 'google-client-secret-never-shown';

describe.each(['sqlite', 'postgres'] as const)('createAccounts against Gatehouse (%s)', (dialect) => {
  let server: LiveGatehouse;

  beforeAll(async () => {
    server = await startGatehouse(dialect, {
      // As a Meteor app: new users log in at once and get a verification mail.
      [APP]: {
        name: 'Accounts facade',
        accounts: { sendVerificationEmail: true },
        providers: {
          'local-userpass': { confirmation: 'auto' },
          'anon-user': {},
          'oauth2-google': { clientId: 'google-client-id.apps.example', clientSecret: GOOGLE_SECRET },
        },
      },
      [STRICT]: { name: 'Strict', providers: { 'local-userpass': { confirmation: 'email' } } },
    });
  });
  afterAll(() => server?.close());

  const newAccounts = (storage: StorageAdapter = memoryStorage(), fetch?: FetchFunction, id = APP): Accounts =>
    createAccounts(new App({ id, baseUrl: server.url, storage, ...(fetch ? { fetch } : {}) }));

  /** A fresh username and email for one test. */
  const names = (label: string) => {
    const email = uniqueEmail(`${label}-${dialect}`);
    return { username: email.split('@')[0]?.replace(/[^\w-]/g, '_') as string, email };
  };

  /** The confirmation or reset link of the newest mail to `to`, as Meteor's single token string. */
  const mailed = async (to: string, count = 1) => {
    const { token, tokenId } = await server.mailedToken(to, count);
    return `${tokenId}.${token}`;
  };

  /** `createUser` with a username and an email: logged in at once; a verification mail goes out. */
  async function signUp(label: string, accounts = newAccounts()) {
    const who = names(label);
    await accounts.createUser({ ...who, password: PASSWORD, profile: { name: label } });
    return { ...who, accounts, id: accounts.userId() as string };
  }

  it('updateProfile edits my profile with a Meteor modifier (values as EJSON on the wire); user() follows', async () => {
    const { accounts, id } = await signUp('profile');
    let notified = 0;
    const stop = accounts.app.subscribe(() => notified++);
    const doc = await accounts.updateProfile({
      $set: { 'profile.city': 'Oslo', 'profile.since': new Date(Date.UTC(2026, 0, 2)) },
      $inc: { 'profile.visits': 2 },
      $unset: { 'profile.name': '' },
    });
    stop();
    expect(doc).toMatchObject({ _id: id, profile: { city: 'Oslo', visits: 2, since: '2026-01-02T00:00:00.000Z' } });
    expect(accounts.user()?.profile).toEqual(doc.profile);
    expect(notified).toBeGreaterThan(0);
    // The server's rules: nothing but my profile.
    const refused = await accounts.updateProfile({ $set: { username: 'root' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServerError);
    expect(refused).toMatchObject({ statusCode: 403, errorCode: 'Forbidden' });
    expect(() => accounts.updateProfile({ profile: { city: 'Rome' } })).toThrow(TypeError);
    expect((await accounts.refreshUser())?.profile).toEqual(doc.profile);
    await accounts.logout();
    await expect(accounts.updateProfile({ $set: { 'profile.x': 1 } })).rejects.toMatchObject({
      code: 'InvalidSession',
    });
  });

  it('createUser registers with username, email and profile, logs in by username and fetches the document', async () => {
    const accounts = newAccounts();
    const { username, email } = names('create');
    server.requests.length = 0;
    await accounts.createUser({ username, email, password: PASSWORD, profile: { name: 'Ada', langs: ['en'] } });
    // The location and the list of login services are asked for on their own, when the facade is made.
    const calls = server.requests.filter((r) => !/\/(location|auth\/providers)$/.test(r.path));
    expect(calls.map((r) => `${r.method} ${r.path.replace(`/app/${APP}`, '')} ${r.auth}`)).toEqual([
      `POST ${API}/auth/providers/local-userpass/register none`,
      `POST ${API}/auth/providers/local-userpass/login none`,
      `GET ${API}/auth/profile access`,
      `GET ${API}/auth/user access`,
    ]);
    expect(calls[0]?.body).toEqual({ username, email, password: PASSWORD, profile: { name: 'Ada', langs: ['en'] } });
    expect(calls[1]?.body).toMatchObject({ username, password: PASSWORD });

    const id = accounts.userId() as string;
    expect(id).toBe(accounts.app.currentUser?.id);
    const doc = accounts.user() as MeteorUser;
    expect(doc).toEqual({
      _id: id,
      username,
      emails: [{ address: email, verified: false }],
      profile: { name: 'Ada', langs: ['en'] },
      createdAt: expect.any(Date),
    });
    expect(Math.abs(doc.createdAt.getTime() - (Date.now() - 3_600_000))).toBeLessThan(60_000); // the server's clock
    expect(accounts.user()).toBe(doc);

    // A taken username is the server's refusal.
    await expect(accounts.createUser({ username, password: PASSWORD })).rejects.toMatchObject({
      code: 'AccountNameInUse',
    });
  });

  it('verifyEmail with the mailed link confirms the address and refetches the document; then login by email', async () => {
    const { email, accounts, id } = await signUp('verify');
    expect(accounts.user()?.emails).toEqual([{ address: email, verified: false }]);
    await accounts.verifyEmail(await mailed(email));
    expect(accounts.user()?.emails).toEqual([{ address: email, verified: true }]);
    // The link is single-use.
    await expect(accounts.verifyEmail(await mailed(email))).rejects.toMatchObject({ code: 'UserpassTokenInvalid' });
    const other = newAccounts();
    await other.loginWithPassword(email, PASSWORD);
    expect(other.userId()).toBe(id);
  });

  it('createUser with only an email, when the app confirms by email: the login is refused until verifyEmail', async () => {
    const accounts = newAccounts(memoryStorage(), undefined, STRICT);
    const failures: Error[] = [];
    accounts.onLoginFailure(({ error }) => failures.push(error));
    const { email } = names('emailonly');
    const refused = await accounts.createUser({ email, password: PASSWORD }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServerError);
    expect(refused).toMatchObject({ code: 'AuthError', status: 401, error: 'confirmation required' });
    expect(failures).toEqual([refused]);
    expect(accounts.userId()).toBeNull();
    expect(accounts.user()).toBeNull();

    await accounts.verifyEmail(await mailed(email)); // nobody logged in: it only confirms (Meteor would log in)
    expect(accounts.userId()).toBeNull();
    await accounts.loginWithPassword({ email }, PASSWORD);
    expect(accounts.user()?.emails).toEqual([{ address: email, verified: true }]);
    expect(accounts.user()).not.toHaveProperty('username');
  });

  it('loginWithPassword by username, by email, by { username }, by { email }; a wrong password is refused', async () => {
    const storage = memoryStorage();
    const { username, email, accounts, id } = await signUp('login', newAccounts(storage));
    await accounts.verifyEmail(await mailed(email));
    expect(storage.get(`app(${APP}):user(${id}):document`)).toContain(username);
    await accounts.logout();
    expect(accounts.userId()).toBeNull();
    expect(accounts.user()).toBeNull();
    // A logged-out user's document is not kept on the device (the User stays, as in realm-web).
    expect(storage.get(`app(${APP}):user(${id}):document`)).toBeNull();

    for (const selector of [username, email, { username }, { email }, username.toUpperCase()]) {
      const fresh = newAccounts();
      server.requests.length = 0;
      await fresh.loginWithPassword(selector, PASSWORD);
      expect(fresh.userId()).toBe(id);
      expect(fresh.user()).toMatchObject({ _id: id, username });
      const name = typeof selector === 'string' ? selector : Object.values(selector)[0];
      expect(server.requests.find((r) => r.path.endsWith('/local-userpass/login'))?.body).toMatchObject({
        username: name,
        password: PASSWORD,
      });
    }

    const error = (await accounts.loginWithPassword(username, 'not the password').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'InvalidPassword', status: 401 });
    expect(error.message).not.toContain('not the password');
    expect(accounts.userId()).toBeNull();
    expect(() => accounts.loginWithPassword({ id }, PASSWORD)).toThrow(TypeError);
    expect(() => accounts.loginWithPassword({ id }, PASSWORD)).toThrow(/not possible over HTTP/);
  });

  it('logout() after two logins logs out both (Meteor has one user per client); onLogout runs once', async () => {
    const first = await signUp('two-a');
    const accounts = first.accounts;
    const second = await signUp('two-b', accounts); // logs in over the first, as Meteor's login form would
    expect(accounts.userId()).toBe(second.id);
    let logouts = 0;
    accounts.onLogout(() => logouts++);
    await accounts.logout();
    expect(accounts.userId()).toBeNull();
    expect(accounts.user()).toBeNull();
    expect(Object.values(accounts.app.allUsers).map((u) => u.state)).toEqual(['logged-out', 'logged-out']);
    expect(logouts).toBe(1);
    await accounts.logout(); // nobody left: nothing to do
    expect(logouts).toBe(1);
  });

  it('logoutOtherClients ends the session of another App (it gets logged out); this one keeps working', async () => {
    const { username, accounts, id } = await signUp('others');
    const elsewhere = newAccounts();
    await elsewhere.loginWithPassword(username, PASSWORD);
    let loggedOutElsewhere = 0;
    elsewhere.onLogout(() => loggedOutElsewhere++);

    server.requests.length = 0;
    await accounts.logoutOtherClients();
    expect(server.requests.map((r) => [r.method, r.path, r.auth])).toEqual([
      ['POST', `${API}/auth/sessions/logout-others`, 'access'],
    ]);

    await expect(elsewhere.refreshUser()).rejects.toMatchObject({ code: 'InvalidSession', status: 401 });
    expect(elsewhere.userId()).toBeNull();
    expect(elsewhere.user()).toBeNull();
    expect(loggedOutElsewhere).toBe(1);

    expect((await accounts.refreshUser())?._id).toBe(id);
    expect(accounts.userId()).toBe(id);
    await accounts.logout();
    await expect(accounts.logoutOtherClients()).rejects.toMatchObject({ code: 'InvalidSession' });
  });

  it('changePassword: the old password must be right; then the new one logs in and other sessions end', async () => {
    const { username, accounts, id } = await signUp('change');
    const elsewhere = newAccounts();
    await elsewhere.loginWithPassword(username, PASSWORD);

    await expect(accounts.changePassword('not the old one', 'a brand new passphrase')).rejects.toMatchObject({
      code: 'InvalidPassword',
    });
    server.requests.length = 0;
    await accounts.changePassword(PASSWORD, 'a brand new passphrase');
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: `${API}/auth/password`,
      auth: 'access',
      body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
    });
    expect((await accounts.refreshUser())?._id).toBe(id);
    await expect(elsewhere.refreshUser()).rejects.toMatchObject({ code: 'InvalidSession' });
    await expect(newAccounts().loginWithPassword(username, PASSWORD)).rejects.toMatchObject({
      code: 'InvalidPassword',
    });
    await newAccounts().loginWithPassword(username, 'a brand new passphrase');
  });

  it('forgotPassword mails a link; resetPassword with it sets the password without logging in', async () => {
    const { username, email, accounts, id } = await signUp('reset');
    server.requests.length = 0;
    await accounts.forgotPassword({ email });
    expect(server.requests[0]).toMatchObject({
      path: `${API}/app/${APP}/auth/providers/local-userpass/reset/send`,
      auth: 'none',
      body: { email },
    });
    const token = await mailed(email, 2); // the confirmation mail came first

    const other = newAccounts();
    await other.resetPassword(token, 'the reset passphrase');
    expect(other.userId()).toBeNull(); // Meteor would be logged in now
    await expect(other.resetPassword(token, 'again a passphrase')).rejects.toMatchObject({
      code: 'UserpassTokenInvalid',
    });
    await expect(other.loginWithPassword(username, PASSWORD)).rejects.toMatchObject({ code: 'InvalidPassword' });
    await other.loginWithPassword(username, 'the reset passphrase');
    expect(other.userId()).toBe(id);
    // The reset ended every session of the user, this App's too: its next call finds out.
    await expect(accounts.refreshUser()).rejects.toMatchObject({ code: 'InvalidSession' });
    expect(accounts.userId()).toBeNull();
    // An unknown address is refused, as App Services and Meteor did (unless the app sets preventAccountEnumeration).
    await expect(accounts.forgotPassword({ email: uniqueEmail('nobody') })).rejects.toMatchObject({
      code: 'UserNotFound',
    });
  });

  it('onLogin (after the document arrived), onLoginFailure and onLogout; stop() ends each', async () => {
    const { username, accounts, id } = await signUp('hooks');
    await accounts.logout();
    const seen: string[] = [];
    const login = accounts.onLogin((details) =>
      seen.push(`login ${details.id} ${details.type} ${accounts.user()?.username}`),
    );
    const failure = accounts.onLoginFailure(({ error }) => seen.push(`failure ${(error as ServerError).code}`));
    const logout = accounts.onLogout((...args: unknown[]) => seen.push(`logout ${args.length}`));

    await expect(accounts.loginWithPassword(username, 'wrong')).rejects.toBeInstanceOf(ServerError);
    await accounts.loginWithPassword(username, PASSWORD);
    await accounts.logout();
    expect(seen).toEqual(['failure InvalidPassword', `login ${id} local-userpass ${username}`, 'logout 0']);

    // Fed from the App's events: a login through the App itself counts too.
    await accounts.app.logIn(Credentials.emailPassword(username, PASSWORD));
    await vi.waitFor(() => expect(seen).toHaveLength(4));
    expect(seen[3]).toBe(`login ${id} local-userpass ${username}`);

    login.stop();
    failure.stop();
    logout.stop();
    await accounts.logout();
    await accounts.loginWithPassword(username, 'wrong', () => {});
    await accounts.loginWithPassword(username, PASSWORD);
    await accounts.logout();
    expect(seen).toHaveLength(4);
  });

  it('loggingIn() is true during a login until the document has arrived; loggingOut() during a logout', async () => {
    const { username } = await signUp('flags');
    const accounts = newAccounts();
    // What user() answers at each moment loggingIn() turns false: the document must be there already.
    const atEnd: Array<MeteorUser | null> = [];
    let before = accounts.loggingIn();
    accounts.app.subscribe(() => {
      if (before && !accounts.loggingIn()) atEnd.push(accounts.user());
      before = accounts.loggingIn();
    });
    expect(accounts.loggingIn()).toBe(false);
    const pending = accounts.loginWithPassword(username, PASSWORD);
    expect(accounts.loggingIn()).toBe(true);
    await pending;
    expect(accounts.loggingIn()).toBe(false);
    expect(atEnd).toEqual([expect.objectContaining({ username })]);

    const out = accounts.logout();
    expect(accounts.loggingOut()).toBe(true);
    await out;
    expect(accounts.loggingOut()).toBe(false);

    const refused = accounts.loginWithPassword(username, 'wrong');
    expect(accounts.loggingIn()).toBe(true);
    await expect(refused).rejects.toBeInstanceOf(ServerError);
    expect(accounts.loggingIn()).toBe(false);
    expect(atEnd).toEqual([expect.objectContaining({ username }), null]);
  });

  it('refetches the document after a token refresh: a confirmation made elsewhere shows', async () => {
    const { email, accounts } = await signUp('refetch');
    await newAccounts().verifyEmail(await mailed(email)); // another App, nobody logged in there
    expect(accounts.user()?.emails[0]?.verified).toBe(false);
    const changes: Array<MeteorUser | null> = [];
    accounts.app.subscribe(() => changes.push(accounts.user()));
    await (accounts.app.currentUser as User).refreshAccessToken();
    await vi.waitFor(() => expect(accounts.user()?.emails[0]?.verified).toBe(true));
    expect(changes.at(-1)).toBe(accounts.user());
  });

  it('user() after a restart, offline, from the cached document; fields project it as Meteor does', async () => {
    const storage = memoryStorage();
    const { username, email, id } = await signUp('restart', newAccounts(storage));
    await server.stop();
    try {
      let requests = 0;
      let pending = 0;
      const accounts = newAccounts(storage, (input, init) => {
        requests++;
        pending++;
        return fetch(input, init).finally(() => pending--);
      });
      expect(accounts.userId()).toBe(id);
      const doc = accounts.user() as MeteorUser;
      expect(doc).toEqual({
        _id: id,
        username,
        emails: [{ address: email, verified: false }],
        profile: { name: 'restart' },
        createdAt: expect.any(Date),
      });
      expect(Object.isFrozen(doc)).toBe(true);
      expect(accounts.user({ fields: { profile: 1 } })).toEqual({ _id: id, profile: { name: 'restart' } });
      expect(accounts.user({ fields: { username: 1, 'emails.address': 1, _id: 0 } })).toEqual({
        username,
        emails: [{ address: email }],
      });
      expect(accounts.user({ fields: { emails: 0, createdAt: 0, profile: 0 } })).toEqual({ _id: id, username });
      expect(accounts.user({ fields: {} })).toEqual(doc);
      expect(() => accounts.user({ fields: { profile: 1, emails: 0 } })).toThrow(TypeError);
      // It tried the network (services, document) and failed quietly; the cache stands.
      await vi.waitFor(() => expect(requests).toBeGreaterThan(0));
      await expect(accounts.refreshUser()).rejects.toThrow();
      expect(accounts.user()).toBe(doc);
      expect(accounts.userId()).toBe(id);
      expect(accounts.loginServicesConfigured()).toBe(false); // which asks again, in vain
      // Requests sent while the server was away fail; let them, before it comes back.
      await vi.waitFor(() => expect(pending).toBe(0));

      await server.start();
      expect((await accounts.refreshUser())?._id).toBe(id);
      await vi.waitFor(() => expect(accounts.loginServicesConfigured()).toBe(true));
    } finally {
      await server.start();
    }
  });

  it('loginServiceConfiguration lists the enabled providers with public fields only; the store tells when it loaded', async () => {
    const accounts = newAccounts();
    expect(accounts.loginServicesConfigured()).toBe(false);
    expect(accounts.loginServiceConfiguration()).toEqual([]);
    await new Promise<void>((resolve) => {
      const stop = accounts.app.subscribe(() => {
        if (accounts.loginServicesConfigured()) resolve(stop());
      });
    });
    const list = accounts.loginServiceConfiguration();
    expect([...list].sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: 'anon-user' },
      {
        type: 'local-userpass',
        password: { minLength: 8, maxLength: 256, rejectCommon: true },
        confirmation: 'auto',
        reset: 'email',
        signUp: true,
      },
      { type: 'oauth2-google', service: 'google', clientId: 'google-client-id.apps.example' },
    ]);
    expect(JSON.stringify(list)).not.toContain(GOOGLE_SECRET);
    expect(server.count('GET', `${API}/app/${APP}/auth/providers`)).toBeGreaterThan(0);
  });

  it('Meteor-style callbacks: called with nothing on success, with the error on failure; the promise resolves', async () => {
    const { username, accounts } = await signUp('callbacks');
    const calls: unknown[][] = [];
    await accounts.logout((...args) => calls.push(args));
    await accounts.loginWithPassword(username, 'wrong', (...args) => calls.push(args));
    await accounts.loginWithPassword(username, PASSWORD, (...args) => calls.push(args));
    await accounts.changePassword('wrong', 'another passphrase 9', (...args) => calls.push(args));
    expect(calls.map((args) => (args[0] as ServerError | undefined)?.code ?? args.length)).toEqual([
      0,
      'InvalidPassword',
      0,
      'InvalidPassword',
    ]);
  });
});
