import { afterEach, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';

const API = '/api/client/v2.0';
const PASSWORD = 'correct horse battery';

/** The signed-in user's own sessions and password (Gatehouse extensions under /api/client/v2.0/auth). */
describe.each(['sqlite', 'postgres'] as const)('account self-service (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const setup = async () => {
    t = await startTestGatehouse(dialect);
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email: 'me@example.com', password: PASSWORD },
    });
    const login = async (password = PASSWORD) =>
      (
        await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
          body: { username: 'me@example.com', password },
        })
      ).json;
    return { login, phone: await login(), laptop: await login() };
  };

  it('lists my sessions without secrets, ends one, and logs out the others', async () => {
    const { phone, laptop, login } = await setup();
    const tablet = await login();
    const list = await t.request('GET', `${API}/auth/sessions`, { token: phone.access_token });
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(3);
    expect(list.json.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(Object.keys(list.json[0]).sort()).toEqual([
      'created_at',
      'current',
      'device_id',
      'expires_at',
      'id',
      'kind',
      'last_used_at',
      'provider_type',
    ]);

    const laptopId = list.json.find((s: { device_id: string }) => s.device_id === laptop.device_id).id;
    expect((await t.request('DELETE', `${API}/auth/sessions/${laptopId}`, { token: phone.access_token })).status).toBe(
      204,
    );
    expect((await t.request('POST', `${API}/auth/session`, { token: laptop.refresh_token })).status).toBe(401);
    expect((await t.request('DELETE', `${API}/auth/sessions/${laptopId}`, { token: phone.access_token })).status).toBe(
      404,
    );

    const others = await t.request('POST', `${API}/auth/sessions/logout-others`, { token: phone.access_token });
    expect(others.json).toEqual({ revoked: 1 });
    expect((await t.request('GET', `${API}/auth/profile`, { token: tablet.access_token })).status).toBe(401);
    expect((await t.request('GET', `${API}/auth/profile`, { token: phone.access_token })).status).toBe(200);
  });

  it("cannot see or end another user's sessions", async () => {
    const { phone } = await setup();
    const stranger = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    const [mine] = (await t.request('GET', `${API}/auth/sessions`, { token: phone.access_token })).json;
    expect(
      (await t.request('DELETE', `${API}/auth/sessions/${mine.id}`, { token: stranger.access_token })).status,
    ).toBe(404);
    expect((await t.request('GET', `${API}/auth/profile`, { token: phone.access_token })).status).toBe(200);
  });

  it('changes the password with the current one; other sessions end, this one stays', async () => {
    const { phone, laptop, login } = await setup();
    const change = (currentPassword: string, newPassword: string) =>
      t.request('POST', `${API}/auth/password`, { token: phone.access_token, body: { currentPassword, newPassword } });
    expect((await change('wrong one', 'a brand new passphrase')).json.error_code).toBe('InvalidPassword');
    expect((await change(PASSWORD, 'short')).json.error_code).toBe('BadRequest');
    expect((await change(PASSWORD, 'a brand new passphrase')).status).toBe(204);
    expect((await t.request('GET', `${API}/auth/profile`, { token: phone.access_token })).status).toBe(200);
    expect((await t.request('POST', `${API}/auth/session`, { token: laptop.refresh_token })).status).toBe(401);
    expect((await login()).error_code).toBe('InvalidPassword');
    expect((await login('a brand new passphrase')).user_id).toBe(phone.user_id);
  });

  it('limits wrong current passwords per user', async () => {
    const { phone } = await setup();
    for (let i = 0; i < 10; i++) {
      await t.request('POST', `${API}/auth/password`, {
        token: phone.access_token,
        body: { currentPassword: `guess ${i}`, newPassword: 'a brand new passphrase' },
      });
    }
    const res = await t.request('POST', `${API}/auth/password`, {
      token: phone.access_token,
      body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
    });
    expect(res.status).toBe(429);
  });
});
