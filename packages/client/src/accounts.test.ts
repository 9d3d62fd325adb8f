import { describe, expect, it } from 'vitest';
import { createAccounts, linkToken, loginName } from './accounts.js';
import { App } from './app.js';
import { Credentials } from './credentials.js';
import { type MeteorUser, parseMeteorUser, projection } from './meteor-user.js';
import { memoryStorage } from './storage.js';
import { fakeServer, json } from './test-server.js';

const ID = '0123456789abcdef01234567';
const DOC: MeteorUser = parseMeteorUser(
  {
    _id: ID,
    username: 'ada',
    emails: [
      { address: 'ada@example.com', verified: true },
      { address: 'ada@work.example', verified: false },
    ],
    profile: { name: 'Ada', address: { city: 'London', zip: 'N1' } },
    createdAt: 1_700_000_000_000,
  },
  ID,
);

describe('loginName (Meteor selector rule)', () => {
  it('takes a username, an email, { username } and { email }', () => {
    expect(loginName('ada')).toBe('ada');
    expect(loginName('ada@example.com')).toBe('ada@example.com');
    expect(loginName({ username: 'ada' })).toBe('ada');
    expect(loginName({ email: 'ada@example.com' })).toBe('ada@example.com');
  });

  it('refuses { id } with the reason, selectors that contradict themselves, and junk', () => {
    expect(() => loginName({ id: ID })).toThrow(/not possible over HTTP/);
    expect(() => loginName({ username: 'a@b.c' })).toThrow(TypeError);
    expect(() => loginName({ email: 'ada' })).toThrow(TypeError);
    for (const bad of ['', {}, { username: '' }, { username: 'a', email: 'a@b.c' }, null, 7, ['ada']])
      expect(() => loginName(bad)).toThrow(TypeError);
  });
});

describe('linkToken ("<tokenId>.<token>")', () => {
  it('splits at the first dot', () => {
    expect(linkToken(`${ID}.abc-DEF_123`)).toEqual({ tokenId: ID, token: 'abc-DEF_123' });
  });

  it('refuses other shapes without repeating the secret', () => {
    for (const bad of ['secret-token-value', '.secret-token-value', `${ID}.`, '', null, 42]) {
      const error = (() => {
        try {
          linkToken(bad);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).not.toContain('secret-token-value');
    }
  });
});

describe('parseMeteorUser', () => {
  it('makes createdAt a Date, defaults profile, keeps other fields', () => {
    expect(DOC.createdAt).toEqual(new Date(1_700_000_000_000));
    const bare = parseMeteorUser({ _id: ID, emails: [], createdAt: 5, extra: true }, ID);
    expect(bare).toEqual({ _id: ID, emails: [], profile: {}, createdAt: new Date(5), extra: true });
  });

  it('refuses a document of someone else or of the wrong shape', () => {
    const good = { _id: ID, emails: [], createdAt: 5 };
    expect(() => parseMeteorUser(good, 'fedcba9876543210fedcba98')).toThrow(/user document/);
    for (const bad of [null, { ...good, emails: null }, { ...good, createdAt: '5' }, { ...good, username: 5 }])
      expect(() => parseMeteorUser(bad, ID)).toThrow(/user document/);
    expect(() => parseMeteorUser({ ...good, emails: [{ verified: true }] }, ID)).toThrow(/user document/);
  });
});

describe('projection (Meteor fields)', () => {
  it('{} keeps everything, as a copy', () => {
    const all = projection({})(DOC);
    expect(all).toEqual(DOC);
    expect(all).not.toBe(DOC);
    expect(all.emails).not.toBe(DOC.emails);
  });

  it('inclusion keeps _id and the named fields, dotted paths through objects and arrays', () => {
    expect(projection({ profile: 1 })(DOC)).toEqual({ _id: ID, profile: DOC.profile });
    expect(projection({ username: 1, _id: 0 })(DOC)).toEqual({ username: 'ada' });
    expect(projection({ 'profile.address.city': 1, 'emails.address': true })(DOC)).toEqual({
      _id: ID,
      profile: { address: { city: 'London' } },
      emails: [{ address: 'ada@example.com' }, { address: 'ada@work.example' }],
    });
    expect(projection({ missing: 1 })(DOC)).toEqual({ _id: ID });
    expect(projection({ _id: 1 })(DOC)).toEqual({ _id: ID });
  });

  it('exclusion drops the named fields and leaves the cached document alone', () => {
    const frozen = structuredClone(DOC);
    expect(projection({ profile: 0, createdAt: 0 })(DOC)).toEqual({
      _id: ID,
      username: 'ada',
      emails: DOC.emails,
    });
    expect(projection({ 'emails.verified': 0, 'profile.address': false, _id: 0 })(DOC)).toEqual({
      username: 'ada',
      emails: [{ address: 'ada@example.com' }, { address: 'ada@work.example' }],
      profile: { name: 'Ada' },
      createdAt: DOC.createdAt,
    });
    expect(projection({ _id: 0 })(DOC)).not.toHaveProperty('_id');
    expect(DOC).toEqual(frozen);
  });

  it('refuses mixed and malformed specifiers with a TypeError', () => {
    expect(() => projection({ profile: 1, username: 0 })).toThrow(/mix/);
    expect(() => projection({ profile: 2 as 1 })).toThrow(TypeError);
    expect(() => projection({ 'profile.': 1 })).toThrow(TypeError);
    expect(() => projection(null as never)).toThrow(TypeError);
  });
});

describe('createAccounts (against a scripted server)', () => {
  const USER_DOC = { username: 'ada', emails: [], profile: { n: 1 }, createdAt: 1000 };

  function setup(storage = memoryStorage()) {
    const server = fakeServer();
    server.answer('POST /api/client/v2.0/app/unit-app/auth/providers/local-userpass/login', () =>
      json({ error: 'invalid username/password', error_code: 'InvalidPassword' }, 401),
    );
    server.answer('GET /api/client/v2.0/auth/user', (_, headers) => {
      const claims = JSON.parse(atob((headers.Authorization ?? '').split('.')[1] ?? ''));
      return json({ _id: claims.sub, ...USER_DOC });
    });
    server.answer('GET /api/client/v2.0/app/unit-app/auth/providers', () =>
      json({ providers: [{ type: 'local-userpass' }, { type: 'oauth2-google', service: 'google', clientId: 'c' }] }),
    );
    const app = new App({ id: 'unit-app', baseUrl: 'https://gatehouse.test', fetch: server.fetch, storage });
    return { server, app, storage };
  }

  it('is one facade per app; argument misuse throws TypeError at the call', () => {
    const { app } = setup();
    const accounts = createAccounts(app);
    expect(createAccounts(app)).toBe(accounts);
    expect(() => createAccounts({} as App)).toThrow(TypeError);
    expect(() => accounts.loginWithPassword('ada', '')).toThrow(TypeError);
    expect(() => accounts.loginWithPassword({ id: ID }, 'pw')).toThrow(/not possible over HTTP/);
    expect(() => accounts.createUser({ password: 'pw' })).toThrow(/username or an email/);
    expect(() => accounts.createUser({ username: 'ada', password: 'pw', services: {} } as never)).toThrow(TypeError);
    expect(() => accounts.createUser({ username: 'ada', password: 'pw', profile: [] as never })).toThrow(TypeError);
    expect(() => accounts.changePassword('', 'new')).toThrow(TypeError);
    expect(() => accounts.forgotPassword({} as never)).toThrow(TypeError);
    expect(() => accounts.resetPassword('no-dot', 'new')).toThrow(TypeError);
    expect(() => accounts.verifyEmail(undefined as never)).toThrow(TypeError);
    expect(() => accounts.logout('nope' as never)).toThrow(/callback/);
    expect(() => accounts.onLogin(undefined as never)).toThrow(TypeError);
    expect(() => accounts.user({ fields: { a: 1, b: 0 } })).toThrow(TypeError);
  });

  it('a Meteor-style callback gets the error and the promise resolves', async () => {
    const { app } = setup();
    const accounts = createAccounts(app);
    const errors: unknown[] = [];
    await accounts.loginWithPassword('ada', 'wrong', (error) => errors.push(error));
    expect(errors).toEqual([expect.objectContaining({ code: 'InvalidPassword', status: 401 })]);
    await expect(accounts.logoutOtherClients()).rejects.toMatchObject({ code: 'InvalidSession' });
    await accounts.logoutOtherClients((error) => errors.push(error));
    expect(errors[1]).toMatchObject({ code: 'InvalidSession' });
    expect(await accounts.refreshUser()).toBeNull();
  });

  it('keeps the document with the user in storage, and reads it back in a new App', async () => {
    const { app, storage } = setup();
    const accounts = createAccounts(app);
    const changes: unknown[] = [];
    app.subscribe(() => changes.push(accounts.user()));
    const user = await app.logIn(Credentials.anonymous());
    await accounts.refreshUser();
    const doc = accounts.user();
    expect(doc).toEqual({ _id: user.id, ...USER_DOC, createdAt: new Date(1000) });
    expect(Object.isFrozen(doc)).toBe(true);
    expect(accounts.user()).toBe(doc);
    expect(changes).toContain(doc);
    // Fetched again, unchanged: the same object (what useSyncExternalStore needs).
    await accounts.refreshUser();
    expect(accounts.user()).toBe(doc);
    expect(accounts.loginServicesConfigured()).toBe(true);
    expect(accounts.loginServiceConfiguration()).toEqual([
      { type: 'local-userpass' },
      { type: 'oauth2-google', service: 'google', clientId: 'c' },
    ]);

    const again = new App({
      id: 'unit-app',
      baseUrl: 'https://gatehouse.test',
      storage,
      fetch: () => new Promise(() => {}),
    });
    expect(createAccounts(again).user()).toEqual(doc);
    expect(createAccounts(again).user({ fields: { username: 1 } })).toEqual({ _id: user.id, username: 'ada' });
    expect(createAccounts(again).loginServicesConfigured()).toBe(false);

    await app.removeUser(user);
    expect(accounts.user()).toBeNull();
    expect(storage.get(`app(unit-app):user(${user.id}):document`)).toBeNull();
  });
});
