import * as Realm from 'realm-web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveNode } from '../../node/serve.js';
import { startTestGatehouse, type TestGatehouse } from '../../testing/index.js';
import { signInAtIdp, startTestIdp, type TestIdp } from '../../testing/oidc-idp.js';

const CLIENT_ID = 'gatehouse-test-client';
const CLIENT_SECRET = 'a-client-secret-for-the-test-provider';
const REDIRECT_URI = 'http://127.0.0.1/callback';

/**
 * A real OpenID Connect provider (oidc-provider) on loopback plays Google: a user signs in through its
 * development login and consent pages (driven here with fetch and cookies), the authorization code comes
 * back, and Gatehouse exchanges it at the provider's token endpoint for real.
 */
describe.each(['sqlite', 'postgres'] as const)('Google authCode exchange against oidc-provider (%s)', (dialect) => {
  let t: TestGatehouse;
  let idp: TestIdp;
  let issuer: string;
  beforeAll(async () => {
    idp = await startTestIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
      pkce: false,
    });
    issuer = idp.issuer;
  });
  afterAll(() => idp.close());
  afterEach(() => t?.close());

  /** Signs `login` in through the provider's pages and returns the authorization code. */
  async function authorize(login: string): Promise<string> {
    const auth = new URL('/auth', issuer);
    for (const [k, v] of Object.entries({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: REDIRECT_URI,
      state: 'st',
    }))
      auth.searchParams.set(k, v);
    const back = await signInAtIdp(idp, auth.toString(), login, REDIRECT_URI);
    return new URL(back).searchParams.get('code') as string;
  }

  const start = () =>
    startTestGatehouse(dialect, {
      app: {
        providers: {
          'oauth2-google': {
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
            issuer,
            jwksUrl: `${issuer}/jwks`,
            tokenEndpoint: `${issuer}/token`,
            redirectUri: REDIRECT_URI,
          },
        },
      } as never,
      // realm-web and the provider run on the real clock.
      gatehouse: { now: Date.now },
    });

  it('exchanges a real authorization code, verifies the ID token, and refuses a code used twice', async () => {
    t = await start();
    const code = await authorize('alice');
    const res = await t.request('POST', t.appPath('/auth/providers/oauth2-google/login'), { body: { authCode: code } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const profile = (await t.request('GET', '/api/client/v2.0/auth/profile', { token: res.json.access_token })).json;
    expect(profile.identities[0]).toMatchObject({ id: 'alice', provider_type: 'oauth2-google' });
    expect(profile.data).toMatchObject({ email: 'alice@example.com', name: 'User alice' });
    const again = await t.request('POST', t.appPath('/auth/providers/oauth2-google/login'), {
      body: { authCode: code },
    });
    expect(again.status).toBe(401);
    expect(again.json.error).toBe('invalid Google authCode: the code is invalid, expired or already used');
    const junk = await t.request('POST', t.appPath('/auth/providers/oauth2-google/login'), {
      body: { authCode: 'not-a-code' },
    });
    expect(junk.status).toBe(401);
  });

  it('realm-web logs in with Credentials.google({ authCode })', async () => {
    t = await start();
    const node = await serveNode(t.gatehouse, { port: 0 });
    try {
      const app = new Realm.App({ id: t.appId, baseUrl: node.url, skipLocationRequest: true });
      const user = await app.logIn(Realm.Credentials.google({ authCode: await authorize('bob') }));
      expect(user.identities).toEqual([{ id: 'bob', providerType: 'oauth2-google' }]);
    } finally {
      await node.server.close();
    }
  });
});
