import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as Realm from 'realm-web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveNode } from '../node/serve.js';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

/** Google and Apple ID-token login: key sets generated here, served on loopback. */
describe.each(['sqlite', 'postgres'] as const)('Google and Apple ID tokens (%s)', (dialect) => {
  let t: TestGatehouse;
  let server: Server;
  let jwksUrl: string;
  let key: { privateKey: CryptoKey; jwk: JWK };
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = {
      privateKey: pair.privateKey,
      jwk: { ...(await exportJWK(pair.publicKey)), kid: 'g1', alg: 'RS256', use: 'sig' },
    };
    server = createServer((_q, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [key.jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  afterEach(() => t?.close());

  const start = () =>
    startTestGatehouse(dialect, {
      app: {
        providers: {
          'anon-user': {},
          'local-userpass': { confirmation: 'auto' },
          'oauth2-google': { clientId: 'google-client.apps.example', jwksUrl },
          'oauth2-apple': { clientIds: ['com.example.app'], jwksUrl },
        },
      } as never,
    });
  const idToken = (claims: Record<string, unknown>, at = NOW) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'g1' })
      .setIssuedAt(Math.floor(at / 1000))
      .setExpirationTime(Math.floor(at / 1000) + 600)
      .sign(key.privateKey);
  const google = (claims: Record<string, unknown>) =>
    idToken({ iss: 'https://accounts.google.com', aud: 'google-client.apps.example', ...claims });
  const login = async (provider: string, body: unknown, token?: string) =>
    t.request('POST', t.appPath(`/auth/providers/${provider}/login${token ? '?link=true' : ''}`), {
      body,
      ...(token ? { token } : {}),
    });

  it('Google: verified token → user keyed on sub, profile in App Services keys, email verified only if Google says so', async () => {
    t = await start();
    const token = await google({
      sub: '1001',
      email: 'ada@gmail.com',
      email_verified: true,
      name: 'Ada L',
      given_name: 'Ada',
      family_name: 'L',
      picture: 'https://p.example/a.png',
    });
    const res = await login('oauth2-google', { id_token: token });
    expect(res.status).toBe(200);
    const profile = (await t.request('GET', '/api/client/v2.0/auth/profile', { token: res.json.access_token })).json;
    expect(profile.data).toEqual({
      name: 'Ada L',
      email: 'ada@gmail.com',
      picture: 'https://p.example/a.png',
      first_name: 'Ada',
      last_name: 'L',
    });
    expect(profile.identities[0]).toMatchObject({ id: '1001', provider_type: 'oauth2-google' });
    expect((await t.gatehouse.storage.getUser(t.appId, res.json.user_id))?.emails).toEqual([
      { address: 'ada@gmail.com', verified: true },
    ]);
    const unverified = await login('oauth2-google', {
      id_token: await google({ sub: '1002', email: 'bob@gmail.com', email_verified: false }),
    });
    expect((await t.gatehouse.storage.getUser(t.appId, unverified.json.user_id))?.emails).toEqual([
      { address: 'bob@gmail.com', verified: false },
    ]);
    expect((await login('oauth2-google', { id_token: token })).json.user_id).toBe(res.json.user_id);
  });

  it('never merges by email: a Google account with an existing email/password address is a separate user', async () => {
    t = await start();
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email: 'victim@example.com', password: 'correct horse battery' },
    });
    const local = await t.gatehouse.storage.findUserByEmail(t.appId, 'victim@example.com');
    const res = await login('oauth2-google', {
      id_token: await google({ sub: '2001', email: 'victim@example.com', email_verified: true }),
    });
    expect(res.status).toBe(200);
    expect(res.json.user_id).not.toBe(local?.id);
    expect((await t.gatehouse.storage.getUser(t.appId, res.json.user_id))?.emails).toEqual([]);
  });

  it('refuses wrong audience, wrong issuer (mix-up), expiry, an Apple token at Google, and an authCode for now', async () => {
    t = await start();
    const cases: [string, unknown, string][] = [
      [
        'oauth2-google',
        { id_token: await idToken({ sub: '1', iss: 'https://accounts.google.com', aud: 'someone-else' }) },
        'claim "aud"',
      ],
      [
        'oauth2-google',
        { id_token: await idToken({ sub: '1', iss: 'https://evil.example', aud: 'google-client.apps.example' }) },
        'claim "iss"',
      ],
      [
        'oauth2-google',
        {
          id_token: await google({ sub: '1' }).then(() =>
            idToken(
              { sub: '1', iss: 'https://accounts.google.com', aud: 'google-client.apps.example' },
              NOW - 7_200_000,
            ),
          ),
        },
        'expired',
      ],
      [
        'oauth2-google',
        { id_token: await idToken({ sub: '1', iss: 'https://appleid.apple.com', aud: 'com.example.app' }) },
        'claim',
      ],
      ['oauth2-apple', { id_token: await google({ sub: '1' }) }, 'claim'],
    ];
    for (const [provider, body, why] of cases) {
      const res = await login(provider, body);
      expect(res.status, why).toBe(401);
      expect(res.json.error, why).toContain(why);
      expect(res.json.error_code).toBe('AuthError');
    }
    const code = await login('oauth2-google', { authCode: '4/abc' });
    expect(code.status).toBe(400);
    expect(code.json.error).toContain('authCode');
    expect((await login('oauth2-google', { id_token: 'x', authCode: 'y' })).status).toBe(400);
    expect(await t.countUsers()).toBe(0);
  });

  it('Apple: email_verified as the string "true"; links to an anonymous user, and a linked identity is nobody else\'s', async () => {
    t = await start();
    const apple = await idToken({
      sub: 'apple-1',
      iss: 'https://appleid.apple.com',
      aud: 'com.example.app',
      email: 'x@privaterelay.appleid.com',
      email_verified: 'true',
    });
    const anon = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    const linked = await login('oauth2-apple', { id_token: apple }, anon.access_token);
    expect(linked.json.user_id).toBe(anon.user_id);
    expect((await login('oauth2-apple', { id_token: apple })).json.user_id).toBe(anon.user_id);
    const other = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    expect((await login('oauth2-apple', { id_token: apple }, other.access_token)).json.error_code).toBe(
      'InvalidParameter',
    );
  });

  it('realm-web logs in with Credentials.google({ idToken }) and Credentials.apple(idToken)', async () => {
    t = await start();
    const node = await serveNode(t.gatehouse, { port: 0 });
    try {
      const app = new Realm.App({ id: t.appId, baseUrl: node.url, skipLocationRequest: true });
      const now = Date.now();
      const g = await app.logIn(
        Realm.Credentials.google({
          idToken: await idToken(
            { sub: 'rw-g', iss: 'https://accounts.google.com', aud: 'google-client.apps.example', name: 'RW' },
            now,
          ),
        }),
      );
      expect(g.identities).toEqual([{ id: 'rw-g', providerType: 'oauth2-google' }]);
      expect(g.profile.name).toBe('RW');
      const a = await app.logIn(
        Realm.Credentials.apple(
          await idToken({ sub: 'rw-a', iss: 'https://appleid.apple.com', aud: 'com.example.app' }, now),
        ),
      );
      expect(a.identities).toEqual([{ id: 'rw-a', providerType: 'oauth2-apple' }]);
    } finally {
      await node.server.close();
    }
  });
});
