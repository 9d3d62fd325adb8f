import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../testing/index.js';

const APP_ID = '1234567890';
const APP_SECRET = 'facebook-app-secret';
const PUBLIC_URL = 'http://gatehouse.test';
const CALLBACK = `${PUBLIC_URL}/api/client/v2.0/auth/callback`;
const APP_PAGE = 'https://myapp.example.com/fb-callback';

/**
 * A loopback stand-in for Facebook's manual login flow, in the shapes Facebook documents: the login dialog
 * (`GET /dialog/oauth`, which here signs the user in at once and redirects with a code, or says
 * `error=access_denied`), the code exchange (`GET /oauth/access_token` with app id, secret, redirect URI,
 * code — and the PKCE verifier, checked against the dialog's S256 challenge), then `debug_token` and `/me`.
 */
class FakeFacebook {
  server!: Server;
  url = '';
  /** The next dialog's answer. */
  user: string | 'deny' = 'fay';
  codes = new Map<string, { user: string; redirectUri: string; challenge: string | null }>();
  tokens = new Map<string, string>();
  async start() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const q = url.searchParams;
      if (url.pathname === '/dialog/oauth') {
        const back = new URL(q.get('redirect_uri') as string);
        if (q.get('client_id') !== APP_ID || q.get('response_type') !== 'code') {
          res.statusCode = 400;
          return res.end('bad dialog request');
        }
        if (this.user === 'deny') {
          back.searchParams.set('error', 'access_denied');
          back.searchParams.set('error_reason', 'user_denied');
          back.searchParams.set('error_description', 'Permissions error');
        } else {
          const code = randomBytes(16).toString('hex');
          this.codes.set(code, {
            user: this.user,
            redirectUri: back.toString(),
            challenge: q.get('code_challenge_method') === 'S256' ? q.get('code_challenge') : null,
          });
          back.searchParams.set('code', code);
        }
        back.searchParams.set('state', q.get('state') as string);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      res.setHeader('content-type', 'application/json');
      const fail = (message: string) => {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: { message, type: 'OAuthException', code: 100 } }));
      };
      if (url.pathname === '/v19.0/oauth/access_token') {
        const grant = this.codes.get(q.get('code') ?? '');
        this.codes.delete(q.get('code') ?? '');
        if (!grant) return fail('Invalid verification code format.');
        if (q.get('client_id') !== APP_ID || q.get('client_secret') !== APP_SECRET)
          return fail('Error validating client secret.');
        if (q.get('redirect_uri') !== grant.redirectUri) return fail('Error validating verification code.');
        const verifier = q.get('code_verifier') ?? '';
        if (grant.challenge !== createHash('sha256').update(verifier).digest('base64url'))
          return fail('Invalid code verifier.');
        const token = `EAAG${randomBytes(16).toString('hex')}`;
        this.tokens.set(token, grant.user);
        return res.end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 5183944 }));
      }
      if (url.pathname === '/v19.0/debug_token') {
        const user = this.tokens.get(q.get('input_token') ?? '');
        return res.end(
          JSON.stringify({ data: user ? { app_id: APP_ID, is_valid: true, user_id: user } : { is_valid: false } }),
        );
      }
      if (url.pathname === '/v19.0/me') {
        const user = this.tokens.get(q.get('access_token') ?? '');
        if (!user) return fail('Malformed access token');
        return res.end(JSON.stringify({ id: user, name: `Fay ${user}`, email: `${user}@example.com` }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

function fragment(location: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of location.slice(location.indexOf('#') + 1).split('&')) {
    const [k, v] = pair.split('=');
    out[decodeURIComponent(k as string)] = decodeURIComponent(v as string);
  }
  return out;
}

describe.each(['sqlite', 'postgres'] as const)('Facebook redirect flow against a fake Facebook (%s)', (dialect) => {
  const facebook = new FakeFacebook();
  let t: TestGatehouse;
  beforeAll(async () => {
    await facebook.start();
    t = await startTestGatehouse(dialect, {
      config: {
        publicUrl: PUBLIC_URL,
        apps: {
          [TEST_APP_ID]: {
            oauthRedirectUris: [APP_PAGE],
            providers: {
              'oauth2-facebook': {
                appId: APP_ID,
                appSecret: APP_SECRET,
                graphBaseUrl: `${facebook.url}/v19.0`,
                authorizationEndpoint: `${facebook.url}/dialog/oauth`,
              },
            },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await facebook.stop();
  });

  /** GET login → Facebook's dialog → the callback; returns the callback's answer. */
  async function logIn(state: string) {
    const start = await t.request(
      'GET',
      `/api/client/v2.0/app/${TEST_APP_ID}/auth/providers/oauth2-facebook/login?${new URLSearchParams({ state, redirect: APP_PAGE })}`,
    );
    expect(start.status, start.text).toBe(302);
    const dialog = new URL(start.headers.get('location') as string);
    expect(dialog.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(dialog.searchParams.get('code_challenge_method')).toBe('S256');
    expect(dialog.searchParams.get('scope')).toBe('email,public_profile');
    // Not OpenID Connect: no nonce.
    expect(dialog.searchParams.has('nonce')).toBe(false);
    const back = await fetch(dialog, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location') as string);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    return t.request('GET', `${callback.pathname}${callback.search}`);
  }

  it('logs in: the code is exchanged with the PKCE verifier, the token checked, tokens in the fragment', async () => {
    facebook.user = '10001';
    const res = await logIn('fbstatefbstate');
    expect(res.status).toBe(302);
    const result = fragment(res.headers.get('location') as string);
    expect(result._baas_state).toBe('fbstatefbstate');
    expect(result._baas_error).toBeUndefined();
    const [access, , userId] = (result._baas_ua as string).split('$');
    const profile = await t.request('GET', '/api/client/v2.0/auth/profile', { token: access });
    expect(profile.json.user_id).toBe(userId);
    expect(profile.json.identities).toEqual([
      expect.objectContaining({ id: '10001', provider_type: 'oauth2-facebook' }),
    ]);
    expect(profile.json.data).toMatchObject({ email: '10001@example.com' });
  });

  it('passes a refusal at the dialog on as _baas_error, without its free text', async () => {
    facebook.user = 'deny';
    const res = await logIn('fbdeniedstate');
    const location = res.headers.get('location') as string;
    expect(fragment(location)).toEqual({
      _baas_client_app_id: TEST_APP_ID,
      _baas_state: 'fbdeniedstate',
      _baas_error: 'Facebook login failed: access_denied',
    });
    expect(location).not.toContain('Permissions');
  });
});
