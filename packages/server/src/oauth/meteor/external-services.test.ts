import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../config/resolve.js';
import { browse, ddpSession, meteorState } from '../../testing/external-login.js';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse, testSigningKey } from '../../testing/index.js';
import { type ServiceStandIns, standInUserId, startServiceStandIns } from '../../testing/service-stand-ins.js';
import { generateEncryptionKey } from '../vault.js';

const KEY = generateEncryptionKey('test-key');
const OTHER_APP = 'other-app';
const APP_PAGE = 'https://app.test/after-login';

/**
 * Meteor's external logins end to end, in-process: Gatehouse against loopback stand-ins that answer as GitHub,
 * Facebook, Meetup, Weibo, Meteor developer accounts and Twitter/X do, a "browser" following the redirects,
 * and DDP `login({ oauth })` redeeming the credential — on SQLite and PostgreSQL.
 */
describe.each(['sqlite', 'postgres'] as const)('external services, Meteor-style (%s)', (dialect) => {
  let services: ServiceStandIns;
  let t: TestGatehouse;
  let skew = 0;
  const created: unknown[] = [];
  const logins: any[] = [];

  beforeAll(async () => {
    services = await startServiceStandIns();
  });
  afterAll(() => services.close());
  afterEach(async () => {
    services.behaviour.failTokenEndpoint = false;
    services.behaviour.slowUserEndpointMs = 0;
    created.length = 0;
    logins.length = 0;
    await t?.close();
  });

  const start = async (extra: { hooks?: Record<string, unknown>; twoApps?: boolean } = {}) => {
    skew = 0;
    const app = {
      name: 'Test App',
      oauthRedirectUris: [APP_PAGE],
      providers: { 'local-userpass': { confirmation: 'auto' as const } },
      services: services.settings,
    };
    t = await startTestGatehouse(dialect, {
      config: {
        encryptionKeys: [KEY],
        apps: { [TEST_APP_ID]: app, ...(extra.twoApps ? { [OTHER_APP]: { ...app, name: 'Other' } } : {}) },
        hooks: {
          onCreateUser: (options: any, user: any) => {
            created.push(structuredClone(user));
            return { ...user, profile: options.profile };
          },
          onLogin: (attempt: any) => {
            logins.push(attempt);
          },
          ...extra.hooks,
        },
      },
      // The services stamp OAuth 1.0a requests with the real time: the clock runs, and tests move it on.
      gatehouse: { now: () => Date.now() + skew },
    });
    return t;
  };

  /** A login Gatehouse starts (`?requestTokenAndRedirect=true`), through the service, to the end page. */
  const login = async (
    service: string,
    options: {
      consent?: 'allow' | 'deny';
      login?: string;
      style?: 'popup' | 'redirect';
      redirectUrl?: string;
      appPath?: string;
    } = {},
  ) => {
    const { state, credentialToken } = meteorState(options.style ?? 'popup', options.redirectUrl);
    const url = `http://gatehouse.test${options.appPath ?? ''}/_oauth/${service}?requestTokenAndRedirect=true&state=${encodeURIComponent(state)}`;
    const end = await browse(t.gatehouse, url, options);
    return { end, credentialToken };
  };

  const stored = async () => {
    const user = (await t.gatehouse.storage.listAuditEvents(TEST_APP_ID)).find((e) => e.type === 'user-created');
    return user ? t.gatehouse.storage.getUser(TEST_APP_ID, user.userId as string) : null;
  };

  const expectations: Record<string, (login: string) => Record<string, unknown>> = {
    github: (l) => ({ id: String(standInUserId(l)), username: l, email: `${l}@example.com`, location: 'London' }),
    facebook: (l) => ({ id: String(standInUserId(l)), email: `${l}@example.com`, first_name: expect.any(String) }),
    meetup: (l) => ({ id: String(standInUserId(l)), city: 'London', expiresAt: expect.any(Number) }),
    weibo: (l) => ({ id: String(standInUserId(l)), screenName: `${l}_weibo`, expiresAt: expect.any(Number) }),
    'meteor-developer': (l) => ({
      id: `mdg${standInUserId(l)}`,
      username: l,
      refreshToken: expect.stringMatching(/^mdg-refresh-/),
    }),
    twitter: (l) => ({
      id: String(standInUserId(l)),
      screenName: l,
      email: `${l}@example.com`,
      accessTokenSecret: expect.any(String),
    }),
    apple: (l) => ({
      id: expect.stringMatching(new RegExp(`^000${standInUserId(l)}\\.`)),
      email: `${l}@example.com`,
      email_verified: true,
      idToken: expect.any(String),
      refreshToken: expect.stringMatching(/^apple-refresh-/),
    }),
  };

  it.each(Object.keys(expectations))(
    '%s: popup login, DDP login with the credential, the same user and fresh data the next time',
    async (service) => {
      await start();
      const { end, credentialToken } = await login(service);
      expect(end.status).toBe(200);
      expect(end.config).toMatchObject({
        setCredentialToken: true,
        credentialToken,
        storagePrefix: 'Meteor.oauth.credentialSecret-',
      });
      const ddp = ddpSession(t.gatehouse);
      const first = await ddp.call('login', {
        oauth: { credentialToken, credentialSecret: end.config?.credentialSecret },
      });
      expect(first.error).toBeUndefined();
      expect(first.result).toMatchObject({ id: expect.any(String), token: expect.any(String), type: service });
      // onCreateUser saw Meteor's user.services.<service>, tokens included.
      expect(created).toHaveLength(1);
      // (What the refusal tests below check stays away: the new user's audit record.)
      expect((await stored())?.id).toBe(first.result.id);
      expect((created[0] as any).services[service]).toMatchObject({
        ...expectations[service]?.('ada'),
        accessToken: expect.any(String),
      });
      // onLogin sees the user's services too (Meteor's attempt.user.services), and the attempt's type.
      expect(logins.at(-1)).toMatchObject({
        type: 'oauth',
        allowed: true,
        user: { services: { [service]: { accessToken: expect.any(String) } } },
      });
      const services1 = t.gatehouse.accounts(TEST_APP_ID).serviceData(first.result.id);
      expect((await services1)[service]).toMatchObject({
        ...expectations[service]?.('ada'),
        accessToken: expect.any(String),
      });
      // The user's document over DDP never carries services.
      const added = ddp.received.find((m) => m.msg === 'added' && m.collection === 'users');
      expect(added.fields).not.toHaveProperty('services');
      // Meteor's profile name: Weibo's screen name, the Meteor developer account's username, else the name.
      const name = { weibo: 'ada_weibo', 'meteor-developer': 'ada' }[service as 'weibo'] ?? 'Ada Example';
      expect(added.fields.profile).toEqual({ name });
      // Tokens are encrypted at rest: the stored identity holds no token in clear.
      const user = await t.gatehouse.storage.getUser(TEST_APP_ID, first.result.id);
      const raw = JSON.stringify(user?.identities);
      const token = (await services1)[service]?.accessToken as string;
      expect(raw).not.toContain(token);
      expect(raw).toContain('"sealed":"v1.test-key.');

      // The same account again: the same user, no second onCreateUser, the new access token stored.
      const again = await login(service);
      const second = await ddp.call('login', {
        oauth: { credentialToken: again.credentialToken, credentialSecret: again.end.config?.credentialSecret },
      });
      expect(second.result.id).toBe(first.result.id);
      expect(created).toHaveLength(1);
      const after = (await t.gatehouse.accounts(TEST_APP_ID).serviceData(first.result.id))[service];
      expect(after?.accessToken).not.toBe(token);
      ddp.close();

      // Another account of the service is another user.
      const other = await login(service, { login: 'grace' });
      const third = await ddpSession(t.gatehouse).call('login', {
        oauth: { credentialToken: other.credentialToken, credentialSecret: other.end.config?.credentialSecret },
      });
      expect(third.result.id).not.toBe(first.result.id);
    },
  );

  it('GitHub as an unmodified Meteor client does it: straight to the service, then redirect style back to the app', async () => {
    await start();
    const { state, credentialToken } = meteorState('redirect', APP_PAGE);
    // github_client.js builds this URL itself from the published configuration.
    const url = `${services.settings.github.loginUrl}/login/oauth/authorize?client_id=gh-client&scope=user:email&redirect_uri=http://gatehouse.test/_oauth/github&state=${state}`;
    const end = await browse(t.gatehouse, url);
    expect(end.status).toBe(200);
    expect(end.config).toMatchObject({ setCredentialToken: true, credentialToken, redirectUrl: APP_PAGE });
    expect(end.html).toContain('sessionStorage[c.storagePrefix + c.credentialToken]');
    const { result } = await ddpSession(t.gatehouse).call('login', {
      oauth: { credentialToken, credentialSecret: end.config?.credentialSecret },
    });
    expect(result.type).toBe('github');
  });

  it('a credential is redeemed once, with its secret, within a minute, by its own app', async () => {
    await start({ twoApps: true });
    const ddp = ddpSession(t.gatehouse);
    const a = await login('github');
    const secret = a.end.config?.credentialSecret as string;
    const wrong = await ddp.call('login', {
      oauth: { credentialToken: a.credentialToken, credentialSecret: `${secret.slice(0, -2)}xx` },
    });
    expect(wrong.error).toMatchObject({ error: 145546287, reason: 'No matching login attempt found' });
    // A wrong secret does not burn it… but another app cannot redeem it either.
    const elsewhere = await ddpSession(t.gatehouse, OTHER_APP).call('login', {
      oauth: { credentialToken: a.credentialToken, credentialSecret: secret },
    });
    expect(elsewhere.error).toMatchObject({ error: 145546287 });

    const b = await login('github');
    const ok = await ddp.call('login', {
      oauth: { credentialToken: b.credentialToken, credentialSecret: b.end.config?.credentialSecret },
    });
    expect(ok.result.type).toBe('github');
    const replay = await ddp.call('login', {
      oauth: { credentialToken: b.credentialToken, credentialSecret: b.end.config?.credentialSecret },
    });
    expect(replay.error).toMatchObject({ error: 145546287, reason: 'No matching login attempt found' });

    const c = await login('github');
    skew += 61_000;
    const late = await ddp.call('login', {
      oauth: { credentialToken: c.credentialToken, credentialSecret: c.end.config?.credentialSecret },
    });
    expect(late.error).toMatchObject({ error: 145546287 });

    // Meteor's check(): a bad shape is 400 Match failed; a null secret finds nothing.
    expect((await ddp.call('login', { oauth: 'x' })).error).toMatchObject({ error: 400, reason: 'Match failed' });
    expect(
      (await ddp.call('login', { oauth: { credentialToken: 'abcdefghij', credentialSecret: 5 } })).error,
    ).toMatchObject({
      error: 400,
    });
    expect(
      (await ddp.call('login', { oauth: { credentialToken: 'abcdefghij', credentialSecret: null } })).error,
    ).toMatchObject({
      error: 145546287,
    });
  });

  it('a login started for one app is refused at another app’s callback, with no redirect', async () => {
    await start({ twoApps: true });
    const { state } = meteorState('redirect', APP_PAGE);
    const started = await t.gatehouse.fetch(
      new Request(
        `http://gatehouse.test/_oauth/github?requestTokenAndRedirect=true&state=${encodeURIComponent(state)}`,
      ),
    );
    expect(started.status).toBe(302);
    // The service's answer arrives at the other app's callback.
    const consent = await fetch(started.headers.get('location') as string);
    const allow = /id="allow" href="([^"]+)"/.exec(await consent.text())?.[1] as string;
    const back = await fetch(new URL(allow, services.url), { redirect: 'manual' });
    const callback = new URL(back.headers.get('location') as string);
    const elsewhere = await t.gatehouse.fetch(
      new Request(`http://gatehouse.test/app/${OTHER_APP}/_oauth/github${callback.search}`),
    );
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
    expect(await elsewhere.text()).toContain('this login was started for another app or service');
    expect(await stored()).toBeNull();
  });

  it('a redirectUrl off the allowlist is refused before anything is exchanged; nothing redirects there', async () => {
    await start();
    // Started by Gatehouse: refused at the start.
    const { state } = meteorState('redirect', 'https://evil.test/steal');
    const started = await t.gatehouse.fetch(
      new Request(
        `http://gatehouse.test/_oauth/github?requestTokenAndRedirect=true&state=${encodeURIComponent(state)}`,
      ),
    );
    expect(started.status).toBe(400);
    expect(started.headers.get('location')).toBeNull();
    // Straight from a client to the service: refused at the callback, the code left unused.
    const direct = meteorState('redirect', 'https://evil.test/steal');
    const url = `${services.settings.github.loginUrl}/login/oauth/authorize?client_id=gh-client&redirect_uri=http://gatehouse.test/_oauth/github&state=${direct.state}`;
    const end = await browse(t.gatehouse, url);
    expect(end.status).toBe(400);
    expect(end.location).toBeNull();
    expect(end.html).toContain('is not an allowed page of the app');
    expect(end.html).not.toContain('evil.test/steal"');
    expect(await stored()).toBeNull();
    // A popup may hand its result only to an allowed origin.
    const popup = meteorState('popup', 'https://evil.test/');
    const refused = await t.gatehouse.fetch(
      new Request(
        `http://gatehouse.test/_oauth/github?requestTokenAndRedirect=true&state=${encodeURIComponent(popup.state)}`,
      ),
    );
    expect(refused.status).toBe(400);
  });

  it.each([
    ['denied consent', 'deny', {}],
    ['a failing token endpoint', 'allow', { failTokenEndpoint: true }],
  ] as const)('%s ends the flow with the error shown and nothing stored', async (_name, consent, behaviour) => {
    await start();
    Object.assign(services.behaviour, behaviour);
    for (const service of ['github', 'twitter']) {
      const popup = await login(service, { consent });
      expect(popup.end.status).toBe(200);
      expect(popup.end.config).toMatchObject({ setCredentialToken: false });
      expect(popup.end.html).toMatch(consent === 'deny' ? /login was not completed \(access_denied\)/ : /login failed/);
      const redirect = await login(service, { consent, style: 'redirect', redirectUrl: APP_PAGE });
      expect(redirect.end.location).toBeNull();
      expect(redirect.end.html).toContain(`href="${APP_PAGE}"`);
      // Nothing to redeem.
      const ddp = ddpSession(t.gatehouse);
      expect(
        (await ddp.call('login', { oauth: { credentialToken: popup.credentialToken, credentialSecret: null } })).error,
      ).toMatchObject({
        error: 145546287,
      });
    }
    expect(await stored()).toBeNull();
    expect(created).toHaveLength(0);
  });

  it.runIf(dialect === 'sqlite')(
    'a user endpoint slower than 5 s ends the flow with an error',
    async () => {
      await start();
      services.behaviour.slowUserEndpointMs = 6000;
      const { end } = await login('github');
      expect(end.config).toMatchObject({
        setCredentialToken: false,
        error: 'GitHub login failed: the user endpoint did not answer in time',
      });
      expect(await stored()).toBeNull();
    },
    15_000,
  );

  it('refuses unknown and unconfigured services, bad states and polluted parameters', async () => {
    await start();
    const get = (path: string) => t.gatehouse.fetch(new Request(`http://gatehouse.test${path}`));
    expect((await get('/_oauth/myspace?code=x&state=y')).status).toBe(404);
    expect((await get('/_oauth/okta?code=x&state=y')).status).toBe(404);
    expect((await get('/app/no-such-app/_oauth/github?code=x')).status).toBe(404);
    const bad = await get('/_oauth/github?code=x&state=not-base64-json');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('location')).toBeNull();
    expect((await get('/_oauth/github?code=x')).status).toBe(400);
    const { state } = meteorState();
    expect((await get(`/_oauth/github?requestTokenAndRedirect=true&state=${state}&state=${state}`)).status).toBe(400);
    expect(
      (
        await get(
          `/_oauth/github?requestTokenAndRedirect=true&state=${encodeURIComponent(state)}&loginUrlParameters=${encodeURIComponent('{"client_id":"x"}')}`,
        )
      ).status,
    ).toBe(400);
    // Twitter's callback without the request token Gatehouse asked for.
    expect(
      (await get(`/_oauth/twitter?state=${encodeURIComponent(state)}&oauth_token=a&oauth_verifier=b`)).status,
    ).toBe(400);
    const posted = await t.gatehouse.fetch(
      new Request('http://gatehouse.test/_oauth/github', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      }),
    );
    expect(posted.status).toBe(415);
  });

  it('publishes the public settings only, over DDP and HTTP', async () => {
    await start();
    const docs = await ddpSession(t.gatehouse).subscribe('meteor.loginServiceConfiguration');
    const github = docs.find((d) => d.id === 'github');
    expect(github.fields).toMatchObject({ service: 'github', clientId: 'gh-client' });
    expect(docs.find((d) => d.id === 'twitter').fields).toMatchObject({ consumerKey: 'tw-consumer-key' });
    expect(docs.find((d) => d.id === 'facebook').fields).toMatchObject({ appId: '1234567890' });
    const text = JSON.stringify(docs);
    for (const secret of ['gh-secret', 'tw-consumer-secret', 'fb-app-secret']) expect(text).not.toContain(secret);
    const http = await t.request('GET', t.appPath('/auth/providers'));
    expect(http.json.providers).toContainEqual({
      type: 'oauth2-github',
      service: 'github',
      clientId: 'gh-client',
      external: true,
    });
    expect(http.text).not.toContain('secret');
    expect(http.text).not.toContain('oauth-credential');
  });

  it('logs in over HTTP with the credential (the SDK’s way) and refuses it twice', async () => {
    await start();
    const { end, credentialToken } = await login('weibo');
    const body = { credentialToken, credentialSecret: end.config?.credentialSecret, options: { device: {} } };
    const res = await t.request('POST', t.appPath('/auth/providers/oauth-credential/login'), { body });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
    const profile = await t.request('GET', '/api/client/v2.0/auth/profile', { token: res.json.access_token });
    expect(profile.json.identities[0]).toMatchObject({
      provider_type: 'oauth2-weibo',
      id: String(standInUserId('ada')),
    });
    expect(profile.text).not.toContain('sealed');
    expect(profile.text).not.toContain('weibo-token');
    const again = await t.request('POST', t.appPath('/auth/providers/oauth-credential/login'), { body });
    expect(again.status).toBe(401);
  });

  it('links a service to a signed-in user over HTTP (the SDK’s link), recording where the link came from', async () => {
    await start();
    const account = { username: 'link@example.com', password: 'correct horse battery staple' };
    const userpass = t.appPath('/auth/providers/local-userpass');
    await t.request('POST', `${userpass}/register`, { body: { email: account.username, password: account.password } });
    const signedIn = await t.request('POST', `${userpass}/login`, { body: account });
    expect(signedIn.status, signedIn.text).toBe(200);
    const { end, credentialToken } = await login('weibo');
    const res = await t.request('POST', `${t.appPath('/auth/providers/oauth-credential/login')}?link=true`, {
      body: { credentialToken, credentialSecret: end.config?.credentialSecret },
      token: signedIn.json.access_token,
      headers: { 'user-agent': 'LinkingApp/2.1' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user_id).toBe(signedIn.json.user_id);
    const linked = (await t.gatehouse.storage.listAuditEvents(TEST_APP_ID)).find((e) => e.type === 'identity-linked');
    expect(linked).toMatchObject({
      userId: signedIn.json.user_id,
      userAgent: 'LinkingApp/2.1',
      detail: { provider: 'oauth2-weibo' },
    });
  });

  it('the sign-up rules apply to service users: restrictCreationByEmailDomain reads the service email', async () => {
    await start();
    await t.close();
    t = await startTestGatehouse(dialect, {
      config: {
        encryptionKeys: [KEY],
        apps: {
          [TEST_APP_ID]: {
            oauthRedirectUris: [APP_PAGE],
            accounts: { restrictCreationByEmailDomain: 'company.test' },
            services: { github: services.settings.github },
          },
        },
      },
      gatehouse: { now: () => Date.now() },
    });
    const { end, credentialToken } = await login('github');
    const { error } = await ddpSession(t.gatehouse).call('login', {
      oauth: { credentialToken, credentialSecret: end.config?.credentialSecret },
    });
    expect(error).toMatchObject({ error: 403, reason: '@company.test email required' });
    expect(await stored()).toBeNull();
  });
});

describe('external services configuration', () => {
  const base = async (services: Record<string, unknown>, keys = [KEY]) => ({
    publicUrl: 'http://localhost:8080',
    database: { url: 'sqlite::memory:' },
    keys: [await testSigningKey()],
    encryptionKeys: keys,
    apps: { a: { services } },
  });

  it('names the missing or bad fields of a service at start-up', async () => {
    const fail = async (services: Record<string, unknown>, keys = [KEY]) => {
      try {
        resolveConfig(await base(services, keys));
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).issues;
      }
      throw new Error('accepted');
    };
    expect(await fail({ github: { clientId: 'x' } })).toEqual([
      'apps.a.services.github.secret: Invalid input: expected string, received undefined',
    ]);
    expect(await fail({ twitter: { clientId: 'x', secret: 'y' } })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^apps\.a\.services\.twitter\.consumerKey: /)]),
    );
    expect(await fail({ facebook: { appId: 'abc', secret: 'y' } })).toEqual([
      'apps.a.services.facebook.appId: expected the numeric Facebook app id',
    ]);
    expect((await fail({ myspace: { clientId: 'x', secret: 'y' } }))[0]).toMatch(
      /^apps\.a\.services\.myspace: unknown service/,
    );
    expect((await fail({ okta: { type: 'oidc', clientId: 'x', secret: 'y' } }))[0]).toMatch(
      /^apps\.a\.services\.okta\.issuer: /,
    );
    expect(await fail({ github: { clientId: 'x', secret: 'y' } }, [])).toEqual([
      "encryptionKeys: required: app 'a' configures external services, whose tokens are kept encrypted",
    ]);
    expect(await fail({}, [{ kid: 'k', key: 'too-short' }])).toEqual([
      'encryptionKeys.0.key: expected 32 random bytes in base64url (43 characters)',
    ]);
    const ok = resolveConfig(
      await base({
        github: { clientId: 'x', secret: 'y' },
        okta: { type: 'oidc', issuer: 'https://okta.test', clientId: 'c', secret: 's' },
      }),
    );
    expect(ok.apps.get('a')?.services.github).toMatchObject({
      loginUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
    });
    expect(ok.apps.get('a')?.rootUrl).toBe('http://localhost:8080');
  });
});
