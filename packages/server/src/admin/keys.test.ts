import { afterEach, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';

const OTHER_APP = 'other-app-fghij';

describe.each(['sqlite', 'postgres'] as const)('admin keys (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const start = () =>
    startTestGatehouse(dialect, {
      config: { apps: { 'test-app-abcde': { providers: { 'anon-user': {} } }, [OTHER_APP]: { providers: {} } } },
    });

  it('shows a key once, stores only its hash, scopes it to an app, records use, and revokes it', async () => {
    t = await start();
    const keys = t.gatehouse.adminKeys;
    const created = await keys.create({ appId: t.appId, name: 'support' });
    expect(created.key).toMatch(/^gha_[\w-]{43}$/);
    expect(JSON.stringify(await keys.list())).not.toContain(created.key.slice(4));
    const bearer = `Bearer ${created.key}`;

    expect(await keys.authenticate(bearer, t.appId)).toMatchObject({ id: created.id, appId: t.appId });
    expect((await keys.list())[0]?.lastUsedAt).toBe(t.now());
    await expect(keys.authenticate(bearer, OTHER_APP)).rejects.toMatchObject({ code: 'Forbidden' });
    await expect(keys.authenticate(undefined, t.appId)).rejects.toMatchObject({ code: 'AuthError' });
    await expect(keys.authenticate(`Bearer ${created.key}x`, t.appId)).rejects.toMatchObject({ code: 'AuthError' });
    await expect(keys.authenticate(`Basic ${created.key}`, t.appId)).rejects.toMatchObject({ code: 'AuthError' });

    t.advance(1000);
    expect(await keys.revoke(created.id)).toBe(true);
    expect(await keys.revoke(created.id)).toBe(false);
    await expect(keys.authenticate(bearer, t.appId)).rejects.toMatchObject({ code: 'AuthError' });
    const trail = await t.gatehouse.storage.listAuditEvents(t.appId);
    expect(trail.map((e) => e.type)).toEqual(['admin-key-revoked', 'admin-key-created']);
    expect(await t.gatehouse.storage.listAuditEvents(OTHER_APP)).toEqual([]);
  });

  it('a global key administers every app; a user access token is never an admin key', async () => {
    t = await start();
    const global = await t.gatehouse.adminKeys.create({ appId: null, name: 'ops' });
    for (const app of [t.appId, OTHER_APP])
      expect((await t.gatehouse.adminKeys.authenticate(`Bearer ${global.key}`, app)).appId).toBeNull();
    const login = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
    expect(login.status).toBe(200);
    for (const token of [login.json.access_token, login.json.refresh_token])
      await expect(t.gatehouse.adminKeys.authenticate(`Bearer ${token}`, t.appId)).rejects.toMatchObject({
        code: 'AuthError',
      });
    await expect(t.gatehouse.adminKeys.create({ appId: 'no-such-app', name: 'x' })).rejects.toMatchObject({
      code: 'AppNotFound',
    });
  });
});
