import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt, startTestGatehouse, type TestGatehouse } from '../testing/index.js';

const API = '/api/client/v2.0';

/** Custom user data: the `customData(user)` hook or the stored data, in `user_data`, both dialects. */
describe.each(['sqlite', 'postgres'] as const)('custom user data (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const start = (customData?: (user: never) => unknown) =>
    startTestGatehouse(dialect, {
      app: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } },
      config: (customData ? { hooks: { customData } } : {}) as never,
    });
  const anonymous = async () =>
    (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
  const refresh = async (refreshToken: string) => {
    const res = await t.request('POST', `${API}/auth/session`, { token: refreshToken });
    expect(res.status).toBe(201);
    return decodeJwt(res.json.access_token).user_data;
  };

  it('without a hook, tokens carry the stored custom data; a change shows at the next refresh', async () => {
    t = await start();
    const session = await anonymous();
    expect(decodeJwt(session.access_token).user_data).toEqual({});
    await t.gatehouse.storage.setUserCustomData(
      t.appId,
      session.user_id,
      { plan: 'pro', seats: 3, ratio: 0.5, tags: ['a'], nested: { on: true, none: null } },
      t.now(),
    );
    // Canonical Extended JSON, as App Services put it.
    expect(await refresh(session.refresh_token)).toEqual({
      plan: 'pro',
      seats: { $numberInt: '3' },
      ratio: { $numberDouble: '0.5' },
      tags: ['a'],
      nested: { on: true, none: null },
    });
  });

  it('the hook sees the App Services user object (id, type, identities, …) and the stored data', async () => {
    const seen: Record<string, unknown>[] = [];
    t = await start(((user: Record<string, unknown>) => {
      seen.push(user);
      return { from: 'hook' };
    }) as never);
    const session = await anonymous();
    expect(decodeJwt(session.access_token).user_data).toEqual({ from: 'hook' });
    await t.gatehouse.storage.setUserCustomData(t.appId, session.user_id, { stored: true }, t.now());
    await refresh(session.refresh_token);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({
      id: session.user_id,
      _id: session.user_id,
      appId: t.appId,
      type: 'normal',
      identities: [{ id: expect.any(String), providerType: 'anon-user', providerId: 'anon-user' }],
      emails: [],
      profile: {},
      customData: { stored: true },
    });
    // The hook gets a copy: changing it changes nothing stored.
    (seen[1]?.customData as Record<string, unknown>).stored = false;
    expect((await t.gatehouse.storage.getUser(t.appId, session.user_id))?.customData).toEqual({ stored: true });
  });

  it('a hook that fails, returns no object, or too much, falls back to the stored data — never a failed refresh', async () => {
    let answer: () => unknown = () => ({ ok: true });
    t = await start((() => answer()) as never);
    const session = await anonymous();
    await t.gatehouse.storage.setUserCustomData(t.appId, session.user_id, { fallback: 1 }, t.now());
    expect(await refresh(session.refresh_token)).toEqual({ ok: true });
    const fallback = { fallback: { $numberInt: '1' } };
    for (const bad of [
      () => {
        throw new Error('CRM down');
      },
      () => Promise.reject(new Error('async failure')),
      () => null,
      () => 'text',
      () => [1, 2],
      () => ({ big: 'x'.repeat(17_000) }),
      () => ({ n: 1n }),
    ]) {
      answer = bad;
      expect(await refresh(session.refresh_token)).toEqual(fallback);
    }
    // And at login too: the hook never fails a login.
    answer = () => {
      throw new Error('CRM down');
    };
    const again = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
    expect(again.status).toBe(200);
    expect(decodeJwt(again.json.access_token).user_data).toEqual({});
  });

  it('refuses a customData hook that is not a function at start-up', async () => {
    await expect(start({ plan: 'pro' } as never)).rejects.toThrow(/hooks\.customData/);
  });
});
