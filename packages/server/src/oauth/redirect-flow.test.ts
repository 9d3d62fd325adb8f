import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config/resolve.js';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse, type TestResponse } from '../testing/index.js';
import { signInAtIdp, startTestIdp, type TestIdp } from '../testing/oidc-idp.js';
import { generateSigningKey } from '../tokens/keys.js';
import { resultUrl } from './redirect-flow.js';

const CLIENT_ID = 'gatehouse-redirect-client';
const CLIENT_SECRET = 'a-client-secret-for-the-redirect-flow';
const PUBLIC_URL = 'http://gatehouse.test';
const CALLBACK = `${PUBLIC_URL}/api/client/v2.0/auth/callback`;
const APP_PAGE = 'https://myapp.example.com/auth/callback';
const NO_SECRET_APP = 'no-secret-app';
const DEVICE_ID = '65a1b2c3d4e5f60718293a4b';

/** realm-web's `device` query parameter: standard base64 of the device JSON, `deviceId` as plain hex. */
const device = Buffer.from(
  JSON.stringify({ sdkVersion: '2.0.1', platform: 'chrome', platformVersion: '120.0.0', deviceId: DEVICE_ID }),
).toString('base64');

/** The fragment as realm-web's `handleAuthRedirect` reads it: split on `&`, then `=` (first two pieces), decoded. */
function fragment(location: string): Record<string, string> {
  const hash = location.slice(location.indexOf('#') + 1);
  const out: Record<string, string> = {};
  for (const pair of hash.split('&')) {
    const [k, v] = pair.split('=');
    out[decodeURIComponent(k as string)] = decodeURIComponent(v as string);
  }
  return out;
}

/**
 * The OAuth2 redirect flow against a real OpenID provider (oidc-provider) on loopback playing Google:
 * Gatehouse's GET login sends the browser there, the provider's development login and consent pages are
 * driven with fetch and a cookie jar, and its redirect back is followed to Gatehouse's callback.
 */
describe.each(['sqlite', 'postgres'] as const)('OAuth2 redirect flow against oidc-provider (%s)', (dialect) => {
  let t: TestGatehouse;
  let idp: TestIdp;
  let issuer: string;
  /** Added to the real clock (the provider runs on the real clock; Gatehouse's may be pushed ahead). */
  let skew = 0;
  /** Everything Gatehouse logs, and every code, state and token the tests saw: none may appear in the log. */
  const logged: string[] = [];
  const secrets = new Set<string>();
  const record = (level: string) => (obj: object, msg?: string) =>
    logged.push(`${level} ${JSON.stringify(obj)} ${msg}`);
  const logger = { info: record('info'), warn: record('warn'), error: record('error'), debug: record('debug') };

  beforeAll(async () => {
    // The provider refuses any authorization request without an S256 challenge.
    idp = await startTestIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [CALLBACK],
      pkce: true,
    });
    issuer = idp.issuer;

    const google = {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      issuer,
      jwksUrl: `${issuer}/jwks`,
      tokenEndpoint: `${issuer}/token`,
      authorizationEndpoint: `${issuer}/auth`,
    };
    t = await startTestGatehouse(dialect, {
      config: {
        publicUrl: PUBLIC_URL,
        apps: {
          [TEST_APP_ID]: {
            oauthRedirectUris: [APP_PAGE, 'http://localhost:3000/redirect'],
            providers: { 'anon-user': {}, 'oauth2-google': google },
          },
          [NO_SECRET_APP]: {
            oauthRedirectUris: [APP_PAGE],
            providers: { 'oauth2-google': { ...google, clientSecret: undefined } },
          },
        },
        // A login hook that refuses one account: the redirect flow goes through the hooks like any login.
        hooks: {
          validateLoginAttempt: (attempt: { user?: { emails: { address: string }[] } }) =>
            attempt.user?.emails[0]?.address !== 'blocked@example.com',
        },
      },
      gatehouse: { now: () => Date.now() + skew, logger },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp.close();
  });
  afterEach(() => {
    skew = 0;
  });

  const loginPath = (query: Record<string, string>, app = TEST_APP_ID) =>
    `/api/client/v2.0/app/${app}/auth/providers/oauth2-google/login?${new URLSearchParams(query)}`;

  /** Starts a login at Gatehouse and returns the IdP URL it redirects to. */
  async function start(state: string, redirect = APP_PAGE): Promise<string> {
    const res = await t.request('GET', loginPath({ state, redirect, device }));
    expect(res.status, res.text).toBe(302);
    return res.headers.get('location') as string;
  }

  /** Follows `idpUrl` through the provider's pages as `login` (or "abort") back to Gatehouse's callback. */
  const throughIdp = (idpUrl: string, login: string | 'abort'): Promise<string> =>
    signInAtIdp(idp, idpUrl, login, CALLBACK);

  /** Answers a link confirmation page (`decision` link or cancel) the way its form does. */
  const confirm = (html: string, decision: 'link' | 'cancel'): Promise<TestResponse> => {
    const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? '';
    return t.request('POST', '/api/client/v2.0/auth/callback/confirm', {
      raw: new URLSearchParams({ token, decision }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  };

  /** Delivers the IdP's redirect to Gatehouse's callback. */
  const callback = async (url: string): Promise<TestResponse> => {
    const u = new URL(url);
    for (const name of ['code', 'state']) {
      const value = u.searchParams.get(name);
      if (value) secrets.add(value);
    }
    const res = await t.request('GET', `${u.pathname}${u.search}`);
    const ua = res.headers.get('location')?.match(/_baas_ua=([^&]+)/)?.[1];
    for (const part of decodeURIComponent(ua ?? '').split('$')) if (part.length > 24) secrets.add(part);
    return res;
  };

  function expectPrivate(res: TestResponse) {
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  }

  it('logs in end to end: PKCE, nonce and state at the IdP, tokens in the fragment, same device id', async () => {
    const idpUrl = new URL(await start('rybcbejeljgm'));
    expect(idpUrl.origin + idpUrl.pathname).toBe(`${issuer}/auth`);
    const q = idpUrl.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(CLIENT_ID);
    expect(q.get('redirect_uri')).toBe(CALLBACK);
    expect(q.get('scope')).toBe('openid email profile');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('nonce')?.length).toBeGreaterThanOrEqual(43);
    // Our state at the IdP is a fresh ticket, not the client's state.
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/);

    const back = await callback(await throughIdp(idpUrl.toString(), 'alice'));
    expect(back.status, back.text).toBe(302);
    expectPrivate(back);
    const location = back.headers.get('location') as string;
    expect(location.startsWith(`${APP_PAGE}#`)).toBe(true);
    const result = fragment(location);
    expect(result._baas_client_app_id).toBe(TEST_APP_ID);
    expect(result._baas_state).toBe('rybcbejeljgm');
    expect(result._baas_error).toBeUndefined();
    const parts = (result._baas_ua as string).split('$');
    expect(parts).toHaveLength(4);
    const [access, refresh, userId, deviceId] = parts as [string, string, string, string];
    expect(deviceId).toBe(DEVICE_ID);

    const profile = await t.request('GET', '/api/client/v2.0/auth/profile', { token: access });
    expect(profile.status).toBe(200);
    expect(profile.json.user_id).toBe(userId);
    expect(profile.json.identities).toEqual([expect.objectContaining({ id: 'alice', provider_type: 'oauth2-google' })]);
    expect(profile.json.data).toMatchObject({ email: 'alice@example.com', name: 'User alice' });
    const refreshed = await t.request('POST', '/api/client/v2.0/auth/session', { token: refresh });
    expect(refreshed.status).toBe(201);

    // The same person again: the same user.
    const again = fragment(
      (await callback(await throughIdp(await start('secondlogin'), 'alice'))).headers.get('location') as string,
    );
    expect((again._baas_ua as string).split('$')[2]).toBe(userId);
  });

  it('refuses a replayed callback, and unknown, malformed, missing or expired states, without redirecting', async () => {
    const callbackUrl = await throughIdp(await start('replayreplay'), 'bob');
    expect((await callback(callbackUrl)).status).toBe(302);
    const replay = await callback(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
    expect(replay.json).toEqual({ error: 'invalid, expired or already used OAuth state', error_code: 'BadRequest' });
    expectPrivate(replay);

    const code = new URL(callbackUrl).searchParams.get('code') as string;
    for (const state of [`${'0'.repeat(24)}.${'A'.repeat(43)}`, 'garbage', '']) {
      const res = await t.request('GET', `/api/client/v2.0/auth/callback?${new URLSearchParams({ code, state })}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    const none = await t.request('GET', `/api/client/v2.0/auth/callback?code=${code}`);
    expect(none.status).toBe(400);

    // A login that took longer than ten minutes at the IdP.
    const late = await throughIdp(await start('toolatetoolate'), 'bob');
    skew = 10 * 60_000 + 1000;
    const expired = await callback(late);
    expect(expired.status).toBe(400);
    expect(expired.headers.get('location')).toBeNull();
  });

  it('refuses a redirect not on the allowlist (exact match) and other bad input with a 400, never a redirect', async () => {
    const cases: [Record<string, string>, number, string?][] = [
      [{ state: 'abcdefghijkl', redirect: 'https://evil.example.com/auth/callback', device }, 400],
      [{ state: 'abcdefghijkl', redirect: `${APP_PAGE}/x`, device }, 400],
      [{ state: 'abcdefghijkl', redirect: `${APP_PAGE}?x=1`, device }, 400],
      [{ state: 'abcdefghijkl', redirect: APP_PAGE.toUpperCase(), device }, 400],
      [{ state: 'abcdefghijkl', device }, 400],
      [{ redirect: APP_PAGE, device }, 400],
      [{ state: 'has spaces!', redirect: APP_PAGE, device }, 400],
      [{ state: 'a'.repeat(65), redirect: APP_PAGE, device }, 400],
      [{ state: 'abcdefghijkl', redirect: APP_PAGE, device: 'A'.repeat(5000) }, 400],
    ];
    for (const [query, status] of cases) {
      const res = await t.request('GET', loginPath(query));
      expect(res.status, JSON.stringify(query)).toBe(status);
      expect(res.headers.get('location')).toBeNull();
      expect(res.json.error_code).toBe('InvalidParameter');
      expectPrivate(res);
    }
    const unlisted = await t.request(
      'GET',
      loginPath({ state: 'abcdefghijkl', redirect: 'https://evil.example.com/auth/callback' }),
    );
    expect(unlisted.json.error).toBe("invalid request: 'redirect' is not an allowed redirect URI");
    // Parameter pollution: a second redirect is refused, not picked from.
    const twice = await t.request(
      'GET',
      `${loginPath({ state: 'abcdefghijkl', redirect: APP_PAGE })}&redirect=${encodeURIComponent('https://evil.example.com/')}`,
    );
    expect(twice.status).toBe(400);
    const noApp = await t.request('GET', loginPath({ state: 'abcdefghijkl', redirect: APP_PAGE }, 'nope-app'));
    expect(noApp.status).toBe(404);
    const noSecret = await t.request('GET', loginPath({ state: 'abcdefghijkl', redirect: APP_PAGE }, NO_SECRET_APP));
    expect(noSecret.status).toBe(400);
    expect(noSecret.json.error).toBe("'oauth2-google' is not set up for redirect logins (it needs clientSecret)");
    const notRedirectable = await t.request(
      'GET',
      `/api/client/v2.0/app/${TEST_APP_ID}/auth/providers/oauth2-apple/login?state=abc&redirect=${encodeURIComponent(APP_PAGE)}`,
    );
    expect(notRedirectable.status).toBe(404);
    // An unreadable device is informational only: the login goes on with a new device id.
    const junkDevice = await t.request('GET', loginPath({ state: 'abcdefghijkl', redirect: APP_PAGE, device: '%%%' }));
    expect(junkDevice.status).toBe(302);
  });

  it('sends the IdP refusal (error=access_denied) back to the app page as _baas_error', async () => {
    const back = await callback(await throughIdp(await start('deniedstate'), 'abort'));
    expect(back.status).toBe(302);
    const location = back.headers.get('location') as string;
    expect(location.startsWith(`${APP_PAGE}#`)).toBe(true);
    const result = fragment(location);
    expect(result).toEqual({
      _baas_client_app_id: TEST_APP_ID,
      _baas_state: 'deniedstate',
      _baas_error: 'Google login failed: access_denied',
    });
    // The provider's free-text description is not passed on.
    expect(location).not.toContain('aborted');
  });

  it('refuses an ID token made for another login (nonce) and a code injected into another login (PKCE)', async () => {
    // The IdP is asked with a different nonce: its ID token does not carry ours.
    const idpUrl = new URL(await start('noncestate'));
    idpUrl.searchParams.set('nonce', 'an-attackers-nonce-that-is-long-enough-0123456789');
    const nonce = fragment(
      (await callback(await throughIdp(idpUrl.toString(), 'carol'))).headers.get('location') as string,
    );
    expect(nonce._baas_state).toBe('noncestate');
    expect(nonce._baas_ua).toBeUndefined();
    expect(nonce._baas_error).toBe('Google login failed: the ID token was not issued for this login (nonce)');

    // A code obtained for login B, delivered with login A's state: A's PKCE verifier does not fit B's challenge.
    const a = new URL(await start('victimstate'));
    const bCallback = new URL(await throughIdp(await start('attackerstate'), 'mallory'));
    const injected = await t.request(
      'GET',
      `/api/client/v2.0/auth/callback?${new URLSearchParams({
        code: bCallback.searchParams.get('code') as string,
        state: a.searchParams.get('state') as string,
        iss: issuer,
      })}`,
    );
    const result = fragment(injected.headers.get('location') as string);
    expect(result._baas_state).toBe('victimstate');
    expect(result._baas_ua).toBeUndefined();
    expect(result._baas_error).toBe('Google login failed: the code is invalid, expired or already used');
  });

  it('runs the login hooks: validateLoginAttempt refusing ends in _baas_error', async () => {
    const result = fragment(
      (await callback(await throughIdp(await start('hookstate'), 'blocked'))).headers.get('location') as string,
    );
    expect(result).toEqual({
      _baas_client_app_id: TEST_APP_ID,
      _baas_state: 'hookstate',
      _baas_error: 'Login forbidden',
    });
  });

  it('links via redirect: X-BAAS-Location over CORS, identity appended, same session', async () => {
    const anon = await t.request('POST', `/api/client/v2.0/app/${TEST_APP_ID}/auth/providers/anon-user/login`, {
      body: { options: { device: { deviceId: { $oid: DEVICE_ID } } } },
    });
    expect(anon.status).toBe(200);
    const { access_token: token, user_id: userId, device_id: deviceId } = anon.json;
    const query = { link: 'true', state: 'linkstatexyz', redirect: APP_PAGE, providerRedirectHeader: 'true' };

    // The browser's preflight and the credentialed answer.
    const origin = 'https://myapp.example.com';
    const preflight = await t.request('OPTIONS', loginPath(query), {
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');

    expect((await t.request('GET', loginPath(query))).status).toBe(401);
    const res = await t.request('GET', loginPath(query), { token, headers: { origin } });
    expect(res.status, res.text).toBe(200);
    expectPrivate(res);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-BAAS-Location');
    const idpUrl = res.headers.get('x-baas-location') as string;
    expect(idpUrl.startsWith(`${issuer}/auth?`)).toBe(true);

    // The link waits for the person at the browser: a page naming both accounts, with a single-use form.
    const asked = await callback(await throughIdp(idpUrl, 'dave'));
    expect(asked.status).toBe(200);
    expect(asked.headers.get('content-type')).toContain('text/html');
    expect(asked.headers.get('x-frame-options')).toBe('DENY');
    expect(asked.headers.get('content-security-policy')).toContain("form-action 'self' https://myapp.example.com");
    expect(asked.text).toContain('dave@example.com');
    expect(asked.text).toContain('Link the accounts');
    const back = await confirm(asked.text, 'link');
    expect(back.status).toBe(302);
    expectPrivate(back);
    const result = fragment(back.headers.get('location') as string);
    expect(result._baas_link).toBe('ok');
    expect(result._baas_state).toBe('linkstatexyz');
    const [access, refresh, linkedId, linkedDevice] = (result._baas_ua as string).split('$');
    expect([refresh, linkedId, linkedDevice]).toEqual(['', userId, deviceId]);
    const profile = await t.request('GET', '/api/client/v2.0/auth/profile', { token: access });
    expect(profile.json.user_id).toBe(userId);
    expect(profile.json.identities.map((i: { provider_type: string }) => i.provider_type)).toEqual([
      'anon-user',
      'oauth2-google',
    ]);
    // The form's token is single use.
    expect((await confirm(asked.text, 'link')).status).toBe(400);

    // That Google account now belongs to this user: linking it to another one fails on the app page.
    const other = await t.request('POST', `/api/client/v2.0/app/${TEST_APP_ID}/auth/providers/anon-user/login`, {
      body: {},
    });
    const second = await t.request('GET', loginPath({ ...query, state: 'linkagainxyz' }), {
      token: other.json.access_token,
    });
    const refused = fragment(
      (await callback(await throughIdp(second.headers.get('x-baas-location') as string, 'dave'))).headers.get(
        'location',
      ) as string,
    );
    expect(refused._baas_error).toBe('this identity is already linked to another user');
    expect(refused._baas_link).toBeUndefined();
  });

  it('a link someone else started is not made unless the person at the browser confirms it (login CSRF)', async () => {
    // The attacker starts a link for their own user and sends the IdP URL to a victim, who signs in there.
    const attacker = await t.request('POST', `/api/client/v2.0/app/${TEST_APP_ID}/auth/providers/anon-user/login`, {
      body: {},
    });
    // Regression: the page named "your account" by emails[0], username or profile.name — all written by the
    // account's holder, here the attacker, who dresses the anonymous account up as the victim's.
    const dressed = await t.request('PATCH', '/api/client/v2.0/auth/user', {
      token: attacker.json.access_token,
      body: { $set: { 'profile.name': 'victim@example.com (your account)' } },
    });
    expect(dressed.status).toBe(200);
    const started = await t.request(
      'GET',
      loginPath({ link: 'true', state: 'csrfstatexyz', redirect: APP_PAGE, providerRedirectHeader: 'true' }),
      { token: attacker.json.access_token },
    );
    const asked = await callback(await throughIdp(started.headers.get('x-baas-location') as string, 'victim'));
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('victim@example.com');
    expect(asked.text).not.toContain('your account)');
    expect(asked.text).toMatch(/\(an anonymous account created \d{4}-\d{2}-\d{2}\)/);
    // The victim cancels: nothing is linked, the app page hears why.
    const cancelled = fragment((await confirm(asked.text, 'cancel')).headers.get('location') as string);
    expect(cancelled._baas_error).toBe('the link was cancelled');
    expect(cancelled._baas_ua).toBeUndefined();
    expect(await t.gatehouse.storage.findUserByIdentity(TEST_APP_ID, 'oauth2-google', 'victim')).toBeNull();
    // A forged or reused form changes nothing either.
    for (const token of ['', 'x.y', `${'0'.repeat(24)}.${'A'.repeat(43)}`]) {
      const res = await t.request('POST', '/api/client/v2.0/auth/callback/confirm', {
        raw: new URLSearchParams({ token, decision: 'link' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    expect(await t.gatehouse.storage.findUserByIdentity(TEST_APP_ID, 'oauth2-google', 'victim')).toBeNull();
  });

  it('limits the logins one address may start (each writes a row)', async () => {
    const query = loginPath({ state: 'abcdefghijkl', redirect: APP_PAGE });
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await t.request('GET', query, { address: '203.0.113.9' })).status);
    expect(statuses.slice(0, 60).every((s) => s === 302)).toBe(true);
    const limited = await t.request('GET', query, { address: '203.0.113.9' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('location')).toBeNull();
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await t.request('GET', query, { address: '203.0.113.10' })).status).toBe(302);
  });

  it('never logs a code, a state or a token', () => {
    expect(secrets.size).toBeGreaterThan(10);
    const log = logged.join('\n');
    for (const secret of secrets) expect(log.includes(secret), 'a secret was logged').toBe(false);
  });
});

describe('OAuth2 redirect flow: configuration and fragment', () => {
  it('refuses bad oauthRedirectUris at start-up, naming the field', async () => {
    const base = {
      publicUrl: 'https://auth.example.com',
      database: { url: 'sqlite::memory:' },
      keys: [await generateSigningKey('ES256')],
    };
    for (const [uri, message] of [
      ['https://app.example.com/cb#x', 'must not contain a fragment'],
      ['/relative/path', 'Invalid URL'],
      ['javascript:alert(1)', 'Invalid URL'],
    ]) {
      let error: unknown;
      try {
        resolveConfig({ ...base, apps: { a: { oauthRedirectUris: [uri] } } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues[0]).toMatch(/^apps\.a\.oauthRedirectUris\.0: /);
      expect((error as ConfigError).issues[0]).toContain(message);
    }
    const ok = resolveConfig({ ...base, apps: { a: { oauthRedirectUris: ['http://localhost:3000/cb'] } } });
    expect(ok.apps.get('a')?.oauthRedirectUris).toEqual(['http://localhost:3000/cb']);
    expect(
      resolveConfig({ ...base, apps: { a: { providers: { 'oauth2-google': { clientId: 'x' } } } } }).apps.get('a')
        ?.providers['oauth2-google']?.authorizationEndpoint,
    ).toBe('https://accounts.google.com/o/oauth2/v2/auth');
  });

  it('percent-encodes every fragment value, so "=", "&", "#" and "$" survive realm-web\'s parser', () => {
    const url = resultUrl('https://app.example.com/cb', [
      ['_baas_state', 'st'],
      ['_baas_error', 'a=b&c#d $e'],
    ]);
    expect(url).toBe('https://app.example.com/cb#_baas_state=st&_baas_error=a%3Db%26c%23d%20%24e');
    expect(fragment(url)).toEqual({ _baas_state: 'st', _baas_error: 'a=b&c#d $e' });
  });
});
