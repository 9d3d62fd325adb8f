import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatehouse, type ServedGatehouse, serveGatehouse } from './serve.js';

/**
 * realm-web 2.0.1 against `gatehouse serve` started from a `gatehouse.config.mjs` module — the config the
 * docs show (docs/providers/custom-function.md, docs/custom-data.md): `Credentials.function` with the
 * module's function, linking one to an anonymous user, server API keys made with `gatehouse keys`, and
 * custom data set with `gatehouse users set-custom-data` reaching `refreshCustomData()` through the hook.
 */
const MODULE = `
  functions: {
    // Accepts { username, pin } when the pin is right; the returned string is the user's external id.
    async authenticate(payload) {
      if (typeof payload.username !== 'string' || payload.pin !== 1234) throw new Error('wrong username or pin');
      return 'crm-' + payload.username;
    },
  },
  hooks: {
    // What access tokens carry as user_data: the stored custom data, plus a field computed here.
    customData: (user) => ({ ...user.customData, kind: user.type }),
  },`;

describe.each(['sqlite', 'postgres'] as const)('realm-web credentials against gatehouse serve (%s)', (dialect) => {
  let served: ServedGatehouse;
  const cli = (...args: string[]) => runGatehouse([...args, '--config', served.configFile, '--app', served.appId]);
  beforeAll(async () => {
    served = await serveGatehouse(
      dialect,
      { providers: { 'anon-user': {}, 'api-key': {}, 'custom-function': { function: 'authenticate', timeout: '5s' } } },
      {},
      { module: MODULE },
    );
  });
  afterAll(async () => {
    await served?.stop();
  });

  it('logs in with Credentials.function, refuses with the function’s message, links to an anonymous user', async () => {
    const app = new Realm.App({ id: served.appId, baseUrl: served.url });
    const user = await app.logIn(Realm.Credentials.function({ username: `ada-${dialect}`, pin: 1234 }));
    expect(user.identities).toEqual([{ id: `crm-ada-${dialect}`, providerType: 'custom-function' }]);
    const again = await app.logIn(Realm.Credentials.function({ username: `ada-${dialect}`, pin: 1234 }));
    expect(again.id).toBe(user.id);
    await expect(app.logIn(Realm.Credentials.function({ username: 'ada', pin: 1 }))).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'AuthError',
      error: 'wrong username or pin',
    });

    const anon = await app.logIn(Realm.Credentials.anonymous(false));
    await anon.linkCredentials(Realm.Credentials.function({ username: `kay-${dialect}`, pin: 1234 }));
    expect(anon.identities.map((i) => i.providerType)).toEqual(['anon-user', 'custom-function']);
    await anon.logOut();
    const kay = await app.logIn(Realm.Credentials.function({ username: `kay-${dialect}`, pin: 1234 }));
    expect(kay.id).toBe(anon.id);
    // The identity now belongs to that user: linking it to another one is refused.
    const other = await app.logIn(Realm.Credentials.anonymous(false));
    await expect(
      other.linkCredentials(Realm.Credentials.function({ username: `kay-${dialect}`, pin: 1234 })),
    ).rejects.toMatchObject({ statusCode: 400 });
    for (const u of [user, kay, other]) await app.removeUser(u);
  }, 60_000);

  it('custom data set with the CLI reaches refreshCustomData() through the hook', async () => {
    const app = new Realm.App({ id: served.appId, baseUrl: served.url });
    const user = await app.logIn(Realm.Credentials.function({ username: `data-${dialect}`, pin: 1234 }));
    expect(user.customData).toEqual({ kind: 'normal' });
    const set = await cli('users', 'set-custom-data', user.id, '{"plan":"pro","seats":3}');
    expect(set).toMatchObject({ code: 0, stderr: '' });
    // Still the old token until the next refresh.
    expect(user.customData).toEqual({ kind: 'normal' });
    // realm-web does not decode Extended JSON in user_data: numbers arrive canonical.
    expect(await user.refreshCustomData()).toEqual({ plan: 'pro', seats: { $numberInt: '3' }, kind: 'normal' });
    expect(user.customData.plan).toBe('pro');
    const shown = JSON.parse((await cli('users', 'show', user.id)).stdout);
    expect(shown).toMatchObject({ id: user.id, customData: { plan: 'pro', seats: 3 } });
    await app.removeUser(user);
  }, 60_000);

  it('a server API key made with the CLI logs in as its own server user; disable and delete lock it out', async () => {
    const created = await cli('keys', 'create', '--name', `backend-${dialect}`);
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1) as string;
    const keyId = /id ([0-9a-f]{24})/.exec(created.stdout)?.[1] as string;
    const app = new Realm.App({ id: served.appId, baseUrl: served.url });
    const server = await app.logIn(Realm.Credentials.apiKey(key));
    const profile = await (
      await fetch(`${served.url}/api/client/v2.0/auth/profile`, {
        headers: { authorization: `Bearer ${server.accessToken}` },
      })
    ).json();
    expect(profile).toMatchObject({ user_id: server.id, type: 'server' });
    expect(server.identities).toEqual([{ id: keyId, providerType: 'api-key' }]);
    expect(server.customData).toEqual({ kind: 'server' });
    // A server user cannot manage keys through the client API.
    await expect(server.apiKeys.fetchAll()).rejects.toMatchObject({ statusCode: 403, errorCode: 'Forbidden' });

    expect((await cli('keys', 'disable', keyId)).code).toBe(0);
    await expect(app.logIn(Realm.Credentials.apiKey(key))).rejects.toMatchObject({ statusCode: 401 });
    // Disabling ended the key's sessions too.
    await expect(server.refreshAccessToken()).rejects.toMatchObject({ statusCode: 401 });
    expect((await cli('keys', 'enable', keyId)).code).toBe(0);
    const back = await app.logIn(Realm.Credentials.apiKey(key));
    expect(back.id).toBe(server.id);
    expect((await cli('keys', 'list')).stdout).toMatch(
      new RegExp(`${keyId} {2}backend-${dialect} {2}user ${server.id}`),
    );
    expect((await cli('keys', 'delete', keyId)).code).toBe(0);
    await expect(app.logIn(Realm.Credentials.apiKey(key))).rejects.toMatchObject({ statusCode: 401 });
    expect((await cli('users', 'show', server.id)).stderr).toContain('no user');
  }, 60_000);
});
