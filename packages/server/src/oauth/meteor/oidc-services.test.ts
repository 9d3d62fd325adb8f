import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configOf, ddpSession, meteorState } from '../../testing/external-login.js';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../../testing/index.js';
import { signInAtIdp, startTestIdp, type TestIdp } from '../../testing/oidc-idp.js';
import { generateEncryptionKey } from '../vault.js';

const CLIENT_ID = 'gatehouse-meteor-client';
const CLIENT_SECRET = 'a-secret-for-the-loopback-idp';
const GOOGLE_CALLBACK = 'http://gatehouse.test/_oauth/google';
const OKTA_CALLBACK = 'http://gatehouse.test/_oauth/okta';

/**
 * Google and a generic OpenID Connect service ("okta") against a real OpenID provider (oidc-provider) on
 * loopback: its login and consent pages driven with fetch and cookies, real codes, real ID tokens.
 */
describe.each(['sqlite', 'postgres'] as const)('Google and generic OIDC services (%s)', (dialect) => {
  let idp: TestIdp;
  let strict: TestIdp;
  let t: TestGatehouse;
  beforeAll(async () => {
    // Google's stand-in: PKCE optional (Meteor's own client sends none), refresh tokens for access_type=offline.
    idp = await startTestIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [GOOGLE_CALLBACK],
      pkce: false,
      offlineAccess: true,
    });
    // The generic service's IdP insists on PKCE.
    strict = await startTestIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [OKTA_CALLBACK],
      pkce: true,
    });
  });
  afterAll(async () => {
    await idp.close();
    await strict.close();
  });
  afterEach(() => t?.close());

  const start = async () => {
    t = await startTestGatehouse(dialect, {
      config: {
        encryptionKeys: [generateEncryptionKey('k1')],
        apps: {
          [TEST_APP_ID]: {
            oauthRedirectUris: ['https://app.test/'],
            // App Services' Google login too (`Credentials.google({ authCode })`), on the same IdP.
            providers: {
              'oauth2-google': {
                clientId: CLIENT_ID,
                clientSecret: CLIENT_SECRET,
                issuer: idp.issuer,
                jwksUrl: `${idp.issuer}/jwks`,
                tokenEndpoint: `${idp.issuer}/token`,
                redirectUri: GOOGLE_CALLBACK,
              },
            },
            services: {
              google: { clientId: CLIENT_ID, secret: CLIENT_SECRET, issuer: idp.issuer },
              okta: { type: 'oidc', label: 'Okta', issuer: strict.issuer, clientId: CLIENT_ID, secret: CLIENT_SECRET },
            },
          },
        },
      },
      gatehouse: { now: Date.now },
    });
  };

  /** The IdP's pages as `login`, then Gatehouse's callback in-process: the end page's config. */
  const through = async (idpOf: TestIdp, url: string, login: string | 'abort', callback: string) => {
    const back = await signInAtIdp(idpOf, url, login, callback);
    const res = await t.gatehouse.fetch(new Request(back));
    return { status: res.status, config: configOf(await res.text()) };
  };
  const startAt = async (service: string, state: string, extra = '') => {
    const res = await t.gatehouse.fetch(
      new Request(
        `http://gatehouse.test/_oauth/${service}?requestTokenAndRedirect=true&state=${encodeURIComponent(state)}${extra}`,
      ),
    );
    expect(res.status).toBe(302);
    return res.headers.get('location') as string;
  };
  const redeem = (credentialToken: string, credentialSecret: string) =>
    ddpSession(t.gatehouse).call('login', { oauth: { credentialToken, credentialSecret } });

  it('Google as Meteor’s client sends it (no PKCE, no nonce): Meteor’s service data from the checked ID token', async () => {
    await start();
    const { state, credentialToken } = meteorState();
    // google_client.js: response_type, client_id, scope, redirect_uri, state — built by the client itself.
    const url = new URL(`${idp.issuer}/auth`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      scope: 'email openid profile',
      redirect_uri: GOOGLE_CALLBACK,
      state,
    }).toString();
    const end = await through(idp, url.toString(), 'alice', GOOGLE_CALLBACK);
    expect(end.config).toMatchObject({ setCredentialToken: true, credentialToken });
    const { result } = await redeem(credentialToken, end.config?.credentialSecret);
    expect(result.type).toBe('google');
    const google = (await t.gatehouse.accounts(TEST_APP_ID).serviceData(result.id)).google;
    expect(google).toMatchObject({
      id: 'alice',
      email: 'alice@example.com',
      verified_email: true,
      name: 'User alice',
      accessToken: expect.any(String),
      idToken: expect.any(String),
      scope: expect.arrayContaining(['openid', 'email']),
    });
    expect(google).not.toHaveProperty('refreshToken');
    // The same Google account is the same user as App Services' oauth2-google: one identity.
    const user = await t.gatehouse.storage.getUser(TEST_APP_ID, result.id);
    expect(user?.identities.map((i) => [i.providerType, i.subject])).toEqual([['oauth2-google', 'alice']]);
  });

  it('Google started by Gatehouse: PKCE and nonce, Meteor’s options as Google parameters, the refresh token kept', async () => {
    await start();
    const { state, credentialToken } = meteorState();
    const location = await startAt(
      'google',
      state,
      `&requestOfflineToken=true&forceApprovalPrompt=true&loginHint=bob%40example.com&loginUrlParameters=${encodeURIComponent('{"hd":"example.com"}')}`,
    );
    const sent = new URL(location).searchParams;
    expect(Object.fromEntries(sent)).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      login_hint: 'bob@example.com',
      hd: 'example.com',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      redirect_uri: GOOGLE_CALLBACK,
    });
    expect(sent.get('nonce')).toMatch(/^[\w-]{43}$/);
    const end = await through(idp, location, 'bob', GOOGLE_CALLBACK);
    expect(idp.lastAuthorization?.get('access_type')).toBe('offline');
    const { result } = await redeem(credentialToken, end.config?.credentialSecret);
    const google = (await t.gatehouse.accounts(TEST_APP_ID).serviceData(result.id)).google;
    expect(google).toMatchObject({ id: 'bob', refreshToken: expect.any(String) });
    // The next login gets no new refresh token; the stored one stays (Meteor's $set of the fields sent).
    const again = meteorState();
    const second = await through(idp, await startAt('google', again.state), 'bob', GOOGLE_CALLBACK);
    await redeem(again.credentialToken, second.config?.credentialSecret);
    const after = (await t.gatehouse.accounts(TEST_APP_ID).serviceData(result.id)).google;
    expect(after?.refreshToken).toBe(google?.refreshToken);
    expect(after?.accessToken).not.toBe(google?.accessToken);
  });

  it('a generic OIDC service: discovery, PKCE and nonce; never without a login Gatehouse started', async () => {
    await start();
    const { state, credentialToken } = meteorState();
    const location = await startAt('okta', state);
    expect(location.startsWith(`${strict.issuer}/auth?`)).toBe(true);
    const end = await through(strict, location, 'carol', OKTA_CALLBACK);
    const { result } = await redeem(credentialToken, end.config?.credentialSecret);
    expect(result.type).toBe('okta');
    const user = await t.gatehouse.storage.getUser(TEST_APP_ID, result.id);
    expect(user?.identities[0]).toMatchObject({ providerType: 'oidc-okta', subject: 'carol' });
    expect(user?.profile).toEqual({ name: 'User carol' });

    // A callback for a login nobody started here (a state made up by a client) is refused.
    const made = meteorState();
    const res = await t.gatehouse.fetch(
      new Request(`${OKTA_CALLBACK}?code=abc&state=${encodeURIComponent(made.state)}`),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('App Services’ Google login keeps its tokens too, and is the same user as Meteor’s loginWithGoogle', async () => {
    await start();
    const auth = new URL(`${idp.issuer}/auth`);
    auth.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      scope: 'openid email profile',
      redirect_uri: GOOGLE_CALLBACK,
      state: 'app-services',
    }).toString();
    const code = new URL(await signInAtIdp(idp, auth.toString(), 'dora', GOOGLE_CALLBACK)).searchParams.get('code');
    const res = await t.request('POST', t.appPath('/auth/providers/oauth2-google/login'), { body: { authCode: code } });
    expect(res.status, res.text).toBe(200);
    const google = (await t.gatehouse.accounts(TEST_APP_ID).serviceData(res.json.user_id)).google;
    expect(google).toMatchObject({ id: 'dora', accessToken: expect.any(String), idToken: expect.any(String) });
    const profile = await t.request('GET', '/api/client/v2.0/auth/profile', { token: res.json.access_token });
    expect(profile.json.identities[0]).toMatchObject({ id: 'dora', provider_data: { email: 'dora@example.com' } });
    expect(profile.text).not.toContain(google?.accessToken as string);
    expect(profile.text).not.toContain('sealed');

    const { state, credentialToken } = meteorState();
    const end = await through(idp, await startAt('google', state), 'dora', GOOGLE_CALLBACK);
    const { result } = await redeem(credentialToken, end.config?.credentialSecret);
    expect(result.id).toBe(res.json.user_id);
  });

  it('consent refused at the IdP ends with the error in the popup and no user', async () => {
    await start();
    const { state } = meteorState();
    const end = await through(idp, await startAt('google', state), 'abort', GOOGLE_CALLBACK);
    expect(end.config).toMatchObject({ setCredentialToken: false, error: expect.stringContaining('access_denied') });
    const events = await t.gatehouse.storage.listAuditEvents(TEST_APP_ID);
    expect(events.filter((e) => e.type === 'user-created')).toEqual([]);
  });
});
