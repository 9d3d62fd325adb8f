import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, startTestGatehouse, type TestGatehouse } from '../testing/index.js';

const API = '/api/client/v2.0';

/** Tokens and sessions (ASVS V7, V9) on both dialects. */
describe.each(['sqlite', 'postgres'] as const)('sessions and tokens (%s)', (dialect) => {
  let t: TestGatehouse;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t?.close());

  const anonLogin = async (body: unknown = {}) => {
    const res = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body });
    expect(res.status).toBe(200);
    return res.json as { access_token: string; refresh_token: string; user_id: string; device_id: string };
  };
  const expectInvalidSession = (res: { status: number; json: any }) => {
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('InvalidSession');
  };

  it('login answers the four fields; both tokens are JWTs with integer exp/iat', async () => {
    const login = await anonLogin();
    expect(login.user_id).toMatch(/^[0-9a-f]{24}$/);
    expect(login.device_id).toMatch(/^[0-9a-f]{24}$/);
    expect(login.device_id).not.toBe('000000000000000000000000');
    const access = decodeJwt(login.access_token);
    const refresh = decodeJwt(login.refresh_token);
    for (const claims of [access, refresh]) {
      expect(Number.isInteger(claims.exp)).toBe(true);
      expect(Number.isInteger(claims.iat)).toBe(true);
      expect(claims.sub).toBe(login.user_id);
    }
    expect(access.exp - access.iat).toBe(30 * 60);
    expect(access.user_data).toEqual({});
    expect(access.baas_device_id).toBe(login.device_id);
    expect(refresh.baas_device_id).toBe(login.device_id);
    // The secret inside the refresh token is never stored: only its hash is.
    expect(JSON.stringify(await t.gatehouse.storage.getSession(t.appId, access.sid))).not.toContain(refresh.secret);
  });

  it('keeps the device id the client sends as an EJSON ObjectId', async () => {
    const login = await anonLogin({ options: { device: { deviceId: { $oid: 'aaaaaaaaaaaaaaaaaaaaaaaa' } } } });
    expect(login.device_id).toBe('aaaaaaaaaaaaaaaaaaaaaaaa');
    const zero = await anonLogin({ options: { device: { deviceId: { $oid: '000000000000000000000000' } } } });
    expect(zero.device_id).not.toBe('000000000000000000000000');
    const junk = await anonLogin({ options: { device: { deviceId: 'Panda Bear' } } });
    expect(junk.device_id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('profile lists the anonymous identity', async () => {
    const login = await anonLogin();
    const res = await t.request('GET', `${API}/auth/profile`, { token: login.access_token });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ user_id: login.user_id, type: 'normal', data: {} });
    expect(res.json.identities).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{24}-[a-z]{24}$/), provider_type: 'anon-user', provider_id: 'anon-user' },
    ]);
  });

  it('refresh mints a new access token for the same session, without rotating the refresh token', async () => {
    const login = await anonLogin();
    t.advance(60_000);
    const res = await t.request('POST', `${API}/auth/session`, { token: login.refresh_token });
    expect(res.status).toBe(201);
    expect(Object.keys(res.json)).toEqual(['access_token']);
    const before = decodeJwt(login.access_token);
    const after = decodeJwt(res.json.access_token);
    expect(after.sid).toBe(before.sid);
    expect(after.iat).toBe(before.iat + 60);
    // The old refresh token still works (App Services clients never rotate it).
    expect((await t.request('POST', `${API}/auth/session`, { token: login.refresh_token })).status).toBe(201);
  });

  it('refuses every dead or wrong token with 401 InvalidSession', async () => {
    const login = await anonLogin();
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`));
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: 'null' }));
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: 'a.b.c' }));
    // A refresh token is not an access token, and the other way round (ASVS 9.2.2).
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: login.refresh_token }));
    expectInvalidSession(await t.request('POST', `${API}/auth/session`, { token: login.access_token }));
    // A tampered payload fails the signature check.
    const [h, p, s] = login.access_token.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...decodeJwt(login.access_token), sub: '0123456789abcdef01234567' }),
    ).toString('base64url');
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: `${h}.${forged}.${s}` }));
    // alg:none is never accepted.
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: none }));
  });

  it('an expired access token is refused, and refresh brings a working one', async () => {
    const login = await anonLogin();
    t.advance(31 * 60_000);
    const expired = await t.request('GET', `${API}/auth/profile`, { token: login.access_token });
    expectInvalidSession(expired);
    expect(expired.json.error).toBe('invalid session: access token expired');
    const fresh = await t.request('POST', `${API}/auth/session`, { token: login.refresh_token });
    expect((await t.request('GET', `${API}/auth/profile`, { token: fresh.json.access_token })).status).toBe(200);
  });

  it('logout revokes the session at once, access token included (ASVS 7.4.1)', async () => {
    const a = await anonLogin();
    const upgraded = await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email: `logout-${dialect}@example.com`, password: 'correct horse battery' },
    });
    expect(upgraded.status).toBe(201);
    const login = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: `logout-${dialect}@example.com`, password: 'correct horse battery' },
    });
    const { access_token, refresh_token } = login.json;
    expect((await t.request('DELETE', `${API}/auth/session`, { token: refresh_token })).status).toBe(204);
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: access_token }));
    const again = await t.request('POST', `${API}/auth/session`, { token: refresh_token });
    expectInvalidSession(again);
    // realm-web's logOut() swallows exactly this message.
    const twice = await t.request('DELETE', `${API}/auth/session`, { token: refresh_token });
    expectInvalidSession(twice);
    expect(twice.json.error).toBe('invalid session: failed to find refresh token');
    // Another session is untouched.
    expect((await t.request('GET', `${API}/auth/profile`, { token: a.access_token })).status).toBe(200);
  });

  it('an anonymous user is gone once its last session logs out', async () => {
    const login = await anonLogin();
    await t.request('DELETE', `${API}/auth/session`, { token: login.refresh_token });
    expect(await t.gatehouse.storage.getUser(t.appId, login.user_id)).toBeNull();
  });

  it('delete removes the user and all its sessions; the later logout gets the tolerated error', async () => {
    const email = `delete-${dialect}@example.com`;
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email, password: 'correct horse battery' },
    });
    const first = (
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: email, password: 'correct horse battery' },
      })
    ).json;
    const second = (
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: email, password: 'correct horse battery' },
      })
    ).json;
    expect((await t.request('DELETE', `${API}/auth/delete`, { token: first.access_token })).status).toBe(204);
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: second.access_token }));
    const logout = await t.request('DELETE', `${API}/auth/session`, { token: first.refresh_token });
    expect(logout.json.error).toBe('invalid session: failed to find refresh token');
    const relogin = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: email, password: 'correct horse battery' },
    });
    expect(relogin.status).toBe(401);
    expect(relogin.json.error_code).toBe('InvalidPassword');
  });

  it('custom data travels in user_data as canonical EJSON and changes after a refresh', async () => {
    const login = await anonLogin();
    await t.gatehouse.storage.setUserCustomData(t.appId, login.user_id, { plan: 'pro', seats: 3 }, t.now());
    const res = await t.request('POST', `${API}/auth/session`, { token: login.refresh_token });
    expect(decodeJwt(res.json.access_token).user_data).toEqual({ plan: 'pro', seats: { $numberInt: '3' } });
  });

  it('a disabled user cannot refresh or use its tokens', async () => {
    const login = await anonLogin();
    await t.gatehouse.storage.setUserDisabled(t.appId, login.user_id, true, t.now());
    expectInvalidSession(await t.request('GET', `${API}/auth/profile`, { token: login.access_token }));
    // A refresh is a login: its holder is told why (still a 401, so clients sign the user out).
    const refresh = await t.request('POST', `${API}/auth/session`, { token: login.refresh_token });
    expect(refresh.status).toBe(401);
    expect(refresh.json.error_code).toBe('UserDisabled');
  });

  it('refresh tokens expire after the configured lifetime', async () => {
    const local = await startTestGatehouse(dialect, {
      app: {
        refreshTokenLifetime: '1h',
        anonymousRefreshTokenLifetime: '1h',
        accessTokenLifetime: '5m',
        providers: { 'anon-user': {} },
      },
    });
    try {
      const login = (await local.request('POST', local.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
      const claims = decodeJwt(login.access_token);
      expect(claims.exp - claims.iat).toBe(300);
      local.advance(61 * 60_000);
      expectInvalidSession(await local.request('POST', `${API}/auth/session`, { token: login.refresh_token }));
    } finally {
      await local.close();
    }
  });
});
