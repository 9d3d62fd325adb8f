import * as Gatehouse from '@gatehouse-auth/client';
import { deserialize } from '@gatehouse-auth/core';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveGatehouse, type SeenRequest, startGatehouse, uniqueEmail } from './harness.js';

/**
 * The drop-in claim, tested: one scenario script, run once with realm-web 2.0.1 and once with
 * @gatehouse-auth/client against the same server, must observe the same things — user ids (as relations: which
 * calls gave the same user), states, current user, user lists, profiles, identities, custom data, API key
 * shapes, errors — and send the same requests, apart from the differences the client documents.
 */

const APP = 'parity-app';
const PASSWORD = 'correct horse battery staple';

/** The part of realm-web's and @gatehouse-auth/client's API the scenario uses. */
interface Sdk {
  App: new (config: { id: string; baseUrl: string }) => any;
  Credentials: typeof Realm.Credentials | typeof Gatehouse.Credentials;
}

async function scenario(sdk: Sdk, baseUrl: string): Promise<unknown[]> {
  const seen: unknown[] = [];
  const labels = new Map<string, string>();
  const label = (id: string) => {
    if (!labels.has(id)) labels.set(id, `user${labels.size + 1}`);
    return labels.get(id);
  };
  const alice = uniqueEmail('alice');
  const bob = uniqueEmail('bob');
  const emails = (value: unknown) =>
    JSON.parse(
      JSON.stringify(value ?? null)
        .replaceAll(alice, '<alice>')
        .replaceAll(bob, '<bob>'),
    );
  const view = (user: any) => ({
    id: label(user.id),
    state: user.state,
    isLoggedIn: user.isLoggedIn,
    providerType: user.providerType,
    profile: emails(user.profile),
    identities: user.identities.map((i: { id: unknown; providerType: string }) => [typeof i.id, i.providerType]),
    // realm-web leaves Extended JSON in custom data encoded ({ "$numberInt": "3" }), @gatehouse-auth/client
    // decodes it (a documented fix, realm-js #3326): compare the decoded values.
    customData: user.isLoggedIn ? deserialize(user.customData) : null,
    deviceId: typeof user.deviceId,
    hasTokens: [typeof user.accessToken, typeof user.refreshToken],
  });
  const appState = (app: any) => ({
    current: app.currentUser ? label(app.currentUser.id) : null,
    all: Object.keys(app.allUsers).map(label),
  });
  const failure = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      () => null,
      (e: unknown) => e,
    )) as Record<string, unknown> | null;
    return error && { statusCode: error.statusCode, errorCode: error.errorCode, error: error.error };
  };
  const record = (step: string, value: unknown) => seen.push({ step, ...(value as object) });

  const app = new sdk.App({ id: APP, baseUrl });
  const { Credentials } = sdk;
  await app.emailPasswordAuth.registerUser({ email: alice, password: PASSWORD });
  const a = await app.logIn(Credentials.emailPassword(alice, PASSWORD));
  record('log in alice', { user: view(a), ...appState(app) });

  const anon = await app.logIn(Credentials.anonymous());
  record('log in anonymously', { user: view(anon), ...appState(app) });
  const anonAgain = await app.logIn(Credentials.anonymous());
  record('anonymous() again', { same: anonAgain === anon, ...appState(app) });

  app.switchUser(a);
  record('switch to alice', appState(app));

  await a.refreshAccessToken();
  record('refreshAccessToken', { customData: deserialize(a.customData) });
  record('refreshCustomData', { customData: deserialize(await a.refreshCustomData()) });
  await a.refreshProfile();
  record('refreshProfile', { user: view(a) });

  const key = await a.apiKeys.create('first');
  const spare = await a.apiKeys.create('second');
  const keyShape = (k: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(k).map(([name, value]) => [name, name === 'name' || name === 'disabled' ? value : typeof value]),
    );
  record('apiKeys.create', { key: keyShape(key) });
  record('apiKeys.fetch', { key: keyShape(await a.apiKeys.fetch(key._id)) });
  record('apiKeys.fetchAll', { keys: (await a.apiKeys.fetchAll()).map(keyShape) });
  await a.apiKeys.disable(spare._id);
  record('apiKeys.disable', { key: keyShape(await a.apiKeys.fetch(spare._id)) });
  await a.apiKeys.enable(spare._id);
  await a.apiKeys.delete(spare._id);
  record('apiKeys.delete', { keys: (await a.apiKeys.fetchAll()).map(keyShape) });
  const viaKey = await app.logIn(Credentials.apiKey(key.key));
  record('log in with the API key', { same: viaKey === a, user: view(viaKey), ...appState(app) });

  const anon2 = await app.logIn(Credentials.anonymous(false));
  await app.emailPasswordAuth.registerUser({ email: bob, password: PASSWORD });
  await anon2.linkCredentials(Credentials.emailPassword(bob, PASSWORD));
  record('link email/password to a new anonymous user', { user: view(anon2), ...appState(app) });

  record('wrong password', { error: await failure(app.logIn(Credentials.emailPassword(alice, 'wrong password 1'))) });
  record('register twice', {
    error: await failure(app.emailPasswordAuth.registerUser({ email: alice, password: PASSWORD })),
  });
  record('bad confirmation token', {
    error: await failure(app.emailPasswordAuth.confirmUser({ token: 'x', tokenId: '0123456789abcdef01234567' })),
  });

  await a.logOut();
  record('alice logs out', { user: view(a), ...appState(app) });
  await app.removeUser(anon);
  record('remove the anonymous user', { user: view(anon), ...appState(app) });
  await app.deleteUser(anon2); // the current user: realm-web's deleteUser deletes the current user
  record('delete the linked user', { user: view(anon2), ...appState(app) });
  record('deleted user logs in', { error: await failure(app.logIn(Credentials.emailPassword(bob, PASSWORD))) });
  const back = await app.logIn(Credentials.emailPassword(alice, PASSWORD));
  record('alice logs in again', { same: back === a, user: view(back), ...appState(app) });
  await app.removeUser(back);
  record('end', appState(app));
  return seen;
}

/** The requests, comparable across the two runs: ids and secrets out, bodies as their keys. */
function wire(requests: SeenRequest[]): string[] {
  return requests.map((r) => {
    const path = r.path.replace(/[0-9a-f]{24}/g, '<id>');
    const keys = r.body && typeof r.body === 'object' ? Object.keys(r.body).join(',') : '';
    return `${r.method} ${path} auth=${r.auth} type=${r.contentType ?? '-'} body=${keys}`;
  });
}

describe.each(['sqlite', 'postgres'] as const)('drop-in comparison with realm-web 2.0.1 (%s)', (dialect) => {
  let server: LiveGatehouse;
  beforeAll(async () => {
    server = await startGatehouse(
      dialect,
      { [APP]: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' }, 'api-key': {} } } },
      { hooks: { customData: () => ({ plan: 'free', seats: 3 }) } },
    );
    server.setClockOffset(0);
  });
  afterAll(() => server?.close());

  it('the same scenario observes the same results and sends the same requests', async () => {
    server.requests.length = 0;
    const realm = await scenario(Realm as unknown as Sdk, server.url);
    const realmWire = wire(server.requests);
    server.requests.length = 0;
    const ours = await scenario(Gatehouse as unknown as Sdk, server.url);
    const ourWire = wire(server.requests);

    expect(ours).toEqual(realm);
    // Spot checks, so that "equal" cannot mean "equally empty".
    expect(ours).toHaveLength(23);
    expect(ours[0]).toMatchObject({
      user: { id: 'user1', state: 'active', profile: { email: '<alice>' }, identities: [['string', 'local-userpass']] },
    });
    expect(ours.at(-1)).toEqual({ step: 'end', current: null, all: [] });

    // The wire: identical, except where @gatehouse-auth/client documents a fix.
    const known = (lines: string[], sdk: 'realm' | 'ours') =>
      lines
        .map((line) =>
          // realm-web sends the current user's access token to the email/password endpoints; we send none.
          /local-userpass\/(register|confirm|reset)/.test(line) ? line.replace(/auth=\w+/, 'auth=<any>') : line,
        )
        // realm-web logs the deleted user's dead session out after DELETE /auth/delete; we don't.
        .filter(
          (line, i, all) =>
            !(
              sdk === 'realm' &&
              line.startsWith('DELETE /api/client/v2.0/auth/session') &&
              all[i - 1]?.startsWith('DELETE /api/client/v2.0/auth/delete')
            ),
        );
    expect(known(ourWire, 'ours')).toEqual(known(realmWire, 'realm'));
    expect(realmWire.length - ourWire.length).toBe(1);
    expect(
      ourWire.filter((l) => /local-userpass\/(register|confirm)/.test(l)).every((l) => l.includes('auth=none')),
    ).toBe(true);
    expect(realmWire.filter((l) => /local-userpass\/register/.test(l)).some((l) => l.includes('auth=access'))).toBe(
      true,
    );
  });

  it('porting keeps the users logged in: @gatehouse-auth/client reads what realm-web stored in localStorage', async () => {
    // One origin's localStorage, as realm-web's browser build and @gatehouse-auth/client's default storage use it.
    const local = new Map<string, string>();
    const realmStorage = (prefix: string): any => ({
      get: (key: string) => local.get(`${prefix}:${key}`) ?? null,
      set: (key: string, value: string) => void local.set(`${prefix}:${key}`, value),
      remove: (key: string) => void local.delete(`${prefix}:${key}`),
      prefix: (part: string) => realmStorage(`${prefix}:${part}`),
      clear: () => {},
      addListener: () => {},
      removeListener: () => {},
    });
    const email = uniqueEmail('ported');
    const before = new Realm.App({ id: APP, baseUrl: server.url, storage: realmStorage('realm-web') });
    await before.emailPasswordAuth.registerUser({ email, password: PASSWORD });
    const anon = await before.logIn(Realm.Credentials.anonymous());
    const named = await before.logIn(Realm.Credentials.emailPassword(email, PASSWORD));

    const after = new Gatehouse.App({
      id: APP,
      baseUrl: server.url,
      storage: Gatehouse.webStorage({
        getItem: (key) => local.get(key) ?? null,
        setItem: (key, value) => void local.set(key, value),
        removeItem: (key) => void local.delete(key),
      }),
    });
    const user = after.currentUser as Gatehouse.User;
    expect(user.id).toBe(named.id);
    expect(Object.keys(after.allUsers)).toEqual([named.id, anon.id]);
    expect(user.profile).toEqual(named.profile);
    expect(user.identities).toEqual(named.identities);
    expect(user.providerType).toBe('local-userpass');
    await user.refreshProfile(); // its session works
    await after.removeUser(user);
    expect(new Realm.App({ id: APP, baseUrl: server.url, storage: realmStorage('realm-web') }).currentUser?.id).toBe(
      anon.id,
    );
  });
});
