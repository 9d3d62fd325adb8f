import { openTestStorage } from '@gatehouse-auth/storage/testing';
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

/** `custom-function` login on both dialects, and with realm-web's `Credentials.function`. */
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
    expect(await t.countUsers()).toBe(0);
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

  it('the function gets the decoded payload without the envelope, and the app id', async () => {
    const seen: unknown[] = [];
    t = await startTestGatehouse(dialect, {
      app: { providers },
      config: {
        functions: {
          authenticate: (payload: Record<string, unknown>, context: unknown) => {
            seen.push({ payload, context });
            return 'ext-1';
          },
        },
      } as never,
    });
    const res = await login({
      name: 'ada',
      n: { $numberInt: '7' },
      big: { $numberLong: '9007199254740993' },
      when: { $date: { $numberLong: '1700000000000' } },
      nested: { list: [{ $numberDouble: '1.5' }] },
      provider: 'custom-function',
      options: { device: { sdkVersion: '2.0.1' } },
    });
    expect(res.status).toBe(200);
    expect(seen).toEqual([
      {
        payload: {
          name: 'ada',
          n: 7,
          big: 9007199254740993n,
          when: new Date(1700000000000),
          nested: { list: [1.5] },
        },
        context: { appId: t.appId },
      },
    ]);
  });

  it('refuses every bad return value with a 401 and creates no user', async () => {
    let value: unknown;
    t = await startTestGatehouse(dialect, {
      app: { providers },
      config: { functions: { authenticate: async () => value } } as never,
    });
    for (const bad of [undefined, null, 42, '', '   ', { id: 'x' }, ['x'], true]) {
      value = bad;
      const res = await login({});
      expect(res.json, JSON.stringify(bad)).toEqual({
        error: 'authentication function returned no user id',
        error_code: 'AuthError',
      });
    }
    value = 'x'.repeat(257);
    expect((await login({})).json).toEqual({
      error: 'authentication function returned a user id longer than 256 characters',
      error_code: 'AuthError',
    });
    value = 'x'.repeat(256);
    expect((await login({})).status).toBe(200);
    expect(await t.countUsers()).toBe(1);
  });

  it('whatever the function throws is a 401 AuthError with its message, never a 500', async () => {
    let fail: () => unknown = () => 'ok';
    t = await startTestGatehouse(dialect, {
      app: { providers },
      config: { functions: { authenticate: () => fail() } } as never,
    });
    const cases: [() => unknown, string][] = [
      [
        () => {
          throw new TypeError("Cannot read properties of undefined (reading 'x')");
        },
        "Cannot read properties of undefined (reading 'x')",
      ],
      [() => Promise.reject(new Error('account locked')), 'account locked'],
      [
        () => {
          throw 'a bare string';
        },
        'a bare string',
      ],
      [
        () => {
          throw new Error('');
        },
        "function 'authenticate' failed",
      ],
      [
        () => {
          throw new Error('x'.repeat(2000));
        },
        'x'.repeat(500),
      ],
    ];
    for (const [fn, message] of cases) {
      fail = fn;
      const res = await login({ any: 'thing' });
      expect([res.status, res.json]).toEqual([401, { error: message, error_code: 'AuthError' }]);
    }
    expect(await t.countUsers()).toBe(0);
  });

  it('gives up after the configured timeout', async () => {
    t = await startTestGatehouse(dialect, {
      app: { providers: { 'custom-function': { function: 'slow', timeout: '50ms' } } },
      config: { functions: { slow: () => new Promise(() => {}) } } as never,
    });
    const started = Date.now();
    const res = await login({ user: 'x' });
    expect([res.status, res.json]).toEqual([401, { error: "function 'slow' timed out", error_code: 'AuthError' }]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('bounds the payload: size, depth, shape and the body limit', async () => {
    t = await startTestGatehouse(dialect, { app: { providers }, config: { functions } as never });
    let deep: Record<string, unknown> = { pin: 1234 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const tooDeep = await login(deep);
    expect([tooDeep.status, tooDeep.json.error]).toEqual([
      400,
      'invalid request: payload is nested deeper than 32 levels',
    ]);
    // 3,000 small integers: under the 64 KiB body limit as sent, over 32 KiB as canonical Extended JSON.
    const wide = await login({ pin: 1234, list: Array.from({ length: 3000 }, (_, i) => i % 10) });
    expect([wide.status, wide.json.error]).toEqual([400, 'invalid request: payload is larger than 32 KiB']);
    const huge = await login({ pin: 1234, blob: 'x'.repeat(70_000) });
    expect([huge.status, huge.json.error_code]).toEqual([413, 'PayloadTooLarge']);
    for (const raw of ['[1,2]', '"text"', '{"pin":', '{"n":{"$numberInt":5}}']) {
      const res = await t.request('POST', t.appPath('/auth/providers/custom-function/login'), {
        raw,
        headers: { 'content-type': 'application/json' },
      });
      expect([res.status, res.json.error_code], raw).toEqual([400, 'BadRequest']);
    }
    expect(await t.countUsers()).toBe(0);
  });

  it('answers 404 when the provider is off', async () => {
    t = await startTestGatehouse(dialect, {
      app: { providers: { 'custom-function': { function: 'authenticate', enabled: false } } },
      config: { functions } as never,
    });
    expect((await login({ username: 'ada', pin: 1234 })).json.error_code).toBe('AuthProviderNotFound');
  });

  it('refuses a timeout outside 1ms–60s at start-up', async () => {
    for (const timeout of ['2m', '0s', 'soon']) {
      await expect(
        startTestGatehouse(dialect, {
          app: { providers: { 'custom-function': { function: 'authenticate', timeout } } },
          config: { functions } as never,
        }),
      ).rejects.toThrow(/providers\.custom-function\.timeout: expected a duration from '1ms' to '60s'/);
    }
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
