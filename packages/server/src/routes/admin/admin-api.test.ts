import { afterEach, describe, expect, it } from 'vitest';
import { type NodeServer, serveNode } from '../../node/serve.js';
import { startTestGatehouse, type TestGatehouse, type TestRequestInit } from '../../testing/index.js';
import { RawDdp } from '../../testing/raw-ddp.js';
import { ADMIN_ROUTES } from './schemas.js';

const OTHER_APP = 'other-app-fghij';
const ADMIN = '/api/admin/v1';
const UA = 'admin-test/1.0';

/** The admin API over HTTP on both dialects: keys, users, sessions, keys, identities, services, settings, audit. */
describe.each(['sqlite', 'postgres'] as const)('admin API (%s)', (dialect) => {
  let t: TestGatehouse;
  let server: NodeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await t?.close();
  });

  const start = async () => {
    t = await startTestGatehouse(dialect, {
      config: {
        apps: {
          'test-app-abcde': {
            name: 'Test App',
            providers: {
              'anon-user': {},
              'local-userpass': { confirmation: 'auto' },
              'api-key': {},
              'custom-token': { secret: 'super-secret-signing-value-0123456789' },
            },
          },
          [OTHER_APP]: { providers: { 'anon-user': {} } },
        },
      },
    });
    const key = (await t.gatehouse.adminKeys.create({ appId: t.appId, name: 'support' })).key;
    const admin = (method: string, path: string, init: TestRequestInit = {}) =>
      t.request(method, `${ADMIN}/apps/${t.appId}${path}`, {
        token: key,
        ...init,
        headers: { 'user-agent': UA, ...init.headers },
        address: '198.51.100.7',
      });
    return { key, admin };
  };

  const register = async (email: string, password = 'correct horse battery') => {
    expect(
      (await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), { body: { email, password } }))
        .status,
    ).toBe(201);
    const login = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: email, password },
    });
    expect(login.status).toBe(200);
    return login.json as { user_id: string; access_token: string; refresh_token: string };
  };

  it('answers 401 without a valid admin key, never for a user token, and 403 for a key of another app', async () => {
    const { key } = await start();
    const path = `${ADMIN}/apps/${t.appId}/users`;
    const none = await t.request('GET', path);
    expect(none.status).toBe(401);
    expect(none.json.error_code).toBe('AuthError');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await t.request('GET', path, { token: 'gha_nope' })).status).toBe(401);
    const user = await register('ada@example.com');
    for (const token of [user.access_token, user.refresh_token])
      expect((await t.request('GET', path, { token })).json.error_code).toBe('AuthError');

    const other = await t.gatehouse.adminKeys.create({ appId: OTHER_APP, name: 'other' });
    const forbidden = await t.request('GET', path, { token: other.key });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error_code).toBe('Forbidden');
    // The admin API does not answer other origins' preflights (it is not for browsers' apps).
    const preflight = await t.request('OPTIONS', path, {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const me = await t.request('GET', `${ADMIN}/me`, { token: key });
    expect(me.status).toBe(200);
    expect(me.json.apps.map((a: { id: string }) => a.id)).toEqual([t.appId]);
    expect(me.json.apps[0].providers).toContain('local-userpass');

    const keyId = me.json.key.id;
    expect(await t.gatehouse.adminKeys.revoke(keyId)).toBe(true);
    expect((await t.request('GET', path, { token: key })).status).toBe(401);
  });

  it('creates, lists (paged), searches, gets and updates users', async () => {
    const { admin } = await start();
    const made: string[] = [];
    for (const name of ['ann', 'bob', 'cyd']) {
      t.advance(1000); // ids (ObjectIds) order by their second
      const res = await admin('POST', '/users', {
        body: { email: `${name}@example.com`, username: name, profile: { name } },
      });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ username: name, disabled: false, emails: [{ address: `${name}@example.com` }] });
      made.push(res.json.id);
    }
    expect((await admin('POST', '/users', { body: { email: 'ann@example.com' } })).json.error_code).toBe(
      'AccountNameInUse',
    );
    const first = await admin('GET', '/users?limit=2');
    expect(first.json.items.map((u: { username: string }) => u.username)).toEqual(['ann', 'bob']);
    const second = await admin('GET', `/users?limit=2&after=${first.json.next}`);
    expect(second.json.items.map((u: { username: string }) => u.username)).toEqual(['cyd']);
    expect(second.json.next).toBeNull();
    expect((await admin('GET', '/users?search=BOB%40example')).json.items).toHaveLength(1);
    expect((await admin('GET', `/users?search=${made[2]}`)).json.items[0].username).toBe('cyd');
    expect((await admin('GET', '/users?provider=local-userpass')).json.items).toHaveLength(3);
    expect((await admin('GET', '/users?provider=oauth2-google')).json.items).toHaveLength(0);

    // The answers are what the schemas of the OpenAPI document say.
    expect(ADMIN_ROUTES.listUsers.response.safeParse(first.json).error).toBeUndefined();
    const got = await admin('GET', `/users/${made[0]}`);
    expect(ADMIN_ROUTES.getUser.response.safeParse(got.json).error).toBeUndefined();
    expect(got.json.identities[0].providerType).toBe('local-userpass');
    const updated = await admin('PATCH', `/users/${made[0]}`, {
      body: { profile: { name: 'Ann' }, customData: { plan: 'pro' } },
    });
    expect(updated.json).toMatchObject({ profile: { name: 'Ann' }, customData: { plan: 'pro' } });
    expect((await admin('GET', '/users/0123456789abcdef01234567')).json.error_code).toBe('UserNotFound');
  });

  it('disabling ends sessions and every login answers UserDisabled (HTTP, refresh, API key, DDP); enabling restores', async () => {
    const { admin } = await start();
    const user = await register('dee@example.com');
    // A user API key and a Meteor login token of the same user, before the disable.
    const apiKey = await t.request('POST', '/api/client/v2.0/auth/api_keys', {
      token: user.refresh_token,
      body: { name: 'ci' },
    });
    expect(apiKey.status).toBe(201);
    server = await serveNode(t.gatehouse, { port: 0 });
    const ddp = await RawDdp.open(`${server.url.replace('http', 'ws')}/app/${t.appId}/websocket`);
    const ddpLogin = await ddp.call('login', { user: { email: 'dee@example.com' }, password: 'correct horse battery' });
    expect(ddpLogin.result.id).toBe(user.user_id);

    const disabled = await admin('POST', `/users/${user.user_id}/disable`);
    expect(disabled.json.disabled).toBe(true);
    expect((await admin('GET', `/users/${user.user_id}/sessions`)).json).toEqual([]);

    const password = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: 'dee@example.com', password: 'correct horse battery' },
    });
    expect([password.status, password.json.error_code]).toEqual([401, 'UserDisabled']);
    const refresh = await t.request('POST', '/api/client/v2.0/auth/session', { token: user.refresh_token });
    expect([refresh.status, refresh.json.error_code]).toEqual([401, 'UserDisabled']);
    const byKey = await t.request('POST', t.appPath('/auth/providers/api-key/login'), {
      body: { key: apiKey.json.key },
    });
    expect([byKey.status, byKey.json.error_code]).toEqual([401, 'UserDisabled']);
    const access = await t.request('GET', '/api/client/v2.0/auth/profile', { token: user.access_token });
    expect(access.status).toBe(401);
    const other = await RawDdp.open(`${server.url.replace('http', 'ws')}/app/${t.appId}/websocket`);
    expect((await other.call('login', { resume: ddpLogin.result.token })).error).toMatchObject({
      reason: 'Login forbidden',
    });
    expect(
      (await other.call('login', { user: { email: 'dee@example.com' }, password: 'correct horse battery' })).error,
    ).toMatchObject({ reason: 'Login forbidden' });
    other.close();
    ddp.close();

    const failures = await admin('GET', `/audit?type=login-failed&userId=${user.user_id}`);
    expect(failures.json.items.length).toBeGreaterThanOrEqual(3);
    expect(failures.json.items[0].detail.reason).toBe('user-disabled');

    expect((await admin('POST', `/users/${user.user_id}/enable`)).json.disabled).toBe(false);
    const again = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: 'dee@example.com', password: 'correct horse battery' },
    });
    expect(again.status).toBe(200);
  });

  it('sets passwords, sends mails, ends sessions, deletes API keys, unlinks identities, deletes users', async () => {
    const { admin } = await start();
    const user = await register('eve@example.com');
    const second = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: 'eve@example.com', password: 'correct horse battery' },
      headers: { 'user-agent': 'EveBrowser/2' },
    });
    const sessions = (await admin('GET', `/users/${user.user_id}/sessions`)).json;
    expect(sessions).toHaveLength(2);
    expect(sessions.map((s: { userAgent: string | null }) => s.userAgent)).toContain('EveBrowser/2');
    expect((await admin('DELETE', `/users/${user.user_id}/sessions/${sessions[0].id}`)).status).toBe(204);
    expect((await admin('DELETE', `/users/${user.user_id}/sessions/${sessions[0].id}`)).json.error_code).toBe(
      'NotFound',
    );
    expect((await admin('DELETE', `/users/${user.user_id}/sessions`)).json).toEqual({ revoked: 1 });
    expect(second.status).toBe(200);

    const login = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: 'eve@example.com', password: 'correct horse battery' },
    });
    const key = await t.request('POST', '/api/client/v2.0/auth/api_keys', {
      token: login.json.refresh_token,
      body: { name: 'ci' },
    });
    const keys = (await admin('GET', `/users/${user.user_id}/api-keys`)).json;
    expect(keys).toMatchObject([{ id: key.json._id, name: 'ci', kind: 'user', disabled: false }]);
    expect(JSON.stringify(keys)).not.toContain(key.json.key);
    expect((await admin('DELETE', `/users/${user.user_id}/api-keys/${key.json._id}`)).status).toBe(204);
    expect((await admin('GET', `/users/${user.user_id}/api-keys`)).json).toEqual([]);

    expect((await admin('PUT', `/users/${user.user_id}/password`, { body: { password: 'x' } })).status).toBe(400);
    expect(
      (await admin('PUT', `/users/${user.user_id}/password`, { body: { password: 'a new long passphrase' } })).status,
    ).toBe(204);
    const old = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: 'eve@example.com', password: 'correct horse battery' },
    });
    expect(old.status).toBe(401);

    expect((await admin('POST', `/users/${user.user_id}/mail`, { body: { kind: 'reset' } })).json).toEqual({
      sentTo: 'eve@example.com',
    });
    expect((await t.mailLinks('eve@example.com')).some((l) => l.includes('reset'))).toBe(true);

    // The only identity cannot be unlinked; an unknown one is NotFound.
    const ident = (await admin('GET', `/users/${user.user_id}`)).json.identities[0];
    expect(
      (await admin('DELETE', `/users/${user.user_id}/identities/${ident.providerId}/${encodeURIComponent(ident.id)}`))
        .json.error_code,
    ).toBe('InvalidParameter');
    expect((await admin('DELETE', `/users/${user.user_id}/identities/google/123`)).json.error_code).toBe('NotFound');

    expect((await admin('DELETE', `/users/${user.user_id}`)).status).toBe(204);
    expect((await admin('GET', `/users/${user.user_id}`)).status).toBe(404);
  });

  it('reads services and settings with secrets redacted, and records every admin action with actor, address and user agent', async () => {
    const { admin, key } = await start();
    expect((await admin('GET', '/services')).json).toEqual([]);
    const settings = await admin('GET', '/settings');
    expect(settings.status).toBe(200);
    expect(settings.json.providers['local-userpass']).toBeDefined();
    expect(settings.text).not.toContain('super-secret-signing-value');
    expect(settings.text).toContain('[redacted]');

    const created = await admin('POST', '/users', { body: { username: 'fay' } });
    t.advance(1000);
    await admin('POST', `/users/${created.json.id}/disable`);
    const keyId = (await t.request('GET', `${ADMIN}/me`, { token: key })).json.key.id;
    const trail = await admin('GET', `/audit?userId=${created.json.id}`);
    expect(ADMIN_ROUTES.audit.response.safeParse(trail.json).error).toBeUndefined();
    expect(ADMIN_ROUTES.settings.response.safeParse(settings.json).error).toBeUndefined();
    expect(trail.json.items.map((e: { type: string }) => e.type)).toEqual(['user-disabled', 'user-created']);
    for (const event of trail.json.items)
      expect(event).toMatchObject({ actor: keyId, ip: '198.51.100.7', userAgent: UA });

    // A user's own login is recorded with its user agent too, and without an actor.
    await t.request('POST', t.appPath('/auth/providers/anon-user/login'), {
      body: {},
      headers: { 'user-agent': 'Phone/9' },
    });
    const [login] = (await admin('GET', '/audit?type=login&limit=1')).json.items;
    expect(login).toMatchObject({ userAgent: 'Phone/9', actor: null });

    // Paging by cursor, and time filters.
    const page1 = await admin('GET', '/audit?limit=2');
    const page2 = await admin('GET', `/audit?limit=2&before=${page1.json.next}`);
    const all = await admin('GET', '/audit');
    expect([...page1.json.items, ...page2.json.items].map((e: { id: string }) => e.id)).toEqual(
      all.json.items.slice(0, 4).map((e: { id: string }) => e.id),
    );
    expect((await admin('GET', `/audit?since=${t.now() + 1}`)).json.items).toEqual([]);
  });

  it('records the client address and user agent on every event of a user’s own session', async () => {
    const { admin } = await start();
    const ua = { 'user-agent': 'Phone/7.1' };
    // A second between requests: events of one instant have no order among themselves.
    const req = (method: string, path: string, init: TestRequestInit = {}) => {
      t.advance(1000);
      return t.request(method, path, { ...init, headers: { ...ua, ...init.headers }, address: '203.0.113.5' });
    };
    const email = 'hal@example.com';
    await req('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email, password: 'correct horse battery' },
    });
    await req('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: email, password: 'wrong one!' },
    });
    const login = (
      await req('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: email, password: 'correct horse battery' },
      })
    ).json;
    const api = '/api/client/v2.0';
    await req('PATCH', `${api}/auth/user`, { token: login.access_token, body: { $set: { 'profile.name': 'Hal' } } });
    const key = await req('POST', `${api}/auth/api_keys`, { token: login.refresh_token, body: { name: 'ci' } });
    await req('DELETE', `${api}/auth/api_keys/${key.json._id}`, { token: login.refresh_token });
    await req('POST', `${api}/auth/password`, {
      token: login.access_token,
      body: { currentPassword: 'correct horse battery', newPassword: 'another long passphrase' },
    });
    const again = (
      await req('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: email, password: 'another long passphrase' },
      })
    ).json;
    await req('DELETE', `${api}/auth/session`, { token: again.refresh_token });

    const trail = (await admin('GET', `/audit?userId=${login.user_id}`)).json.items;
    const types = trail.map((e: { type: string }) => e.type).reverse();
    expect(types).toEqual([
      'user-created',
      'login-failed',
      'login',
      'profile-updated',
      'api-key-created',
      'api-key-deleted',
      'password-changed',
      'login',
      'logout',
    ]);
    for (const event of trail) expect(event).toMatchObject({ ip: '203.0.113.5', userAgent: 'Phone/7.1', actor: null });

    // A refusal by any other provider (here a forged custom JWT) is recorded once, with its code.
    const forged = await req('POST', t.appPath('/auth/providers/custom-token/login'), { body: { token: 'a.b.c' } });
    expect(forged.status).toBe(401);
    const failures = (await admin('GET', '/audit?type=login-failed')).json.items;
    expect(
      failures.filter((e: { detail: { provider: string } }) => e.detail.provider === 'custom-token'),
    ).toMatchObject([{ userId: null, userAgent: 'Phone/7.1', detail: { reason: forged.json.error_code } }]);
    // The wrong password above was recorded once, not twice.
    expect(
      failures.filter((e: { detail: { provider: string } }) => e.detail.provider === 'local-userpass'),
    ).toHaveLength(1);
  });

  it('refuses bad input with stable 4xx codes', async () => {
    const { admin } = await start();
    const user = (await admin('POST', '/users', { body: { username: 'gus' } })).json;
    const cases: [string, string, TestRequestInit, number, string][] = [
      ['POST', '/users', { raw: '{"username":', headers: { 'content-type': 'application/json' } }, 400, 'BadRequest'],
      ['POST', '/users', { body: { username: 'x', role: 'admin' } }, 400, 'BadRequest'],
      ['POST', '/users', { body: { username: 42 } }, 400, 'BadRequest'],
      ['POST', '/users', { body: {} }, 400, 'BadRequest'],
      [
        'POST',
        '/users',
        { raw: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'UnsupportedMediaType',
      ],
      ['POST', '/users', { body: { username: 'big', profile: { blob: 'x'.repeat(70_000) } } }, 413, 'PayloadTooLarge'],
      ['PATCH', `/users/${user.id}`, { body: { profile: 'not an object' } }, 400, 'BadRequest'],
      ['PATCH', `/users/${user.id}`, { body: {} }, 400, 'BadRequest'],
      ['POST', `/users/${user.id}/mail`, { body: { kind: 'spam' } }, 400, 'BadRequest'],
      ['POST', `/users/${user.id}/disable`, { body: { now: true } }, 400, 'BadRequest'],
      ['GET', '/users?limit=0', {}, 400, 'BadRequest'],
      ['GET', '/users?limit=abc', {}, 400, 'BadRequest'],
      ['GET', '/users?sort=name', {}, 400, 'BadRequest'],
      ['GET', '/users?after=nope', {}, 400, 'BadRequest'],
      ['GET', '/users/not-an-id', {}, 400, 'BadRequest'],
      ['GET', '/audit?before=garbage', {}, 400, 'InvalidParameter'],
      ['GET', '/audit?since=-1', {}, 400, 'BadRequest'],
      ['GET', '/nothing-here', {}, 404, 'NotFound'],
    ];
    for (const [method, path, init, status, code] of cases) {
      const res = await admin(method, path, init);
      expect([method, path, res.status, res.json?.error_code]).toEqual([method, path, status, code]);
    }
    expect(
      (
        await t.request('GET', `${ADMIN}/apps/no-such-app/users`, {
          token: (await t.gatehouse.adminKeys.create({ appId: null, name: 'g' })).key,
        })
      ).json.error_code,
    ).toBe('AppNotFound');
  });
});
