import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt, startTestGatehouse, type TestGatehouse } from '../../testing/index.js';

const API = '/api/client/v2.0';

/** User API keys (spec §10, §0 rows 8–13) and `api-key` login, on both dialects. */
describe.each(['sqlite', 'postgres'] as const)('user API keys (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const setup = async (apiKey: Record<string, unknown> = {}) => {
    t = await startTestGatehouse(dialect, {
      app: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' }, 'api-key': apiKey } },
    });
    const signUp = async (email: string) => {
      await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
        body: { email, password: 'correct horse battery' },
      });
      return (
        await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
          body: { username: email, password: 'correct horse battery' },
        })
      ).json;
    };
    return { ann: await signUp(`ann-${dialect}@example.com`), bob: await signUp(`bob-${dialect}@example.com`) };
  };
  const keys = (token: string, method = 'GET', path = '', body?: unknown) =>
    t.request(method, `${API}/auth/api_keys${path}`, { token, ...(body === undefined ? {} : { body }) });
  const loginWithKey = (key: string) =>
    t.request('POST', t.appPath('/auth/providers/api-key/login'), { body: { key } });

  it('creates a key shown once, lists and fetches it without the secret, and logs in as its owner', async () => {
    const { ann } = await setup();
    const created = await keys(ann.refresh_token, 'POST', '', { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
      key: expect.stringMatching(/^[\w-]{64}$/),
      name: 'ci',
      disabled: false,
    });
    expect((await keys(ann.refresh_token)).json).toEqual([{ _id: created.json._id, name: 'ci', disabled: false }]);
    expect((await keys(ann.refresh_token, 'GET', `/${created.json._id}`)).json).toEqual({
      _id: created.json._id,
      name: 'ci',
      disabled: false,
    });
    const login = await loginWithKey(created.json.key);
    expect(login.status).toBe(200);
    expect(login.json.user_id).toBe(ann.user_id);
    // The secret is stored only as a hash.
    expect(JSON.stringify(await t.gatehouse.storage.listApiKeys(ann.user_id))).not.toContain(created.json.key);
    expect(decodeJwt(login.json.access_token).sub).toBe(ann.user_id);
  });

  it('disable, enable and delete; a disabled or deleted key cannot log in', async () => {
    const { ann } = await setup();
    const { _id, key } = (await keys(ann.refresh_token, 'POST', '', { name: 'temp' })).json;
    expect((await keys(ann.refresh_token, 'PUT', `/${_id}/disable`)).status).toBe(204);
    expect((await keys(ann.refresh_token, 'GET', `/${_id}`)).json.disabled).toBe(true);
    expect((await loginWithKey(key)).json.error_code).toBe('InvalidPassword');
    expect((await keys(ann.refresh_token, 'PUT', `/${_id}/enable`)).status).toBe(204);
    expect((await loginWithKey(key)).status).toBe(200);
    expect((await keys(ann.refresh_token, 'DELETE', `/${_id}`)).status).toBe(204);
    expect((await loginWithKey(key)).status).toBe(401);
    expect((await keys(ann.refresh_token, 'GET', `/${_id}`)).json.error_code).toBe('APIKeyNotFound');
  });

  it("keeps users apart: another user's key is not found, for reading, changing or deleting", async () => {
    const { ann, bob } = await setup();
    const { _id } = (await keys(ann.refresh_token, 'POST', '', { name: 'mine' })).json;
    for (const [method, path] of [
      ['GET', `/${_id}`],
      ['PUT', `/${_id}/disable`],
      ['PUT', `/${_id}/enable`],
      ['DELETE', `/${_id}`],
    ] as const) {
      const res = await keys(bob.refresh_token, method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error_code).toBe('APIKeyNotFound');
    }
    expect((await keys(bob.refresh_token)).json).toEqual([]);
    expect((await keys(ann.refresh_token, 'GET', '/not-an-id')).status).toBe(404);
  });

  it('refuses duplicate names, too many keys, anonymous owners, bad names and access tokens', async () => {
    const { ann } = await setup({ maxKeysPerUser: 2 });
    expect((await keys(ann.refresh_token, 'POST', '', { name: 'a' })).status).toBe(201);
    expect((await keys(ann.refresh_token, 'POST', '', { name: 'a' })).json.error_code).toBe('APIKeyAlreadyExists');
    expect((await keys(ann.refresh_token, 'POST', '', { name: 'b' })).status).toBe(201);
    expect((await keys(ann.refresh_token, 'POST', '', { name: 'c' })).json.error).toBe(
      'a user can have at most 2 API keys',
    );
    const anon = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    expect((await keys(anon.refresh_token, 'POST', '', { name: 'x' })).json.error).toBe(
      'anonymous users cannot own API keys',
    );
    expect((await keys(ann.refresh_token, 'POST', '', { name: '' })).status).toBe(400);
    expect((await keys(ann.refresh_token, 'POST', '', { name: 'x', userId: anon.user_id })).json.error).toContain(
      "'userId'",
    );
    expect((await keys(ann.access_token)).json.error_code).toBe('InvalidSession');
  });

  it('a key cannot delete itself from the session it opened (spec: 403)', async () => {
    const { ann } = await setup();
    const { _id, key } = (await keys(ann.refresh_token, 'POST', '', { name: 'self' })).json;
    const viaKey = (await loginWithKey(key)).json;
    const res = await keys(viaKey.refresh_token, 'DELETE', `/${_id}`);
    expect(res.status).toBe(403);
    expect((await keys(ann.refresh_token, 'DELETE', `/${_id}`)).status).toBe(204);
  });
});
