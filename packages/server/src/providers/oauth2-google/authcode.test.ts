import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import Provider from 'oidc-provider';
import * as Realm from 'realm-web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveNode } from '../../node/serve.js';
import { startTestGatehouse, type TestGatehouse } from '../../testing/index.js';

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
  let server: Server;
  let issuer: string;
  beforeAll(async () => {
    // The issuer must be known before the provider starts: take a free port first.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      findAccount: async (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, name: `User ${id}` }),
      }),
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      conformIdTokenClaims: false,
      pkce: { required: () => false },
      features: { devInteractions: { enabled: true } },
      cookies: { keys: ['test-cookie-key'] },
    } as never);
    server = provider.listen(port, '127.0.0.1') as unknown as Server;
    await new Promise((r) => server.once('listening', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  afterEach(() => t?.close());

  /** Signs `login` in through the provider's pages and returns the authorization code. */
  async function authorize(login: string): Promise<string> {
    const jar = new Map<string, string>();
    const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
      const res = await fetch(new URL(url, issuer), {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as Record<string, string>),
          cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [k, ...v] = (pair as string).split('=');
        jar.set(k as string, v.join('='));
      }
      return res;
    };
    const auth = new URL('/auth', issuer);
    for (const [k, v] of Object.entries({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: REDIRECT_URI,
      state: 'st',
    }))
      auth.searchParams.set(k, v);
    let res = await go(auth.toString());
    for (let hop = 0; hop < 10; hop++) {
      const location = res.headers.get('location');
      if (!location) throw new Error(`no redirect (${res.status})`);
      if (location.startsWith(REDIRECT_URI)) return new URL(location).searchParams.get('code') as string;
      if (location.includes('/interaction/')) {
        const uid = location.split('/interaction/')[1] as string;
        const page = await (await go(location)).text();
        const body = page.includes('name="login"')
          ? new URLSearchParams({ prompt: 'login', login, password: 'any' })
          : new URLSearchParams({ prompt: 'consent' });
        const action = `/interaction/${uid}`;
        res = await go(action, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      } else {
        res = await go(location);
      }
    }
    throw new Error('too many redirects');
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
