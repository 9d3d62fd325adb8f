import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './app.js';
import { Credentials } from './credentials.js';
import { ServerError } from './errors.js';
import { defaultStorage, memoryStorage, webStorage } from './storage.js';
import { fakeServer, json, jwt } from './test-server.js';
import type { User } from './user.js';

const BASE = 'https://gatehouse.test';

function appOn(server = fakeServer(), storage = memoryStorage()) {
  return { server, storage, app: new App({ id: 'unit-app', baseUrl: `${BASE}/`, fetch: server.fetch, storage }) };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('App (against a scripted server)', () => {
  it('uses baseUrl without its trailing slash, then the hostname of the location request', async () => {
    const server = fakeServer('https://elsewhere.test/');
    const { app } = appOn(server);
    expect(app.baseUrl).toBe(BASE);
    await app.logIn(Credentials.anonymous());
    expect(server.calls.map((c) => c.url)).toEqual([
      `${BASE}/api/client/v2.0/app/unit-app/location`,
      'https://elsewhere.test/api/client/v2.0/app/unit-app/auth/providers/anon-user/login',
      'https://elsewhere.test/api/client/v2.0/auth/profile',
    ]);
    expect(server.calls[0]?.headers).toEqual({ Accept: 'application/json' });
  });

  it('skipLocationRequest sends everything to baseUrl', async () => {
    const server = fakeServer();
    const app = new App({ id: 'unit-app', baseUrl: BASE, fetch: server.fetch, skipLocationRequest: true });
    await app.logIn(Credentials.anonymous(), false);
    expect(server.calls.map((c) => c.url)).toEqual([
      `${BASE}/api/client/v2.0/app/unit-app/auth/providers/anon-user/login`,
    ]);
  });

  it('maps profile keys as realm-web does and decodes Extended JSON in them', async () => {
    const { app } = appOn();
    const user = await app.logIn(Credentials.anonymous());
    expect(user.profile).toEqual({ firstName: 'Ada', pictureUrl: 'https://x/p.png', n: 5 });
    expect(user.identities).toEqual([{ id: 'x', providerType: 'anon-user' }]);
  });

  it('emits loginFailed with the error of a refused login, and changes nothing else', async () => {
    const server = fakeServer();
    server.answer('POST /api/client/v2.0/app/unit-app/auth/providers/local-userpass/login', () =>
      json({ error: 'invalid username/password', error_code: 'InvalidPassword' }, 401),
    );
    const { app } = appOn(server);
    const anonymous = await app.logIn(Credentials.anonymous());
    const events: unknown[] = [];
    for (const type of ['loginFailed', 'loggedIn', 'userChanged'] as const) app.on(type, (e) => events.push(e));
    const refused = await app.logIn(Credentials.emailPassword('ada', 'wrong')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServerError);
    expect(events).toEqual([{ type: 'loginFailed', providerType: 'local-userpass', error: refused }]);
    expect(app.currentUser).toBe(anonymous);
  });

  it('asks the location again after it failed', async () => {
    const server = fakeServer();
    let fail = true;
    server.answer('GET /api/client/v2.0/app/unit-app/location', () =>
      fail ? json({ error: 'down', error_code: 'ServiceBusy' }, 503) : json({ hostname: BASE }),
    );
    const { app } = appOn(server);
    await expect(app.logIn(Credentials.anonymous())).rejects.toMatchObject({ code: 'ServiceBusy', status: 503 });
    fail = false;
    await app.logIn(Credentials.anonymous());
    expect(server.calls.filter((c) => c.url.endsWith('/location'))).toHaveLength(2);
  });

  it('measures the clock skew from iat: a device whose clock is an hour behind neither refreshes every call nor misses expiry', async () => {
    const server = fakeServer();
    server.now += 3600; // the server is an hour ahead of this device
    const { app } = appOn(server);
    const user = await app.logIn(Credentials.anonymous());
    await user.refreshProfile();
    await user.refreshProfile();
    expect(server.calls.filter((c) => c.url.endsWith('/auth/session'))).toHaveLength(0);
    server.now += 1800; // the token has expired by the server's clock: the next call refreshes first
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 1800_000);
    try {
      await user.refreshProfile();
    } finally {
      vi.restoreAllMocks();
    }
    expect(server.calls.filter((c) => c.url.endsWith('/auth/session'))).toHaveLength(1);
  });

  it('getAccessToken() refreshes an expiring token once for concurrent callers', async () => {
    const server = fakeServer();
    let seconds = 0;
    server.answer('POST /api/client/v2.0/app/unit-app/auth/providers/anon-user/login', () =>
      json({
        access_token: jwt({ iat: server.now, exp: server.now + 1800 }),
        refresh_token: jwt({ iat: server.now, exp: server.now + 999 }),
        user_id: '0123456789abcdef01234567',
        device_id: '000000000000000000000000',
      }),
    );
    server.answer('POST /api/client/v2.0/auth/session', () => {
      seconds++;
      return json({ access_token: jwt({ iat: server.now, exp: server.now + 1800, n: seconds }) }, 201);
    });
    const { app, storage } = appOn(server);
    const user = await app.logIn(Credentials.anonymous(), false);
    expect(user.deviceId).toBeNull();
    expect(storage.get('app(unit-app):deviceId')).toBeNull(); // all zeros is "no device"
    expect(await user.getAccessToken()).toBe(user.accessToken);
    expect(seconds).toBe(0);
    // 29m50s later the token is within the margin of its expiry.
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 1790_000);
    server.now += 1790;
    try {
      const tokens = await Promise.all([user.getAccessToken(), user.getAccessToken(), user.getAccessToken()]);
      expect(new Set(tokens).size).toBe(1);
      expect(seconds).toBe(1);
      expect(await user.getAccessToken()).toBe(tokens[0]);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('a token that is no JWT is used until the server refuses it', async () => {
    const server = fakeServer();
    server.answer('POST /api/client/v2.0/app/unit-app/auth/providers/anon-user/login', () =>
      json({ access_token: 'opaque', refresh_token: 'opaque-refresh', user_id: 'u1', device_id: 'd' }),
    );
    const { app } = appOn(server);
    const user = await app.logIn(Credentials.anonymous());
    expect(user.customData).toEqual({});
    expect(user.deviceId).toBeNull();
    expect(server.calls.filter((c) => c.url.endsWith('/auth/session'))).toHaveLength(0);
  });

  it('a login answer without the promised fields is refused', async () => {
    const server = fakeServer();
    server.answer('POST /api/client/v2.0/app/unit-app/auth/providers/anon-user/login', () => json({ user_id: 'x' }));
    await expect(appOn(server).app.logIn(Credentials.anonymous())).rejects.toMatchObject({
      code: 'InternalServerError',
    });
  });

  it('server errors: the code when known, else one from the status; the raw error_code kept', async () => {
    const server = fakeServer();
    server.answer('GET /api/client/v2.0/auth/profile', () =>
      json({ error: 'custom', error_code: 'SomethingNew', link: 'https://logs' }, 400),
    );
    const { app } = appOn(server);
    const error = await app.logIn(Credentials.anonymous()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({
      code: 'BadRequest',
      errorCode: 'SomethingNew',
      error: 'custom',
      link: 'https://logs',
    });
    expect((error as Error).message).toBe(
      `Request failed (GET ${BASE}/api/client/v2.0/auth/profile): custom (status 400)`,
    );
    server.answer('GET /api/client/v2.0/auth/profile', () => new Response('<html>', { status: 502 }));
    await expect(app.currentUser?.refreshProfile()).rejects.toMatchObject({
      code: 'InternalServerError',
      error: undefined,
    });
  });

  it('user and app listeners, toJSON without tokens', async () => {
    const { app } = appOn();
    const changes: string[] = [];
    const appListener = () => changes.push('app');
    app.addListener(appListener);
    const user = await app.logIn(Credentials.anonymous());
    const userListener = () => changes.push('user');
    user.addListener(userListener);
    await user.refreshAccessToken();
    expect(changes.filter((c) => c === 'user')).toHaveLength(1);
    app.removeAllListeners();
    user.removeAllListeners();
    changes.length = 0;
    await user.refreshAccessToken();
    expect(changes).toEqual([]);
    const text = JSON.stringify(user);
    expect(text).not.toContain(user.accessToken as string);
    expect(text).not.toContain(user.refreshToken as string);
    expect(JSON.parse(text)).toMatchObject({ id: user.id, state: 'active', providerType: 'anon-user' });
  });

  it('switchUser and the order persist: a restart has the same current user', async () => {
    const storage = memoryStorage();
    const first = fakeServer();
    const a = await appOn(first, storage).app.logIn(Credentials.anonymous());
    const second = fakeServer();
    const { app } = appOn(second, storage);
    const b = await app.logIn(Credentials.anonymous(false));
    expect(Object.keys(app.allUsers)).toEqual([b.id, a.id]);
    app.switchUser(app.allUsers[a.id] as User);
    const restarted = appOn(fakeServer(), storage).app;
    expect(restarted.currentUser?.id).toBe(a.id);
    expect(JSON.parse(storage.get('app(unit-app):userIds') as string)).toEqual([a.id, b.id]);
  });
});

describe('custom data', () => {
  it('customDataChanged on a refresh and on a new login of a known user, not on a first login', async () => {
    const server = fakeServer();
    let plan = 'free';
    const token = () =>
      jwt({ sub: 'u', iat: server.now, exp: server.now + 1800, user_data: { plan, seats: { $numberInt: '3' } } });
    server.answer('POST /api/client/v2.0/app/unit-app/auth/providers/anon-user/login', () =>
      json({ access_token: token(), refresh_token: 'r', user_id: 'dddddddddddddddddddddddd', device_id: 'x' }),
    );
    server.answer('POST /api/client/v2.0/auth/session', () => json({ access_token: token() }, 201));
    const { app } = appOn(server);
    const seen: unknown[] = [];
    app.on('customDataChanged', (e) => seen.push(e.customData));
    const user = await app.logIn(Credentials.anonymous(false), false);
    expect(user.customData).toEqual({ plan: 'free', seats: 3 });
    expect(user.customData).toBe(user.customData); // the same object until the token changes
    await user.refreshAccessToken();
    expect(seen).toEqual([]);
    plan = 'pro';
    await user.refreshAccessToken();
    plan = 'team';
    await app.logIn(Credentials.anonymous(false), false);
    expect(seen).toEqual([
      { plan: 'pro', seats: 3 },
      { plan: 'team', seats: 3 },
    ]);
  });
});

describe('storage adapters', () => {
  it('webStorage prefixes keys (realm-web by default) and drops writes the browser refuses', () => {
    const values = new Map<string, string>();
    const store = {
      getItem: (k: string) => values.get(k) ?? null,
      setItem: (k: string, v: string) => {
        if (v === 'too big') throw new Error('QuotaExceededError');
        values.set(k, v);
      },
      removeItem: (k: string) => void values.delete(k),
    };
    const storage = webStorage(store);
    storage.set('a', '1');
    expect(values.get('realm-web:a')).toBe('1');
    expect(() => storage.set('b', 'too big')).not.toThrow();
    webStorage(store, 'mine').set('a', '2');
    expect(values.get('mine:a')).toBe('2');
    storage.remove('a');
    expect(storage.get('a')).toBeNull();
  });

  it('defaultStorage: localStorage when there is one, else one memory storage for the process', () => {
    expect(defaultStorage()).toBe(defaultStorage());
    const values = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => values.get(k) ?? null,
      setItem: (k: string, v: string) => values.set(k, v),
      removeItem: (k: string) => values.delete(k),
    });
    defaultStorage().set('x', 'y');
    expect(values.get('realm-web:x')).toBe('y');
    vi.stubGlobal('localStorage', {
      getItem: () => {
        throw new Error('SecurityError');
      },
    });
    expect(defaultStorage()).toBe(defaultStorage());
  });

  it('hydrates what realm-web 2.0.1 stored, and skips a user without a provider type', () => {
    const storage = memoryStorage();
    const access = jwt({ sub: 'u', iat: 1, exp: 2, user_data: { plan: { $numberInt: '3' } } });
    storage.set('app(unit-app):userIds', JSON.stringify(['aaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbb']));
    storage.set('app(unit-app):user(aaaaaaaaaaaaaaaaaaaaaaaa):accessToken', access);
    storage.set('app(unit-app):user(aaaaaaaaaaaaaaaaaaaaaaaa):refreshToken', 'r');
    storage.set('app(unit-app):user(aaaaaaaaaaaaaaaaaaaaaaaa):providerType', 'local-userpass');
    storage.set(
      'app(unit-app):user(aaaaaaaaaaaaaaaaaaaaaaaa):profile',
      JSON.stringify({
        type: 'normal',
        identities: [{ id: 'i', providerType: 'local-userpass' }],
        data: { email: 'a@x' },
      }),
    );
    storage.set('app(unit-app):user(bbbbbbbbbbbbbbbbbbbbbbbb):refreshToken', 'r2');
    const app = new App({ id: 'unit-app', baseUrl: BASE, storage, fetch: fakeServer().fetch });
    expect(Object.keys(app.allUsers)).toEqual(['aaaaaaaaaaaaaaaaaaaaaaaa']);
    const user = app.currentUser as User;
    expect(user.profile).toEqual({ email: 'a@x' });
    expect(user.customData).toEqual({ plan: 3 });
    expect(user.state).toBe('active');
  });

  it('survives damaged storage', () => {
    const storage = memoryStorage();
    storage.set('app(unit-app):userIds', '{not json');
    expect(new App({ id: 'unit-app', baseUrl: BASE, storage }).currentUser).toBeNull();
    storage.set('app(unit-app):userIds', JSON.stringify(['cccccccccccccccccccccccc', 7]));
    storage.set('app(unit-app):user(cccccccccccccccccccccccc):providerType', 'anon-user');
    storage.set('app(unit-app):user(cccccccccccccccccccccccc):profile', '{broken');
    const app = new App({ id: 'unit-app', baseUrl: BASE, storage });
    expect(app.allUsers.cccccccccccccccccccccccc?.state).toBe('logged-out');
    expect(app.allUsers.cccccccccccccccccccccccc?.profile).toEqual({});
  });
});

it('SDK_VERSION is the package version', async () => {
  const { readFileSync } = await import('node:fs');
  const { SDK_VERSION } = await import('./version.js');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(SDK_VERSION).toBe(pkg.version);
});

describe('argument misuse throws a TypeError at the call', () => {
  it('constructor, logIn, switchUser, removeUser, deleteUser, linkCredentials', async () => {
    expect(() => new App(undefined as never)).toThrow(TypeError);
    expect(() => new App({ id: 'x' })).toThrow(TypeError); // no baseUrl outside a browser
    expect(() => new App({ id: 'x', baseUrl: BASE, fetch: 'no' as never })).toThrow(TypeError);
    const { app } = appOn();
    expect(() => app.logIn('anon' as never)).toThrow(TypeError);
    expect(() => app.removeUser(undefined as never)).toThrow(TypeError);
    expect(() => app.deleteUser({} as never)).toThrow(TypeError);
    const user = await app.logIn(Credentials.anonymous());
    await expect(user.linkCredentials({} as never)).rejects.toThrow(TypeError);
    expect(() => user.apiKeys.create('' as never)).toThrow(TypeError);
  });
});
