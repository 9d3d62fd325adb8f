import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedGatehouse, serveGatehouse } from './serve.js';

/** realm-web 2.0.1's `user.apiKeys.*` and `Credentials.apiKey` against `gatehouse serve`. */
describe.each(['sqlite', 'postgres'] as const)('realm-web API keys against gatehouse serve (%s)', (dialect) => {
  let served: ServedGatehouse;
  beforeAll(async () => {
    served = await serveGatehouse(dialect, {
      providers: { 'local-userpass': { confirmation: 'auto' }, 'api-key': {} },
    });
  });
  afterAll(async () => {
    await served?.stop();
  });

  it('creates, fetches, disables, enables and deletes keys, and logs in with one as the owner', async () => {
    const app = new Realm.App({ id: served.appId, baseUrl: served.url });
    const email = `keys-${dialect}-${Date.now()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: 'api key owner' });
    const user = await app.logIn(Realm.Credentials.emailPassword(email, 'api key owner'));
    const created = await user.apiKeys.create('deploy');
    expect(created).toMatchObject({
      _id: expect.any(String),
      key: expect.any(String),
      name: 'deploy',
      disabled: false,
    });
    expect(await user.apiKeys.fetch(created._id)).toEqual({ _id: created._id, name: 'deploy', disabled: false });
    expect(await user.apiKeys.fetchAll()).toEqual([{ _id: created._id, name: 'deploy', disabled: false }]);

    const viaKey = await app.logIn(Realm.Credentials.apiKey(created.key));
    expect(viaKey.id).toBe(user.id);

    await user.apiKeys.disable(created._id);
    expect((await user.apiKeys.fetch(created._id)).disabled).toBe(true);
    await expect(app.logIn(Realm.Credentials.apiKey(created.key))).rejects.toMatchObject({ statusCode: 401 });
    await user.apiKeys.enable(created._id);
    // realm-web put the API-key session into the owner's User object: deleting the key that
    // session stands on is refused with 403, as Atlas did. Signing in with the password again allows it.
    await expect(user.apiKeys.delete(created._id)).rejects.toMatchObject({ statusCode: 403 });
    await app.logIn(Realm.Credentials.emailPassword(email, 'api key owner'));
    await user.apiKeys.delete(created._id);
    expect(await user.apiKeys.fetchAll()).toEqual([]);
    await app.removeUser(user);
  }, 60_000);
});
