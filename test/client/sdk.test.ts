import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  type AuthEvent,
  Credentials,
  memoryStorage,
  ServerError,
  type StorageAdapter,
  type User,
} from '@gatehouse-auth/client';
import { fileStorage } from '@gatehouse-auth/client/node';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveGatehouse, startGatehouse, uniqueEmail } from './harness.js';

/**
 * @gatehouse-auth/client against a real Gatehouse on loopback, on SQLite and PostgreSQL: every method the server
 * supports, the wire format, token refresh (single flight, dead refresh token), offline start, several users.
 */

const APP = 'client-app';
const FN_APP = 'client-fn-app';
const JWT_SECRET = 'a shared secret of at least thirty-two characters';
const PASSWORD = 'correct horse battery staple';
const API = '/api/client/v2.0';

describe.each(['sqlite', 'postgres'] as const)('@gatehouse-auth/client against Gatehouse (%s)', (dialect) => {
  let server: LiveGatehouse;
  let plan = 'free';
  let confirmAnswer = 'pending';
  const resetCalls: unknown[][] = [];

  beforeAll(async () => {
    server = await startGatehouse(
      dialect,
      {
        [APP]: {
          name: 'Client SDK',
          providers: {
            'anon-user': {},
            'local-userpass': { confirmation: 'email' },
            'api-key': {},
            'custom-function': { function: 'logInByFunction' },
            'custom-token': { secret: JWT_SECRET, algorithms: ['HS256'] },
          },
        },
        [FN_APP]: {
          providers: {
            'local-userpass': {
              confirmation: 'function',
              confirmationFunction: 'confirm',
              reset: 'function',
              resetFunction: 'reset',
            },
          },
        },
      },
      {
        functions: {
          logInByFunction: (payload: { externalId?: unknown }) => payload.externalId,
          confirm: () => ({ status: confirmAnswer }),
          reset: (...args: unknown[]) => {
            resetCalls.push(args);
            return { status: 'success' };
          },
        },
        hooks: { customData: () => ({ plan, seats: 3 }) },
      },
    );
  });
  afterAll(() => server?.close());

  const newApp = (storage: StorageAdapter = memoryStorage(), id = APP) => new App({ id, baseUrl: server.url, storage });

  /** Registers and confirms (by the mailed link) an email/password account; returns its email. */
  async function account(app: App, label: string): Promise<string> {
    const email = uniqueEmail(label);
    await app.emailPasswordAuth.registerUser({ email, password: PASSWORD });
    await app.emailPasswordAuth.confirmUser(await server.mailedToken(email));
    return email;
  }

  it('logs in anonymously the way realm-web does on the wire: location, login, profile; device id next time', async () => {
    server.requests.length = 0;
    const app = newApp();
    const user = await app.logIn(Credentials.anonymous());
    const [location, login, profile] = server.requests;
    expect(location).toMatchObject({ method: 'GET', path: `${API}/app/${APP}/location`, auth: 'none' });
    expect(location?.contentType).toBeNull();
    expect(login).toMatchObject({
      method: 'POST',
      path: `${API}/app/${APP}/auth/providers/anon-user/login`,
      auth: 'none',
      contentType: 'application/json',
      body: {
        options: {
          device: { sdkVersion: expect.any(String), platform: 'node', platformVersion: process.versions.node },
        },
      },
    });
    expect(Object.keys(login?.body as object)).toEqual(['options']);
    expect(profile).toMatchObject({ method: 'GET', path: `${API}/auth/profile`, auth: 'access', contentType: null });
    expect(server.requests).toHaveLength(3);

    expect(user.state).toBe('active');
    expect(user.isLoggedIn).toBe(true);
    expect(user.id).toMatch(/^[0-9a-f]{24}$/);
    expect(user.providerType).toBe('anon-user');
    expect(user.identities).toEqual([{ id: expect.any(String), providerType: 'anon-user' }]);
    expect(user.deviceId).toMatch(/^[0-9a-f]{24}$/);
    expect(user.customData).toEqual({ plan: 'free', seats: 3 });
    expect(app.currentUser).toBe(user);

    // Reused while logged in: no login request, only the profile (as realm-web).
    server.requests.length = 0;
    expect(await app.logIn(Credentials.anonymous())).toBe(user);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${API}/auth/profile`]);

    // A second login sends the device id back as an ObjectId, in realm-web's key order.
    server.requests.length = 0;
    const other = await app.logIn(Credentials.anonymous(false));
    expect(other.id).not.toBe(user.id);
    const device = (server.requests[0]?.body as { options: { device: Record<string, unknown> } } | undefined)?.options
      .device as Record<string, unknown>;
    expect(Object.keys(device)).toEqual(['sdkVersion', 'platform', 'platformVersion', 'deviceId']);
    expect(device.deviceId).toEqual({ $oid: user.deviceId });
  });

  it('realm-web 2.0.1 bug, fixed here: anonymous() after the anonymous user logged out logs in anew, never `Bearer null`', async () => {
    const app = newApp();
    const first = await app.logIn(Credentials.anonymous());
    await first.logOut();
    expect(first.state).toBe('logged-out');
    server.requests.length = 0;
    const second = await app.logIn(Credentials.anonymous());
    expect(second).not.toBe(first);
    expect(second.isLoggedIn).toBe(true);
    expect(server.requests.some((r) => r.auth.includes('null'))).toBe(false);
    expect(server.requests[0]?.path).toBe(`${API}/app/${APP}/auth/providers/anon-user/login`);
  });

  it('email/password: register, confirm by mailed link, resend, log in, reset by mailed link — no Authorization on those calls', async () => {
    const app = newApp();
    await app.logIn(Credentials.anonymous()); // a current user, whose token realm-web would have sent along
    const email = uniqueEmail('flow');
    server.requests.length = 0;
    await app.emailPasswordAuth.registerUser({ email, password: PASSWORD });
    await expect(app.logIn(Credentials.emailPassword(email, PASSWORD))).rejects.toMatchObject({
      status: 401,
      code: 'AuthError',
    });
    await app.emailPasswordAuth.resendConfirmationEmail({ email });
    await app.emailPasswordAuth.confirmUser(await server.mailedToken(email, 2));
    // Already confirmed: App Services' answer, 400 UserAlreadyConfirmed.
    await expect(app.emailPasswordAuth.resendConfirmationEmail({ email })).rejects.toMatchObject({
      status: 400,
      code: 'UserAlreadyConfirmed',
    });
    const userpass = server.requests.filter((r) => r.path.includes('/local-userpass/') && !r.path.endsWith('/login'));
    expect(userpass.map((r) => [r.path.split('local-userpass/')[1], r.auth])).toEqual([
      ['register', 'none'],
      ['confirm/send', 'none'],
      ['confirm', 'none'],
      ['confirm/send', 'none'],
    ]);
    expect(userpass[0]?.body).toEqual({ email, password: PASSWORD });

    const user = await app.logIn(Credentials.emailPassword(email, PASSWORD));
    expect(user.profile.email).toBe(email);
    expect(user.providerType).toBe('local-userpass');
    expect(user.identities.map((i) => i.providerType)).toEqual(['local-userpass']);

    await app.emailPasswordAuth.sendResetPasswordEmail({ email });
    await app.emailPasswordAuth.resetPassword({
      ...(await server.mailedToken(email, 3)),
      password: 'a new passphrase 42',
    });
    const refused = await app.logIn(Credentials.emailPassword(email, PASSWORD)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServerError);
    expect(refused).toMatchObject({
      code: 'InvalidPassword',
      errorCode: 'InvalidPassword',
      status: 401,
      statusCode: 401,
      error: 'invalid username/password',
    });
    expect((await app.logIn(Credentials.emailPassword(email, 'a new passphrase 42'))).id).toBe(user.id);

    await expect(app.emailPasswordAuth.registerUser({ email, password: PASSWORD })).rejects.toMatchObject({
      code: 'AccountNameInUse',
      status: 409,
    });
    await expect(
      app.emailPasswordAuth.confirmUser({ token: 'x', tokenId: '0123456789abcdef01234567' }),
    ).rejects.toMatchObject({ code: 'UserpassTokenInvalid' });
  });

  it('email/password by function: retryCustomConfirmation and callResetPasswordFunction (arguments as EJSON)', async () => {
    const app = newApp(memoryStorage(), FN_APP);
    const email = uniqueEmail('fn');
    confirmAnswer = 'pending';
    await app.emailPasswordAuth.registerUser({ email, password: PASSWORD });
    await expect(app.logIn(Credentials.emailPassword(email, PASSWORD))).rejects.toMatchObject({ code: 'AuthError' });
    confirmAnswer = 'success';
    await app.emailPasswordAuth.retryCustomConfirmation({ email });
    const user = await app.logIn(Credentials.emailPassword(email, PASSWORD));

    server.requests.length = 0;
    await app.emailPasswordAuth.callResetPasswordFunction({ email, password: 'reset by function 7' }, 42, {
      answer: 'blue',
    });
    expect(server.requests[0]?.body).toEqual({
      email,
      password: 'reset by function 7',
      arguments: [{ $numberInt: '42' }, { answer: 'blue' }],
    });
    expect(resetCalls.at(-1)?.slice(1)).toEqual([42, { answer: 'blue' }]);
    expect((await app.logIn(Credentials.emailPassword(email, 'reset by function 7'))).id).toBe(user.id);
  });

  it('several users on one device: switchUser makes no request; logOut, removeUser, deleteUser', async () => {
    const app = newApp();
    const aliceEmail = await account(app, 'alice');
    const bobEmail = await account(app, 'bob');
    const alice = await app.logIn(Credentials.emailPassword(aliceEmail, PASSWORD));
    const bob = await app.logIn(Credentials.emailPassword(bobEmail, PASSWORD));
    const anon = await app.logIn(Credentials.anonymous(false));
    expect(app.currentUser).toBe(anon);
    expect(Object.keys(app.allUsers)).toEqual([anon.id, bob.id, alice.id]);

    server.requests.length = 0;
    app.switchUser(alice);
    expect(app.currentUser).toBe(alice);
    expect(Object.keys(app.allUsers)).toEqual([alice.id, anon.id, bob.id]);
    expect(server.requests).toHaveLength(0);

    await alice.logOut();
    expect(server.requests.map((r) => [r.method, r.path, r.auth])).toEqual([
      ['DELETE', `${API}/auth/session`, 'refresh'],
    ]);
    expect(alice.state).toBe('logged-out');
    expect(alice.accessToken).toBeNull();
    expect(alice.profile.email).toBe(aliceEmail); // kept, as realm-web keeps it
    expect(app.currentUser).toBe(anon);
    expect(app.allUsers[alice.id]).toBe(alice);
    await alice.logOut(); // nothing to do: no request
    expect(server.requests).toHaveLength(1);

    await app.removeUser(alice);
    expect(alice.state).toBe('removed');
    expect(app.allUsers[alice.id]).toBeUndefined();
    expect(() => app.switchUser(alice)).toThrow(TypeError);

    // realm-web 2.0.1 bug, fixed here: deleteUser(bob) while anon is current deletes bob, with bob's own token.
    server.requests.length = 0;
    await app.deleteUser(bob);
    expect(server.requests.map((r) => [r.method, r.path, r.auth])).toEqual([
      ['DELETE', `${API}/auth/delete`, 'access'],
    ]);
    expect(bob.state).toBe('removed');
    await expect(app.logIn(Credentials.emailPassword(bobEmail, PASSWORD))).rejects.toMatchObject({
      code: 'InvalidPassword',
    });
    expect(app.currentUser).toBe(anon);
    await anon.refreshProfile(); // still fine
    await app.removeUser(anon);
    expect(app.currentUser).toBeNull();
    expect(app.allUsers).toEqual({});
  });

  it('API keys: create, fetch, fetchAll, disable, enable, log in with one, delete', async () => {
    const app = newApp();
    const owner = await app.logIn(Credentials.emailPassword(await account(app, 'keys'), PASSWORD));
    server.requests.length = 0;
    const created = await owner.apiKeys.create('build server');
    expect(created).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
      key: expect.any(String),
      name: 'build server',
      disabled: false,
    });
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: `${API}/auth/api_keys`,
      auth: 'refresh',
      body: { name: 'build server' },
    });
    expect(await owner.apiKeys.fetch(created._id)).toEqual({ _id: created._id, name: 'build server', disabled: false });
    expect(await owner.apiKeys.fetchAll()).toEqual([{ _id: created._id, name: 'build server', disabled: false }]);

    await owner.apiKeys.disable(created._id);
    expect((await owner.apiKeys.fetch(created._id)).disabled).toBe(true);
    await expect(newApp().logIn(Credentials.apiKey(created.key))).rejects.toBeInstanceOf(ServerError);
    await owner.apiKeys.enable(created._id);

    // Logging in with the key gives the owner — the same User object in this app (as in realm-web).
    const viaKey = await app.logIn(Credentials.apiKey(created.key));
    expect(viaKey).toBe(owner);
    expect(viaKey.providerType).toBe('local-userpass');
    // The session now rests on that key, and the key in use cannot be deleted.
    await expect(owner.apiKeys.delete(created._id)).rejects.toMatchObject({ code: 'Forbidden', status: 403 });
    await app.logIn(Credentials.emailPassword(owner.profile.email as string, PASSWORD));

    await owner.apiKeys.delete(created._id);
    expect(await owner.apiKeys.fetchAll()).toEqual([]);
    await expect(owner.apiKeys.fetch(created._id)).rejects.toMatchObject({ code: 'APIKeyNotFound', status: 404 });
    expect(() => owner.apiKeys.fetch('')).toThrow(TypeError);
  });

  it('sessions: list every device, end one, end all others — this device stays signed in', async () => {
    const email = await account(newApp(), 'sessions');
    const [here, phone, laptop] = [newApp(), newApp(), newApp()];
    const user = await here.logIn(Credentials.emailPassword(email, PASSWORD));
    const onPhone = await phone.logIn(Credentials.emailPassword(email, PASSWORD));
    const onLaptop = await laptop.logIn(Credentials.emailPassword(email, PASSWORD));
    server.requests.length = 0;
    const sessions = await user.sessions.list();
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: `${API}/auth/sessions`, auth: 'access' });
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions[0]).toEqual({
      id: expect.any(String),
      deviceId: expect.stringMatching(/^[0-9a-f]{24}$/),
      providerType: 'local-userpass',
      kind: 'refresh',
      createdAt: expect.any(Date),
      lastUsedAt: expect.any(Date),
      expiresAt: expect.any(Date),
      current: expect.any(Boolean),
    });
    expect(sessions.every((s) => s.expiresAt > s.createdAt)).toBe(true);

    // The phone's session ends: its next refresh is refused and the phone's app logs the user out.
    const phoneSession = (await onPhone.sessions.list()).find((s) => s.current);
    await user.sessions.revoke(phoneSession!.id);
    await expect(onPhone.refreshAccessToken()).rejects.toMatchObject({ code: 'InvalidSession' });
    expect(onPhone.isLoggedIn).toBe(false);
    await expect(user.sessions.revoke(phoneSession!.id)).rejects.toMatchObject({ code: 'NotFound', status: 404 });
    expect(() => user.sessions.revoke('')).toThrow(TypeError);

    expect(await user.sessions.revokeOthers()).toBe(1);
    await expect(onLaptop.refreshAccessToken()).rejects.toMatchObject({ code: 'InvalidSession' });
    const left = await user.sessions.list();
    expect(left.map((s) => s.current)).toEqual([true]);
    expect(user.isLoggedIn).toBe(true);
  });

  it('linkCredentials adds an identity and keeps the session', async () => {
    const app = newApp();
    const user = await app.logIn(Credentials.anonymous(false));
    const refreshToken = user.refreshToken;
    const email = await account(app, 'link');
    server.requests.length = 0;
    await user.linkCredentials(Credentials.emailPassword(email, PASSWORD));
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: `${API}/app/${APP}/auth/providers/local-userpass/login?link=true`,
      auth: 'access',
    });
    expect(user.identities.map((i) => i.providerType)).toEqual(['anon-user', 'local-userpass']);
    expect(user.refreshToken).toBe(refreshToken);
    expect((await newApp().logIn(Credentials.emailPassword(email, PASSWORD))).id).toBe(user.id);
    await expect(user.linkCredentials(Credentials.anonymous())).rejects.toMatchObject({ code: 'InvalidParameter' });
  });

  it('custom function and custom JWT credentials', async () => {
    const app = newApp();
    server.requests.length = 0;
    const byFunction = await app.logIn(
      Credentials.function({ externalId: `fn-${dialect}`, attempt: 1, at: new Date(0) }),
    );
    expect(server.requests[1]?.body).toMatchObject({
      externalId: `fn-${dialect}`,
      attempt: { $numberInt: '1' },
      at: { $date: { $numberLong: '0' } },
    });
    expect(byFunction.providerType).toBe('custom-function');
    expect((await app.logIn(Credentials.function({ externalId: `fn-${dialect}` }))).id).toBe(byFunction.id);

    const token = await new SignJWT({ name: 'Jay' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`jwt-${dialect}`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const byJwt = await app.logIn(Credentials.jwt(token));
    expect(byJwt.providerType).toBe('custom-token');
    expect(byJwt.identities.map((i) => i.providerType)).toEqual(['custom-token']);
  });

  it('refreshes once for N concurrent calls whose access token has expired (single flight), then not again', async () => {
    // The server's clock an hour behind: its tokens look expired to an App that has not yet measured the
    // skew (one just started from storage), while the server still accepts them.
    server.setClockOffset(-3_600_000);
    const storage = memoryStorage();
    const user = await newApp(storage).logIn(Credentials.anonymous(false));
    // A restart: the new App has not measured the server's clock, so the token (issued by a server whose
    // clock is an hour behind) looks expired to it and is refreshed before use.
    const app = newApp(storage);
    const restored = app.currentUser as User;
    expect(restored.id).toBe(user.id);
    server.requests.length = 0;
    await Promise.all(Array.from({ length: 8 }, () => restored.refreshProfile()));
    expect(server.count('POST', `${API}/auth/session`)).toBe(1);
    expect(server.count('GET', `${API}/auth/profile`)).toBe(8);
    expect(server.requests.filter((r) => r.path === `${API}/auth/profile`).every((r) => r.auth === 'access')).toBe(
      true,
    );
    await restored.refreshProfile();
    expect(server.count('POST', `${API}/auth/session`)).toBe(1);
  });

  it('on a 401 InvalidSession refreshes once for all concurrent calls and retries each once', async () => {
    server.setClockOffset(0);
    const app = newApp();
    const user = await app.logIn(Credentials.anonymous(false));
    const events: AuthEvent[] = [];
    app.on('tokenRefreshed', (e) => events.push(e));
    const before = user.accessToken;
    server.advance(31 * 60_000); // the server now finds the access token expired
    server.requests.length = 0;
    await Promise.all(Array.from({ length: 6 }, () => user.refreshProfile()));
    expect(server.count('POST', `${API}/auth/session`)).toBe(1);
    expect(server.count('GET', `${API}/auth/profile`)).toBe(12); // 6 refused, 6 retried
    expect(user.accessToken).not.toBe(before);
    expect(events).toEqual([{ type: 'tokenRefreshed', user }]);
  });

  it('a dead refresh token logs the user out locally, emits loggedOut (sessionEnded) and never loops', async () => {
    server.setClockOffset(0);
    const app = newApp();
    const other = await app.logIn(Credentials.anonymous(false));
    const user = await app.logIn(Credentials.anonymous(false));
    const loggedOut: AuthEvent[] = [];
    const changed: Array<User | null> = [];
    app.on('loggedOut', (e) => loggedOut.push(e));
    app.on('userChanged', (e) => changed.push(e.user));
    // The session ends elsewhere (another device logged it out, an admin revoked it).
    await fetch(`${server.url}${API}/auth/session`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${user.refreshToken}` },
    });
    server.advance(31 * 60_000);
    server.requests.length = 0;
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => user.refreshProfile()));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'InvalidSession', status: 401 });
    expect(server.count('POST', `${API}/auth/session`)).toBe(1);
    expect(server.count('GET', `${API}/auth/profile`)).toBe(4);
    expect(user.state).toBe('logged-out');
    expect(loggedOut).toEqual([{ type: 'loggedOut', user, reason: 'sessionEnded' }]);
    expect(changed).toEqual([other]);
    expect(app.currentUser).toBe(other);
    // Logged out: later calls are refused locally, without a request.
    server.requests.length = 0;
    await expect(user.refreshProfile()).rejects.toMatchObject({ code: 'InvalidSession' });
    await expect(user.apiKeys.fetchAll()).rejects.toMatchObject({ code: 'InvalidSession' });
    expect(server.requests).toHaveLength(0);
  });

  it('a refresh-token call (API keys) answered 401 logs the user out too', async () => {
    const app = newApp();
    const user = await app.logIn(Credentials.emailPassword(await account(app, 'deadkeys'), PASSWORD));
    await fetch(`${server.url}${API}/auth/session`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${user.refreshToken}` },
    });
    await expect(user.apiKeys.fetchAll()).rejects.toMatchObject({ code: 'InvalidSession' });
    expect(user.state).toBe('logged-out');
  });

  it('offline start: the cached users and profiles come back without the server; calls resume when it is back', async () => {
    server.setClockOffset(0);
    const storage = memoryStorage();
    const first = newApp(storage);
    const email = await account(first, 'offline');
    const named = await first.logIn(Credentials.emailPassword(email, PASSWORD));
    const anon = await first.logIn(Credentials.anonymous(false));
    first.switchUser(named);

    await server.stop();
    try {
      let requests = 0;
      const app = new App({
        id: APP,
        baseUrl: server.url,
        storage,
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      });
      const current = app.currentUser as User;
      expect(current.id).toBe(named.id);
      expect(current.profile.email).toBe(email);
      expect(current.identities).toEqual(named.identities);
      expect(current.customData).toEqual({ plan: 'free', seats: 3 });
      expect(Object.keys(app.allUsers)).toEqual([named.id, anon.id]);
      app.switchUser(app.allUsers[anon.id] as User);
      app.switchUser(current);
      expect(requests).toBe(0);
      // No network: the call fails, and the user stays logged in.
      await expect(current.refreshProfile()).rejects.toThrow();
      expect(current.isLoggedIn).toBe(true);

      // Back, a while later: the cached access token has expired meanwhile.
      server.advance(31 * 60_000);
      await server.start();
      server.requests.length = 0;
      await current.refreshProfile();
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${API}/app/${APP}/location`,
        `GET ${API}/auth/profile`, // refused: expired
        `POST ${API}/auth/session`,
        `GET ${API}/auth/profile`,
      ]);
      expect(current.isLoggedIn).toBe(true);
    } finally {
      await server.start();
    }
  });

  it('fileStorage keeps users across processes in a 0600 file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-client-'));
    try {
      const path = join(dir, 'nested', 'auth.json');
      const user = await newApp(fileStorage(path)).logIn(Credentials.anonymous(false));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const again = newApp(fileStorage(path));
      expect(again.currentUser?.id).toBe(user.id);
      expect(again.currentUser?.identities).toEqual(user.identities);
      await again.removeUser(again.currentUser as User);
      expect(newApp(fileStorage(path)).currentUser).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the store: stable snapshots, loggingIn / loggingOut, and the events', async () => {
    const app = newApp();
    const snapshots: ReturnType<App['getSnapshot']>[] = [];
    const unsubscribe = app.subscribe(() => snapshots.push(app.getSnapshot()));
    const events: string[] = [];
    for (const type of ['userChanged', 'loggedIn', 'loggedOut', 'tokenRefreshed', 'customDataChanged'] as const)
      app.on(type, (e) => events.push(`${e.type}${'reason' in e ? `:${e.reason}` : ''}`));
    expect(app.getSnapshot()).toBe(app.getSnapshot());

    const pending = app.logIn(Credentials.anonymous(false));
    expect(app.getSnapshot().loggingIn).toBe(true);
    const user = await pending;
    const after = app.getSnapshot();
    expect(after).toMatchObject({ currentUser: user, users: [user], loggingIn: false, loggingOut: false });
    expect(app.getSnapshot()).toBe(after);
    expect(events).toEqual(['userChanged', 'loggedIn']);

    plan = 'pro';
    try {
      expect(await user.refreshCustomData()).toEqual({ plan: 'pro', seats: 3 });
    } finally {
      plan = 'free';
    }
    expect(events.slice(2)).toEqual(['tokenRefreshed', 'customDataChanged']);

    const out = user.logOut();
    expect(app.getSnapshot().loggingOut).toBe(true);
    await out;
    expect(app.getSnapshot()).toMatchObject({ currentUser: null, loggingOut: false });
    expect(events.slice(4)).toEqual(['loggedOut:logOut', 'userChanged']);
    expect(new Set(snapshots).size).toBe(snapshots.length);
    unsubscribe();
    const count = snapshots.length;
    await app.removeUser(user);
    expect(snapshots).toHaveLength(count);
  });

  it('errors: TypeError at the call for misuse; server refusals carry code, status and message, never a token', async () => {
    const app = newApp();
    expect(() => new App({ id: '', baseUrl: server.url })).toThrow(TypeError);
    expect(() => new App({ id: APP, baseUrl: 'not a url' })).toThrow(TypeError);
    expect(() => new App({ id: APP, baseUrl: server.url, storage: {} as StorageAdapter })).toThrow(TypeError);
    expect(() => app.logIn({ providerType: 'anon-user' } as unknown as Credentials)).toThrow(TypeError);
    expect(() => Credentials.emailPassword('', 'x')).toThrow(TypeError);
    expect(() => Credentials.google({ idToken: 'a', authCode: 'b' } as never)).toThrow(TypeError);
    expect(() => app.emailPasswordAuth.registerUser({ email: 'x@example.com' } as never)).toThrow(TypeError);
    expect(() => app.switchUser({} as User)).toThrow(TypeError);

    const user = await app.logIn(Credentials.anonymous(false));
    const error = (await user.apiKeys.fetch('0123456789abcdef01234567').catch((e: unknown) => e)) as ServerError;
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ name: 'GatehouseError', code: 'APIKeyNotFound', status: 404, method: 'GET' });
    expect(error.message).toContain('API key not found');
    for (const token of [user.accessToken, user.refreshToken] as string[]) {
      expect(error.message).not.toContain(token);
      expect(JSON.stringify({ ...error })).not.toContain(token);
    }
  });
});
