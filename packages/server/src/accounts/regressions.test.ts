import { objectId } from '@gatehouse-auth/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeServer, serveNode } from '../node/serve.js';
import { decodeJwt, startTestGatehouse, type TestGatehouse, tokenFromLink } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';
import { hashLoginToken } from './sessions.js';

/**
 * Regressions of the account rules the DDP front once kept its own copy of (each named after the hole it
 * pins), run over both fronts on SQLite and PostgreSQL.
 */

const API = '/api/client/v2.0';
const PASSWORD = 'correct horse battery';
const AMBIGUOUS = 'Something went wrong. Please check your credentials.';

describe.each(['sqlite', 'postgres'] as const)('account core regressions (%s)', (dialect) => {
  let t: TestGatehouse;
  let server: NodeServer | undefined;
  const clients: RawDdp[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
    await t?.close();
  });

  type AppOptions = Record<string, unknown>;
  const start = async (app: AppOptions = {}, config: Record<string, unknown> = {}) => {
    t = await startTestGatehouse(dialect, {
      app: { name: 'Notes', providers: { 'local-userpass': { confirmation: 'email' }, 'api-key': {} }, ...app },
      config: config as never,
    });
    return t;
  };
  const ddp = async (headers?: Record<string, string>) => {
    server ??= await serveNode(t.gatehouse, { port: 0 });
    const c = await RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`, true, headers);
    clients.push(c);
    return c;
  };
  const post = (path: string, body: unknown, address = '127.0.0.1') =>
    t.request('POST', t.appPath(`/auth/providers/local-userpass${path}`), { body, address });
  const login = (username: string, password = PASSWORD, address = '127.0.0.1') =>
    post('/login', { username, password }, address);

  it('an account whose only address is unconfirmed cannot be logged into by username (squatting)', async () => {
    await start();
    expect(
      (await post('/register', { email: 'victim@example.com', username: 'squat', password: PASSWORD })).status,
    ).toBe(201);
    const byName = await login('squat');
    expect(byName.status).toBe(401);
    expect(byName.json).toEqual({ error: 'confirmation required', error_code: 'AuthError' });
    expect((await login('victim@example.com')).json.error_code).toBe('AuthError');
    const d = await ddp();
    for (const user of [{ username: 'squat' }, { email: 'victim@example.com' }]) {
      const over = await d.call('login', { user, password: PASSWORD });
      expect(over.error).toMatchObject({ error: 403, reason: 'Email not verified' });
    }
  });

  it("the mailbox owner's reset reclaims a never-confirmed account: sessions, API keys, identities and username go", async () => {
    await start();
    // An account made and used before anyone proved its address (as an import or a confirmation-free past
    // would leave it): a username, a login token, an App Services session, an API key and a linked identity.
    const storage = t.gatehouse.storage;
    const now = t.now();
    const squatter = await storage.createUser({
      id: objectId(now),
      appId: t.appId,
      username: 'squat',
      emails: [{ address: 'victim@example.com', verified: false }],
      identities: [
        { providerType: 'local-userpass', providerId: 'local-userpass', subject: objectId(now) },
        { providerType: 'custom-token', providerId: 'custom-token', subject: 'squatter-sub' },
      ],
      passwordHash: null,
      now,
    });
    const resumeToken = 'a-login-token-the-squatter-holds-000000000';
    await storage.createSession({
      id: objectId(now),
      appId: t.appId,
      userId: squatter.id,
      deviceId: objectId(now),
      kind: 'resume',
      refreshHash: hashLoginToken(resumeToken),
      providerType: 'local-userpass',
      now,
      expiresAt: now + 86_400_000,
    });
    const keySecret = 'k'.repeat(64);
    const { secretHash } = await import('../tokens/hash.js');
    await storage.createApiKey({
      id: objectId(now),
      appId: t.appId,
      userId: squatter.id,
      kind: 'user',
      name: 'squatter key',
      keyHash: secretHash(keySecret),
      now,
    });
    const keyLogin = () => t.request('POST', t.appPath('/auth/providers/api-key/login'), { body: { key: keySecret } });
    expect((await keyLogin()).status).toBe(200);

    // The owner cannot register (the address is taken), so they reset the password by mail.
    expect((await post('/register', { email: 'victim@example.com', password: PASSWORD })).status).toBe(409);
    expect((await post('/reset/send', { email: 'victim@example.com' })).status).toBe(200);
    const link = tokenFromLink((await t.mailLinks('victim@example.com'))[0]!);
    expect((await post('/reset', { ...link, password: 'the owner passphrase' })).status).toBe(200);

    const owned = await storage.getUser(t.appId, squatter.id);
    expect(owned?.username).toBeNull();
    expect(owned?.emails).toEqual([{ address: 'victim@example.com', verified: true }]);
    expect(owned?.identities.map((i) => i.providerType)).toEqual(['local-userpass']);
    expect(await storage.listApiKeys(t.appId, squatter.id)).toEqual([]);
    expect((await keyLogin()).status).toBe(401);
    const d = await ddp();
    expect((await d.call('login', { resume: resumeToken })).error.error).toBe(403);
    expect((await login('victim@example.com', 'the owner passphrase')).status).toBe(200);
    const audit = await storage.listAuditEvents(t.appId, { userId: squatter.id });
    expect(audit.map((e) => e.type)).toContain('account-reclaimed');
  });

  it('an app that confirms automatically keeps its users’ keys and identities on their first reset', async () => {
    await start({ providers: { 'local-userpass': { confirmation: 'auto' }, 'api-key': {} } });
    await post('/register', { email: 'ann@example.com', username: 'ann', password: PASSWORD });
    const session = (await login('ann')).json;
    const key = await t.request('POST', `${API}/auth/api_keys`, { token: session.refresh_token, body: { name: 'ci' } });
    expect(key.status).toBe(201);
    await post('/reset/send', { email: 'ann@example.com' });
    const link = tokenFromLink((await t.mailLinks('ann@example.com'))[0]!);
    expect((await post('/reset', { ...link, password: 'the new passphrase' })).status).toBe(200);
    const user = await t.gatehouse.storage.getUser(t.appId, session.user_id);
    expect(user?.username).toBe('ann');
    expect(await t.gatehouse.storage.listApiKeys(t.appId, session.user_id)).toHaveLength(1);
  });

  it('DDP password logins count against the account, not only the address (per-account limit)', async () => {
    await start(
      { providers: { 'local-userpass': { confirmation: 'auto' } } },
      {
        trustProxy: true,
        rateLimits: { failedLoginsPerAccountAndAddress: 3, failedLoginsPerAccount: 5, failedLoginsPerAddress: 50 },
      },
    );
    await post('/register', { username: 'target', password: PASSWORD });
    // Five guesses from five addresses, two over HTTP and three over DDP, each on a fresh connection.
    expect((await login('target', 'wrong guess 1', '203.0.113.1')).status).toBe(401);
    expect((await login('target', 'wrong guess 2', '203.0.113.2')).status).toBe(401);
    for (const n of [3, 4, 5]) {
      const d = await ddp({ 'x-forwarded-for': `203.0.113.${n}` });
      const guess = await d.call('login', { user: { username: 'target' }, password: `wrong guess ${n}` });
      expect(guess.error.reason).toBe(AMBIGUOUS);
    }
    // The sixth, from yet another address and with the right password, is refused before any hashing.
    const d = await ddp({ 'x-forwarded-for': '203.0.113.6' });
    const sixth = await d.call('login', { user: { username: 'target' }, password: PASSWORD });
    expect(sixth.error).toMatchObject({ error: 'too-many-requests', details: { timeToReset: expect.any(Number) } });
    expect((await login('target', PASSWORD, '203.0.113.7')).status).toBe(429);
    // Switching selectors does not give a fresh counter: the id names the same account.
    const user = (await t.gatehouse.storage.findUsersByUsername(t.appId, 'target'))[0]!;
    const byId = await (await ddp({ 'x-forwarded-for': '203.0.113.8' })).call('login', {
      user: { id: user.id },
      password: PASSWORD,
    });
    expect(byId.error.error).toBe('too-many-requests');
  });

  it('DDP takes the client address by trustProxy: one proxied client cannot lock out everyone', async () => {
    await start(
      { providers: { 'local-userpass': { confirmation: 'auto' } } },
      { trustProxy: true, rateLimits: { failedLoginsPerAddress: 3, failedLoginsPerAccountAndAddress: 10 } },
    );
    await post('/register', { username: 'alice', password: PASSWORD });
    // The attacker forges a leftmost entry; the proxy appends the address it saw.
    const attacker = { 'x-forwarded-for': '10.9.9.9, 198.51.100.66' };
    for (let i = 0; i < 3; i++) {
      const d = await ddp(attacker);
      await d.call('login', { user: { username: `nobody-${i}` }, password: 'guess' });
    }
    const blocked = await (await ddp({ 'x-forwarded-for': '10.1.1.1, 198.51.100.66' })).call('login', {
      user: { username: 'alice' },
      password: PASSWORD,
    });
    expect(blocked.error.error).toBe('too-many-requests');
    const someoneElse = await (await ddp({ 'x-forwarded-for': '198.51.100.77' })).call('login', {
      user: { username: 'alice' },
      password: PASSWORD,
    });
    expect(someoneElse.result?.id).toEqual(expect.any(String));
    const failures = await t.gatehouse.storage.listAuditEvents(t.appId);
    const addresses = new Set(failures.filter((e) => e.type === 'login-failed').map((e) => e.ip));
    expect([...addresses]).toEqual(['198.51.100.66']);
  });

  it('DDP applies the app’s local-userpass settings: provider off, password policy, confirmation', async () => {
    await start({ providers: { 'anon-user': {} } });
    const off = await ddp();
    expect((await off.call('createUser', { username: 'x', password: PASSWORD })).error).toMatchObject({
      error: 404,
      reason: "Method 'createUser' not found",
    });
    expect((await off.call('login', { user: { username: 'x' }, password: PASSWORD })).error.reason).toBe(
      'Unrecognized options for login request',
    );
    off.close();
    await server?.close();
    server = undefined;
    await t.close();
    await start({ providers: { 'local-userpass': { confirmation: 'auto', minPasswordLength: 12 } } });
    const on = await ddp();
    const weak = await on.call('createUser', { username: 'weak', password: 'short1' });
    expect(weak.error).toMatchObject({ error: 400, reason: expect.stringMatching(/^password must be between 12/) });
    const common = await on.call('createUser', { username: 'common', password: 'password1234' });
    expect(common.error.error).toBe(400);
    expect(await t.gatehouse.storage.findUsersByUsername(t.appId, 'weak')).toEqual([]);
  });

  it('a reset or confirmation token works only on its own app’s pages', async () => {
    t = await startTestGatehouse(dialect, {
      app: { providers: { 'local-userpass': { confirmation: 'email', minPasswordLength: 16 } } },
      config: {
        apps: {
          'test-app-abcde': { providers: { 'local-userpass': { confirmation: 'email', minPasswordLength: 16 } } },
          weak: { providers: { 'local-userpass': { confirmation: 'email', minPasswordLength: 4 } } },
        },
      } as never,
    });
    await post('/register', { email: 'ann@example.com', password: 'a sixteen-char passphrase' });
    const confirm = tokenFromLink((await t.mailLinks('ann@example.com'))[0]!);
    const elsewhere = (path: string, body: unknown) =>
      t.request('POST', `${API}/app/weak/auth/providers/local-userpass${path}`, { body });
    expect((await elsewhere('/confirm', confirm)).json.error_code).toBe('UserpassTokenInvalid');
    expect((await post('/confirm', confirm)).status).toBe(200);
    t.gatehouse.outbox?.clear();
    await post('/reset/send', { email: 'ann@example.com' });
    const reset = tokenFromLink((await t.mailLinks('ann@example.com'))[0]!);
    expect((await elsewhere('/reset', { ...reset, password: 'weak' })).json.error_code).toBe('UserpassTokenInvalid');
    const page = await t.request('POST', '/app/weak/reset', {
      raw: new URLSearchParams({ ...reset, password: 'weak', confirm: 'weak' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(page.status).toBe(400);
    expect((await login('ann@example.com', 'weak')).status).toBe(401);
    // Still unspent on its own app.
    expect((await post('/reset', { ...reset, password: 'another sixteen-char one' })).status).toBe(200);
  });

  it('the dev outbox, the demo page and the hosted pages are not readable cross-origin', async () => {
    await start({}, { dangerouslyEnableDevPages: true });
    const origin = 'https://evil.example';
    for (const path of ['/dev/outbox.json', '/dev/outbox', '/', `/app/${t.appId}/confirm?token=a&tokenId=b`]) {
      const res = await t.request('GET', path, { headers: { origin } });
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
      const preflight = await t.request('OPTIONS', path, {
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(preflight.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const demo = await t.request('GET', '/');
    expect(demo.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // The client API still answers browsers of other origins.
    const api = await t.request('GET', t.appPath('/location'), { headers: { origin } });
    expect(api.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('usernames that only look alike are one name, or refused', async () => {
    await start({ providers: { 'local-userpass': { confirmation: 'auto' } } });
    expect((await post('/register', { username: 'admin', password: PASSWORD })).status).toBe(201);
    expect((await post('/register', { username: 'ａｄｍｉｎ', password: PASSWORD })).json.error_code).toBe(
      'AccountNameInUse',
    );
    expect((await post('/register', { username: 'ADMIN', password: PASSWORD })).json.error_code).toBe(
      'AccountNameInUse',
    );
    for (const lookalike of ['\u0430dmin', 'admin\u200b', '\u202enimda', 'ad\u2060min']) {
      const res = await post('/register', { username: lookalike, password: PASSWORD });
      expect(res.status, JSON.stringify(lookalike)).toBe(400);
      expect(res.json.error).toMatch(/^invalid username/);
    }
    const d = await ddp();
    expect((await d.call('createUser', { username: 'Ａdmin', password: PASSWORD })).error.reason).toBe(AMBIGUOUS);
    // The full-width spelling logs into the one account, as its comparison key names it.
    expect((await login('ＡＤＭＩＮ')).status).toBe(200);
  });

  it('token answers are never cached; JSON is never sniffed', async () => {
    await start({ providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } });
    const anon = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
    const refreshed = await t.request('POST', `${API}/auth/session`, { token: anon.json.refresh_token });
    for (const res of [anon, refreshed]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const jwks = await t.request('GET', '/.well-known/jwks.json');
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
    expect(jwks.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('one address cannot create accounts without bound (anonymous logins and sign-ups)', async () => {
    await start(
      { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } },
      { rateLimits: { newAccountsPerAddress: 3 } },
    );
    const anon = () =>
      t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {}, address: '192.0.2.9' });
    for (let i = 0; i < 2; i++) expect((await anon()).status).toBe(200);
    expect((await post('/register', { username: 'third', password: PASSWORD }, '192.0.2.9')).status).toBe(201);
    const refused = await anon();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await post('/register', { username: 'fourth', password: PASSWORD }, '192.0.2.9')).status).toBe(429);
    expect(
      (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {}, address: '192.0.2.10' }))
        .status,
    ).toBe(200);
    expect(await t.countUsers()).toBe(4);
  });

  it('an access token never outlives its session', async () => {
    await start({
      refreshTokenLifetime: '1h',
      accessTokenLifetime: '30m',
      providers: { 'local-userpass': { confirmation: 'auto' } },
    });
    await post('/register', { username: 'short', password: PASSWORD });
    const session = (await login('short')).json;
    t.advance(50 * 60_000); // ten minutes of session left
    const refreshed = await t.request('POST', `${API}/auth/session`, { token: session.refresh_token });
    const claims = decodeJwt(refreshed.json.access_token);
    const sessionEnd = decodeJwt(session.refresh_token).exp;
    expect(claims.exp).toBeLessThanOrEqual(sessionEnd);
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(10 * 60);
  });
});

describe.each(['sqlite', 'postgres'] as const)('Meteor and App Services behaviour kept by the core (%s)', (dialect) => {
  let t: TestGatehouse;
  let server: NodeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await t?.close();
  });
  const open = async () => {
    server ??= await serveNode(t.gatehouse, { port: 0 });
    return RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`);
  };

  it('DDP createUser hands extra option fields to onCreateUser; /users/insert and /users/remove are denied', async () => {
    const seen: Record<string, unknown>[] = [];
    t = await startTestGatehouse(dialect, {
      app: { providers: { 'local-userpass': { confirmation: 'auto' } } },
      config: {
        hooks: {
          onCreateUser: (options: Record<string, unknown>, user: Record<string, unknown>) => {
            seen.push(options);
            return { ...user, profile: { plan: options.plan } };
          },
        },
      } as never,
    });
    const d = await open();
    const created = await d.call('createUser', {
      username: 'meteor',
      password: PASSWORD,
      plan: 'pro',
      invite: { code: 7 },
    });
    expect(created.result?.id).toEqual(expect.any(String));
    expect(seen[0]).toMatchObject({ username: 'meteor', plan: 'pro', invite: { code: 7 } });
    expect(seen[0]).not.toHaveProperty('password');
    expect((await t.gatehouse.storage.getUser(t.appId, created.result.id))?.profile).toEqual({ plan: 'pro' });
    for (const method of ['/users/insert', '/users/remove'])
      expect((await d.call(method, { _id: created.result.id })).error).toMatchObject({
        error: 403,
        reason: 'Access denied',
      });
    d.close();
  });

  it('preventAccountEnumeration hides taken addresses everywhere and mails the owner instead', async () => {
    t = await startTestGatehouse(dialect, {
      app: {
        name: 'Quiet',
        preventAccountEnumeration: true,
        accounts: { ambiguousErrorMessages: false },
        providers: { 'local-userpass': { confirmation: 'auto' } },
      },
    });
    const register = (body: Record<string, unknown>) =>
      t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
        body: { password: PASSWORD, ...body },
      });
    expect((await register({ email: 'owner@example.com', username: 'owner' })).status).toBe(201);
    t.gatehouse.outbox?.clear();
    const again = await register({ email: 'OWNER@example.com' });
    expect({ status: again.status, json: again.json }).toEqual({ status: 201, json: {} });
    const [link] = await t.mailLinks('owner@example.com');
    const mail = t.gatehouse.outbox?.list().find((m) => m.to === 'owner@example.com');
    expect(mail?.subject).toBe('Someone tried to sign up to Quiet with your address');
    expect(new URL(link!).pathname).toBe(`/app/${t.appId}/reset`);
    expect(await t.countUsers()).toBe(1);
    // A username cannot be hidden: whoever picks it must pick another.
    expect((await register({ username: 'owner' })).json.error_code).toBe('AccountNameInUse');
    const d = await open();
    for (const taken of [{ email: 'owner@example.com' }, { username: 'owner' }])
      expect((await d.call('createUser', { ...taken, password: PASSWORD })).error.reason).toBe(AMBIGUOUS);
    expect((await d.call('forgotPassword', { email: 'ghost@example.com' })).error).toBeUndefined();
    d.close();
  });
});
