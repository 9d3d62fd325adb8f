import { createGatehouse, serveNode } from '@gatehouse-auth/server';
import { testSigningKey } from '@gatehouse-auth/server/testing';
import { openTestStorage } from '@gatehouse-auth/storage/testing';
import * as Realm from 'realm-web';
import { describe, expect, it } from 'vitest';

/** realm-web's customData and refreshCustomData() against a started Gatehouse, both dialects. */
describe.each(['sqlite', 'postgres'] as const)('realm-web custom user data (%s)', (dialect) => {
  it('customData comes from the hook, and refreshCustomData() sees a change after the next refresh', async () => {
    let plan = 'free';
    const { storage, cleanup } = await openTestStorage(dialect);
    const gatehouse = await createGatehouse(
      {
        publicUrl: 'http://127.0.0.1:0',
        database: { url: 'sqlite::memory:' },
        keys: [await testSigningKey()],
        logLevel: 'silent',
        hooks: { customData: () => ({ plan, seats: 3 }) },
        apps: { 'data-app': { providers: { 'anon-user': {} } } },
      },
      { storage },
    );
    const server = await serveNode(gatehouse, { port: 0 });
    try {
      const app = new Realm.App({ id: 'data-app', baseUrl: server.url, skipLocationRequest: true });
      const user = await app.logIn(Realm.Credentials.anonymous(false));
      // realm-web does not decode Extended JSON in user_data: numbers arrive canonical.
      expect(user.customData).toEqual({ plan: 'free', seats: { $numberInt: '3' } });
      plan = 'pro';
      expect(user.customData.plan).toBe('free');
      const fresh = await user.refreshCustomData();
      expect(fresh).toEqual({ plan: 'pro', seats: { $numberInt: '3' } });
      expect(user.customData.plan).toBe('pro');
      await app.removeUser(user);
    } finally {
      await server.close();
      await cleanup().catch(() => {});
    }
  });
});
