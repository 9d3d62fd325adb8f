import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedGatehouse, serveGatehouse } from './serve.js';

/**
 * realm-web 2.0.1's way to upgrade an anonymous user: log in anonymously, register an
 * email/password account, then `user.linkCredentials(...)` — the user keeps its id and gains the identity.
 */
describe.each(['sqlite', 'postgres'] as const)('realm-web linkCredentials against gatehouse serve (%s)', (dialect) => {
  let served: ServedGatehouse;
  beforeAll(async () => {
    served = await serveGatehouse(dialect, {
      providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
    });
  });
  afterAll(async () => {
    await served?.stop();
  });

  it('upgrades an anonymous user to email/password, keeping its id', async () => {
    const app = new Realm.App({ id: served.appId, baseUrl: served.url });
    const anon = await app.logIn(Realm.Credentials.anonymous(false));
    const email = `upgrade-${dialect}-${Date.now()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: 'upgrade passphrase' });
    await anon.linkCredentials(Realm.Credentials.emailPassword(email, 'upgrade passphrase'));
    expect(anon.identities.map((i) => i.providerType)).toEqual(['anon-user', 'local-userpass']);
    expect(anon.profile.email).toBe(email);
    await anon.logOut();
    const again = await app.logIn(Realm.Credentials.emailPassword(email, 'upgrade passphrase'));
    expect(again.id).toBe(anon.id);
    await app.removeUser(again);
  }, 60_000);
});
