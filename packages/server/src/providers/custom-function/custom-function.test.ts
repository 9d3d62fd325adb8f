import { openTestStorage } from '@gatehouse/storage/testing';
import * as Realm from 'realm-web';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatehouse } from '../../gatehouse.js';
import { serveNode } from '../../node/serve.js';
import { startTestGatehouse, type TestGatehouse, testSigningKey } from '../../testing/index.js';

const API = '/api/client/v2.0';

/** A function that accepts `{ username, pin }` when the pin is 1234, and refuses otherwise. */
const functions = {
  authenticate: async (payload: { username?: unknown; pin?: unknown }) => {
    if (payload.pin !== 1234) throw new Error('wrong pin');
    if (payload.username === 'no-id') return 42;
    return `ext-${String(payload.username)}`;
  },
};
const providers = { 'anon-user': {}, 'custom-function': { function: 'authenticate' } };

/** `custom-function` login (spec §5.1) on both dialects, and with realm-web's `Credentials.function`. */
describe.each(['sqlite', 'postgres'] as const)('custom-function (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());
  const login = (body: unknown, path = '') =>
    t.request('POST', t.appPath(`/auth/providers/custom-function/login${path}`), { body });

  it('logs in with the id the function returns; the first login creates the user, later ones find it', async () => {
    t = await startTestGatehouse(dialect, { app: { providers }, config: { functions } as never });
    const first = await login({ username: 'ada', pin: { $numberInt: '1234' } });
    expect(first.status).toBe(200);
    const second = await login({ username: 'ada', pin: 1234, options: { device: {} } });
    expect(second.json.user_id).toBe(first.json.user_id);
    const profile = await t.request('GET', `${API}/auth/profile`, { token: first.json.access_token });
    expect(profile.json.identities).toEqual([
      { id: 'ext-ada', provider_type: 'custom-function', provider_id: 'custom-function' },
    ]);
    expect((await login({ username: 'bob', pin: 1234 })).json.user_id).not.toBe(first.json.user_id);
  });

  it("a refusal is a 4xx with the function's message, never a 500; so is a bad return value", async () => {
    t = await startTestGatehouse(dialect, { app: { providers }, config: { functions } as never });
    const refused = await login({ username: 'ada', pin: 1 });
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ error: 'wrong pin', error_code: 'AuthError' });
    const noId = await login({ username: 'no-id', pin: 1234 });
    expect(noId.json).toEqual({ error: 'authentication function returned no user id', error_code: 'AuthError' });
    expect(await t.gatehouse.storage.countUsers(t.appId)).toBe(0);
  });

  it('links to an anonymous user, which keeps its id; an id owned by another user is refused', async () => {
    t = await startTestGatehouse(dialect, { app: { providers }, config: { functions } as never });
    const anon = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    const linked = await t.request('POST', t.appPath('/auth/providers/custom-function/login?link=true'), {
      body: { username: 'grace', pin: 1234 },
      token: anon.access_token,
    });
    expect(linked.json.user_id).toBe(anon.user_id);
    expect((await login({ username: 'grace', pin: 1234 })).json.user_id).toBe(anon.user_id);
    const other = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    const taken = await t.request('POST', t.appPath('/auth/providers/custom-function/login?link=true'), {
      body: { username: 'grace', pin: 1234 },
      token: other.access_token,
    });
    expect(taken.json.error_code).toBe('InvalidParameter');
  });

  it('refuses a configuration naming a function that does not exist', async () => {
    await expect(
      startTestGatehouse(dialect, { app: { providers: { 'custom-function': { function: 'missing' } } } }),
    ).rejects.toThrow(/apps\.test-app-abcde\.providers\.custom-function\.function: no function named 'missing'/);
  });

  it('realm-web logs in with Credentials.function and links one to an anonymous user', async () => {
    const { storage, cleanup } = await openTestStorage(dialect);
    const gatehouse = await createGatehouse(
      {
        publicUrl: 'http://127.0.0.1:0',
        database: { url: 'sqlite::memory:' },
        keys: [await testSigningKey()],
        logLevel: 'silent',
        functions,
        apps: { 'fn-app': { providers } },
      },
      { storage },
    );
    const server = await serveNode(gatehouse, { port: 0 });
    try {
      const app = new Realm.App({ id: 'fn-app', baseUrl: server.url, skipLocationRequest: true });
      const user = await app.logIn(Realm.Credentials.function({ username: 'lin', pin: 1234 }));
      expect(user.identities).toEqual([{ id: 'ext-lin', providerType: 'custom-function' }]);
      await expect(app.logIn(Realm.Credentials.function({ username: 'lin', pin: 0 }))).rejects.toMatchObject({
        statusCode: 401,
        error: 'wrong pin',
      });
      const anon = await app.logIn(Realm.Credentials.anonymous(false));
      await anon.linkCredentials(Realm.Credentials.function({ username: 'kay', pin: 1234 }));
      expect(anon.identities.map((i) => i.providerType)).toEqual(['anon-user', 'custom-function']);
      await app.removeUser(user);
      await app.removeUser(anon);
    } finally {
      await server.close();
      await cleanup();
    }
  });
});
