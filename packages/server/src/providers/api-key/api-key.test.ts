import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt, startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../../testing/index.js';
import { serverApiKeys } from './index.js';

const API = '/api/client/v2.0';
const OTHER_APP = 'other-app-fghij';
const PASSWORD = 'correct horse battery';

/** User API keys (routes 8–13), server API keys and `api-key` login, on both dialects. */
describe.each(['sqlite', 'postgres'] as const)('API keys (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const providers = (apiKey: Record<string, unknown> = {}) => ({
    'anon-user': {},
    'local-userpass': { confirmation: 'auto' as const },
    'api-key': apiKey,
    'custom-function': { function: 'authenticate' },
  });
  const setup = async (apiKey: Record<string, unknown> = {}) => {
    t = await startTestGatehouse(dialect, {
      config: {
        functions: { authenticate: (payload: { id: string }) => payload.id },
        apps: { [TEST_APP_ID]: { providers: providers(apiKey) }, [OTHER_APP]: { providers: providers() } },
      } as never,
    });
    const signUp = async (email: string, appId = TEST_APP_ID) => {
      const path = (p: string) => `${API}/app/${appId}/auth/providers/local-userpass${p}`;
      await t.request('POST', path('/register'), { body: { email, password: PASSWORD } });
      return (await t.request('POST', path('/login'), { body: { username: email, password: PASSWORD } })).json;
    };
    return {
      signUp,
      ann: await signUp(`ann-${dialect}@example.com`),
      bob: await signUp(`bob-${dialect}@example.com`),
    };
  };
  const keys = (token: string, method = 'GET', path = '', body?: unknown) =>
    t.request(method, `${API}/auth/api_keys${path}`, { token, ...(body === undefined ? {} : { body }) });
  const loginWithKey = (key: unknown, appId = TEST_APP_ID) =>
    t.request('POST', `${API}/app/${appId}/auth/providers/api-key/login`, { body: { key } });
  const profile = async (accessToken: string) =>
    (await t.request('GET', `${API}/auth/profile`, { token: accessToken })).json;
  const appSettings = (id = TEST_APP_ID) => {
    const app = t.gatehouse.config.apps.get(id);
    if (!app) throw new Error(`no app ${id}`);
    return app;
  };

  describe('user keys', () => {
    it('creates a key shown once, lists and fetches it without the secret, and logs in as its owner', async () => {
      const { ann } = await setup();
      expect((await keys(ann.refresh_token)).json).toEqual([]);
      const created = await keys(ann.refresh_token, 'POST', '', { name: 'ci' });
      expect(created.status).toBe(201);
      expect(created.headers.get('content-type')).toBe('application/json');
      expect(created.json).toEqual({
        _id: expect.stringMatching(/^[0-9a-f]{24}$/),
        key: expect.stringMatching(/^[\w-]{64}$/),
        name: 'ci',
        disabled: false,
      });
      const listed = await keys(ann.refresh_token);
      expect(listed.headers.get('content-type')).toBe('application/json');
      expect(listed.json).toEqual([{ _id: created.json._id, name: 'ci', disabled: false }]);
      expect((await keys(ann.refresh_token, 'GET', `/${created.json._id}`)).json).toEqual({
        _id: created.json._id,
        name: 'ci',
        disabled: false,
      });
      // The secret is stored only as a hash, and never shown again.
      expect(JSON.stringify(await t.gatehouse.storage.listApiKeys(t.appId, ann.user_id))).not.toContain(
        created.json.key,
      );
      expect(JSON.stringify((await keys(ann.refresh_token)).json)).not.toContain(created.json.key);

      t.advance(5_000);
      const login = await loginWithKey(created.json.key);
      expect(login.status).toBe(200);
      // an API-key login returns the owning user.
      expect(login.json.user_id).toBe(ann.user_id);
      expect(decodeJwt(login.json.access_token).sub).toBe(ann.user_id);
      expect((await profile(login.json.access_token)).type).toBe('normal');
      // `last used` is recorded at login; the session remembers the key.
      const [stored] = await t.gatehouse.storage.listApiKeys(t.appId, ann.user_id);
      expect(stored?.lastUsedAt).toBe(t.now());
      const sessions = await t.gatehouse.storage.listActiveSessions(t.appId, ann.user_id, t.now());
      expect(sessions.find((s) => s.apiKeyId === created.json._id)?.providerType).toBe('api-key');
    });

    it('disable, enable and delete answer 204 without a content type; a disabled or deleted key cannot log in', async () => {
      const { ann } = await setup();
      const { _id, key } = (await keys(ann.refresh_token, 'POST', '', { name: 'temp' })).json;
      const disabled = await keys(ann.refresh_token, 'PUT', `/${_id}/disable`);
      expect(disabled.status).toBe(204);
      expect(disabled.headers.get('content-type')).toBeNull();
      expect(disabled.text).toBe('');
      expect((await keys(ann.refresh_token, 'GET', `/${_id}`)).json.disabled).toBe(true);
      expect((await loginWithKey(key)).json).toEqual({ error: 'invalid API key', error_code: 'InvalidPassword' });
      const enabled = await keys(ann.refresh_token, 'PUT', `/${_id}/enable`);
      expect([enabled.status, enabled.headers.get('content-type')]).toEqual([204, null]);
      expect((await loginWithKey(key)).status).toBe(200);
      const deleted = await keys(ann.refresh_token, 'DELETE', `/${_id}`);
      expect([deleted.status, deleted.headers.get('content-type')]).toEqual([204, null]);
      const after = await loginWithKey(key);
      expect([after.status, after.json.error_code]).toEqual([401, 'InvalidPassword']);
      expect((await keys(ann.refresh_token, 'GET', `/${_id}`)).json).toEqual({
        error: 'API key not found',
        error_code: 'APIKeyNotFound',
      });
      expect((await keys(ann.refresh_token, 'DELETE', `/${_id}`)).status).toBe(404);
    });

    it('disabling a key ends the sessions it opened (but not the caller’s own); deleting ends them all', async () => {
      const { ann } = await setup();
      const { _id, key } = (await keys(ann.refresh_token, 'POST', '', { name: 'laptop' })).json;
      const first = (await loginWithKey(key)).json;
      const second = (await loginWithKey(key)).json;
      const refresh = (token: string) => t.request('POST', `${API}/auth/session`, { token });
      // The second key session disables its own key: it keeps working; the first one ends.
      expect((await keys(second.refresh_token, 'PUT', `/${_id}/disable`)).status).toBe(204);
      expect((await refresh(first.refresh_token)).json.error_code).toBe('InvalidSession');
      expect((await refresh(second.refresh_token)).status).toBe(201);
      // The password session is no key's session: untouched throughout.
      expect((await refresh(ann.refresh_token)).status).toBe(201);
      await keys(ann.refresh_token, 'PUT', `/${_id}/enable`);
      const third = (await loginWithKey(key)).json;
      expect((await keys(ann.refresh_token, 'DELETE', `/${_id}`)).status).toBe(204);
      expect((await refresh(second.refresh_token)).status).toBe(401);
      expect((await refresh(third.refresh_token)).status).toBe(401);
      expect((await refresh(ann.refresh_token)).status).toBe(201);
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
        expect([res.status, res.json.error_code], `${method} ${path}`).toEqual([404, 'APIKeyNotFound']);
      }
      expect((await keys(bob.refresh_token)).json).toEqual([]);
      // Bob may use the same name: names are unique per user.
      expect((await keys(bob.refresh_token, 'POST', '', { name: 'mine' })).status).toBe(201);
      expect((await keys(ann.refresh_token, 'GET', `/${_id}`)).json.disabled).toBe(false);
      // Malformed ids cannot name a key: 404 as well, never a 500.
      for (const id of ['not-an-id', 'g'.repeat(24), '0'.repeat(23), `${'a'.repeat(24)}0`, '%00', 'x'.repeat(5000)]) {
        const res = await keys(ann.refresh_token, 'GET', `/${encodeURIComponent(id)}`);
        expect([res.status, res.json?.error_code], id.slice(0, 30)).toEqual([404, 'APIKeyNotFound']);
        expect((await keys(ann.refresh_token, 'PUT', `/${encodeURIComponent(id)}/disable`)).status).toBe(404);
        expect((await keys(ann.refresh_token, 'DELETE', `/${encodeURIComponent(id)}`)).status).toBe(404);
      }
    });

    it('the owner is the session’s user only: a userId or owner field in the body is refused', async () => {
      const { ann, bob } = await setup();
      for (const extra of [{ userId: bob.user_id }, { owner_id: bob.user_id }, { key: 'chosen-by-client' }]) {
        const res = await keys(ann.refresh_token, 'POST', '', { name: 'x', ...extra });
        expect(res.status).toBe(400);
        expect(res.json.error).toContain(`'${Object.keys(extra)[0]}'`);
      }
      expect(await t.gatehouse.storage.countApiKeys(t.appId, bob.user_id)).toBe(0);
      expect(await t.gatehouse.storage.countApiKeys(t.appId, ann.user_id)).toBe(0);
    });

    it('validates names: required strings of 1–100 characters, unique per user after trimming', async () => {
      const { ann } = await setup();
      const create = (body: unknown) => keys(ann.refresh_token, 'POST', '', body);
      for (const body of [
        {},
        { name: 42 },
        { name: null },
        { name: ['a'] },
        { name: { $numberInt: '1' } },
        { name: '' },
        { name: '   ' },
        { name: 'a'.repeat(101) },
        { name: 'x'.repeat(5000) },
        { name: 'tab\there' },
      ]) {
        const res = await create(body);
        expect([res.status, res.json.error_code], JSON.stringify(body).slice(0, 40)).toEqual([
          400,
          expect.stringMatching(/^(BadRequest|InvalidParameter)$/),
        ]);
      }
      expect((await create({ name: 'ü'.repeat(100) })).status).toBe(201);
      expect((await create({ name: '  ci  ' })).json.name).toBe('ci');
      const duplicate = await create({ name: 'ci' });
      expect([duplicate.status, duplicate.json]).toEqual([
        409,
        { error: 'API key already exists', error_code: 'APIKeyAlreadyExists' },
      ]);
      // NFC: the composed and decomposed spellings are one name.
      expect((await create({ name: 'caf\u00e9' })).status).toBe(201);
      expect((await create({ name: 'cafe\u0301' })).status).toBe(409);
      expect(await t.gatehouse.storage.countApiKeys(t.appId, ann.user_id)).toBe(3);
      const raw = await t.request('POST', `${API}/auth/api_keys`, {
        token: ann.refresh_token,
        raw: '{"name":',
        headers: { 'content-type': 'application/json' },
      });
      expect([raw.status, raw.json.error_code]).toEqual([400, 'BadRequest']);
      const form = await t.request('POST', `${API}/auth/api_keys`, {
        token: ann.refresh_token,
        raw: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(415);
    });

    it('holds the per-user limit, also against concurrent creates', async () => {
      const { ann } = await setup({ maxKeysPerUser: 2 });
      expect((await keys(ann.refresh_token, 'POST', '', { name: 'a' })).status).toBe(201);
      expect((await keys(ann.refresh_token, 'POST', '', { name: 'b' })).status).toBe(201);
      const third = await keys(ann.refresh_token, 'POST', '', { name: 'c' });
      expect([third.status, third.json]).toEqual([
        400,
        { error: 'a user can have at most 2 API keys', error_code: 'InvalidParameter' },
      ]);
      await keys(ann.refresh_token, 'DELETE', `/${(await keys(ann.refresh_token)).json[0]._id}`);
      const race = await Promise.all(
        ['p', 'q', 'r', 's', 't'].map((name) => keys(ann.refresh_token, 'POST', '', { name })),
      );
      // Never more than the limit; a refused create leaves nothing behind.
      const made = race.filter((r) => r.status === 201).length;
      expect(made).toBeLessThanOrEqual(1);
      expect(race.every((r) => r.status === 201 || r.json.error_code === 'InvalidParameter')).toBe(true);
      expect(await t.gatehouse.storage.countApiKeys(t.appId, ann.user_id)).toBe(1 + made);
    });

    it('the default limit is 20 keys per user', async () => {
      const { ann } = await setup();
      for (let i = 0; i < 20; i++)
        expect((await keys(ann.refresh_token, 'POST', '', { name: `k${i}` })).status).toBe(201);
      expect((await keys(ann.refresh_token, 'POST', '', { name: 'k20' })).json.error).toBe(
        'a user can have at most 20 API keys',
      );
    });

    it('anonymous users cannot own keys; the routes want a refresh token', async () => {
      const { ann } = await setup();
      const anon = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
      const refused = await keys(anon.refresh_token, 'POST', '', { name: 'x' });
      expect([refused.status, refused.json]).toEqual([
        400,
        { error: 'anonymous users cannot own API keys', error_code: 'InvalidParameter' },
      ]);
      expect((await keys(anon.refresh_token)).json).toEqual([]);
      // An access token is not a refresh token; nor is nothing, or garbage.
      for (const token of [ann.access_token, 'null', 'garbage.garbage.garbage']) {
        const res = await keys(token);
        expect([res.status, res.json.error_code]).toEqual([401, 'InvalidSession']);
      }
      const none = await t.request('GET', `${API}/auth/api_keys`);
      expect([none.status, none.json.error_code]).toEqual([401, 'InvalidSession']);
      // A logged-out session's refresh token no longer works.
      await t.request('DELETE', `${API}/auth/session`, { token: ann.refresh_token });
      expect((await keys(ann.refresh_token)).status).toBe(401);
    });

    it('a key cannot delete itself from the session it opened (403)', async () => {
      const { ann } = await setup();
      const { _id, key } = (await keys(ann.refresh_token, 'POST', '', { name: 'self' })).json;
      const viaKey = (await loginWithKey(key)).json;
      const res = await keys(viaKey.refresh_token, 'DELETE', `/${_id}`);
      expect([res.status, res.json]).toEqual([
        403,
        { error: 'cannot delete the API key of the current session', error_code: 'Forbidden' },
      ]);
      expect((await keys(ann.refresh_token, 'GET', `/${_id}`)).status).toBe(200);
      // The key's session manages the owner's other keys like any session of the owner.
      const other = (await keys(viaKey.refresh_token, 'POST', '', { name: 'other' })).json;
      expect((await keys(viaKey.refresh_token, 'DELETE', `/${other._id}`)).status).toBe(204);
      expect((await keys(ann.refresh_token, 'DELETE', `/${_id}`)).status).toBe(204);
    });

    it('refuses bad login bodies, keys of another app, disabled and deleted owners', async () => {
      const { ann, bob, signUp } = await setup();
      const { key } = (await keys(ann.refresh_token, 'POST', '', { name: 'k' })).json;
      for (const body of [{}, { key: 42 }, { key: '' }, { key: null }, { key: 'x'.repeat(513) }, { key, extra: 1 }]) {
        const res = await t.request('POST', t.appPath('/auth/providers/api-key/login'), { body });
        expect([res.status, res.json.error_code], JSON.stringify(body).slice(0, 40)).toEqual([400, 'BadRequest']);
      }
      // realm-core adds `provider`, clients add `options`: both are taken off before the schema.
      const core = await t.request('POST', t.appPath('/auth/providers/api-key/login'), {
        body: { key, provider: 'api-key', options: { device: { sdkVersion: '12.0.0' } } },
      });
      expect(core.status).toBe(200);
      expect((await loginWithKey('a-key-nobody-made')).status).toBe(401);
      // A key belongs to its app: the same secret means nothing to another app.
      const elsewhere = await loginWithKey(key, OTHER_APP);
      expect([elsewhere.status, elsewhere.json.error_code]).toEqual([401, 'InvalidPassword']);
      const carol = await signUp(`carol-${dialect}@example.com`, OTHER_APP);
      const carolKey = (await keys(carol.refresh_token, 'POST', '', { name: 'k' })).json;
      expect((await loginWithKey(carolKey.key, OTHER_APP)).json.user_id).toBe(carol.user_id);
      expect((await loginWithKey(carolKey.key)).status).toBe(401);
      // Ann's session cannot reach Carol's key in the other app either.
      expect((await keys(ann.refresh_token, 'GET', `/${carolKey._id}`)).status).toBe(404);
      // A key cannot be linked to a user: it is not an identity.
      const link = await t.request('POST', `${t.appPath('/auth/providers/api-key/login')}?link=true`, {
        body: { key },
        token: bob.access_token,
      });
      expect([link.status, link.json.error_code]).toEqual([400, 'InvalidParameter']);
      // A disabled owner cannot log in with a key; a deleted owner's keys are gone.
      await t.gatehouse.storage.setUserDisabled(TEST_APP_ID, ann.user_id, true, t.now());
      expect((await loginWithKey(key)).json.error_code).toBe('UserDisabled');
      await t.gatehouse.storage.setUserDisabled(TEST_APP_ID, ann.user_id, false, t.now());
      expect((await t.request('DELETE', `${API}/auth/delete`, { token: ann.access_token })).status).toBe(204);
      expect((await loginWithKey(key)).json.error_code).toBe('InvalidPassword');
    });

    it('counts failed key logins against the client address', async () => {
      t = await startTestGatehouse(dialect, {
        app: { providers: providers() },
        config: { rateLimits: { failedLoginsPerAddress: 3 }, functions: { authenticate: () => 'x' } } as never,
      });
      for (let i = 0; i < 3; i++) expect((await loginWithKey(`wrong-${i}`)).status).toBe(401);
      const limited = await loginWithKey('wrong-again');
      expect([limited.status, limited.json.error_code]).toEqual([429, 'TooManyRequests']);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    it('answers 404 AuthProviderNotFound when the app has no api-key provider', async () => {
      t = await startTestGatehouse(dialect);
      const login = await setupUser();
      expect((await keys(login.refresh_token)).json.error_code).toBe('AuthProviderNotFound');
      expect((await keys(login.refresh_token, 'POST', '', { name: 'x' })).status).toBe(404);
      expect((await loginWithKey('whatever')).json.error_code).toBe('AuthProviderNotFound');
    });
  });

  describe('server keys', () => {
    it('each key has its own server user; logging in gives a profile of type "server"', async () => {
      await setup();
      const server = serverApiKeys(t.gatehouse.storage, appSettings(), t.now());
      const backend = await server.create('backend');
      const worker = await server.create('worker');
      expect(backend).toMatchObject({ _id: expect.stringMatching(/^[0-9a-f]{24}$/), name: 'backend', disabled: false });
      expect(backend.key).toMatch(/^[\w-]{64}$/);
      expect(worker.userId).not.toBe(backend.userId);

      const login = await loginWithKey(backend.key);
      expect(login.json.user_id).toBe(backend.userId);
      expect(await profile(login.json.access_token)).toEqual({
        user_id: backend.userId,
        domain_id: expect.any(String),
        identities: [{ id: backend._id, provider_type: 'api-key', provider_id: 'api-key' }],
        data: {},
        type: 'server',
      });
      expect((await loginWithKey(worker.key)).json.user_id).toBe(worker.userId);
      const listed = (k: typeof backend) => ({
        _id: k._id,
        name: k.name,
        disabled: false,
        userId: k.userId,
        createdAt: t.now(),
        lastUsedAt: t.now(),
      });
      expect(await server.list()).toEqual([listed(backend), listed(worker)]);
      expect(JSON.stringify(await server.list())).not.toContain(backend.key);
      // A key of another app's server.
      expect((await loginWithKey(backend.key, OTHER_APP)).status).toBe(401);
    });

    it('a server user cannot manage keys, link credentials or see other server keys through the client API', async () => {
      await setup();
      const server = serverApiKeys(t.gatehouse.storage, appSettings(), t.now());
      const { key, _id } = await server.create('backend');
      await server.create('other');
      const session = (await loginWithKey(key)).json;
      for (const [method, path, body] of [
        ['GET', '', undefined],
        ['POST', '', { name: 'more' }],
        ['GET', `/${_id}`, undefined],
        ['PUT', `/${_id}/disable`, undefined],
        ['DELETE', `/${_id}`, undefined],
      ] as const) {
        const res = await keys(session.refresh_token, method, path, body);
        expect([res.status, res.json.error_code], `${method} ${path}`).toEqual([403, 'Forbidden']);
      }
      const link = await t.request('POST', `${t.appPath('/auth/providers/custom-function/login')}?link=true`, {
        body: { id: 'someone' },
        token: session.access_token,
      });
      expect([link.status, link.json.error_code]).toEqual([403, 'Forbidden']);
      expect((await server.list()).map((k) => k.name)).toEqual(['backend', 'other']);
    });

    it('disable ends its sessions and refuses logins; delete removes the key with its user', async () => {
      await setup();
      const server = serverApiKeys(t.gatehouse.storage, appSettings(), t.now());
      const { key, _id, userId } = await server.create('backend');
      const session = (await loginWithKey(key)).json;
      expect(await server.setDisabled(_id, true)).toBe(true);
      expect((await server.list())[0]?.disabled).toBe(true);
      expect((await loginWithKey(key)).status).toBe(401);
      expect((await t.request('POST', `${API}/auth/session`, { token: session.refresh_token })).status).toBe(401);
      expect(await server.setDisabled(_id, false)).toBe(true);
      const again = (await loginWithKey(key)).json;
      expect(await server.remove(_id)).toBe(true);
      expect((await loginWithKey(key)).status).toBe(401);
      expect((await t.request('POST', `${API}/auth/session`, { token: again.refresh_token })).status).toBe(401);
      expect(await t.gatehouse.storage.getUser(TEST_APP_ID, userId)).toBeNull();
      expect(await server.list()).toEqual([]);
      // Unknown, malformed and already deleted ids: `false`, never a throw.
      expect(await server.remove(_id)).toBe(false);
      expect(await server.setDisabled('nope', true)).toBe(false);
    });

    it('server key names are unique in the app and validated; the app holds at most maxServerKeys', async () => {
      await setup({ maxServerKeys: 2 });
      const server = serverApiKeys(t.gatehouse.storage, appSettings(), t.now());
      await server.create('a');
      await expect(server.create(' a ')).rejects.toMatchObject({ code: 'APIKeyAlreadyExists' });
      await expect(server.create('')).rejects.toMatchObject({ code: 'InvalidParameter' });
      await expect(server.create('n'.repeat(101))).rejects.toMatchObject({ code: 'InvalidParameter' });
      await server.create('b');
      await expect(server.create('c')).rejects.toThrow('an app can have at most 2 server API keys');
      // A user's key of the same name is no server key, and does not count against the app's limit.
      const dan = await setupUser();
      expect((await keys(dan.refresh_token, 'POST', '', { name: 'a' })).status).toBe(201);
      expect((await server.list()).map((k) => k.name)).toEqual(['a', 'b']);
      expect((await keys(dan.refresh_token)).json.map((k: { name: string }) => k.name)).toEqual(['a']);
      // The other app has its own server keys.
      const other = serverApiKeys(t.gatehouse.storage, appSettings(OTHER_APP), t.now());
      expect(await other.list()).toEqual([]);
      await other.create('a');
      expect(await other.setDisabled((await server.list())[0]?._id as string, true)).toBe(false);
    });
  });

  const setupUser = async () => {
    const email = `dan-${dialect}@example.com`;
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email, password: PASSWORD },
    });
    return (
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: email, password: PASSWORD },
      })
    ).json;
  };
});
