import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeServer, serveNode } from '../node/serve.js';
import { generateEncryptionKey } from '../oauth/vault.js';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';

/**
 * Two-factor sign-in (Meteor's accounts-2fa over DDP, and the HTTP challenge step), and passwordless sign-in
 * over HTTP, on SQLite and PostgreSQL. TOTP codes are computed here from RFC 6238 with node:crypto — not with
 * the library the server uses.
 */

const PASSWORD = 'correct horse battery';
const AMBIGUOUS = 'Something went wrong. Please check your credentials.';

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(Number.parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (HMAC-SHA-1, 30 s, 6 digits) at `timeMs`. */
function totp(secret: string, timeMs: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, '0');
}

describe.each(['sqlite', 'postgres'] as const)('two-factor and passwordless sign-in (%s)', (dialect) => {
  let t: TestGatehouse;
  let server: NodeServer | undefined;
  const clients: RawDdp[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
    await t?.close();
  });

  const start = async (accounts: Record<string, unknown> = {}) => {
    t = await startTestGatehouse(dialect, {
      app: {
        name: 'Notes',
        providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
        accounts: { passwordless: true, ...accounts },
      },
      config: { encryptionKeys: [generateEncryptionKey('k1')], trustProxy: true } as never,
    });
  };
  const ddp = async () => {
    server ??= await serveNode(t.gatehouse, { port: 0 });
    const c = await RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`);
    clients.push(c);
    return c;
  };
  const provider = (name: string, path: string, body: unknown, token?: string) =>
    t.request('POST', t.appPath(`/auth/providers/${name}${path}`), { body, ...(token ? { token } : {}) });

  it('Meteor accounts-2fa over DDP: activate, enable with a first code, log in with codes once each', async () => {
    await start({ ambiguousErrorMessages: false });
    const d = await ddp();
    expect((await d.call('has2faEnabled')).error).toMatchObject({ error: 'no-logged-user' });
    expect((await d.call('generate2faActivationQrCode', 'Notes')).error).toMatchObject({
      error: 400,
      reason: 'There must be a user logged in to generate the QR code.',
    });
    const created = await d.call('createUser', { username: 'ann', password: PASSWORD });
    expect(created.error).toBeUndefined();
    const userId = created.result.id;

    const activation = (await d.call('generate2faActivationQrCode', 'Notes')).result;
    expect(activation.svg).toMatch(/<svg[\s\S]*<\/svg>/);
    expect(activation.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(activation.uri).toMatch(/^otpauth:\/\/totp\/Notes:ann\?/);
    expect(new URL(activation.uri).searchParams.get('secret')).toBe(activation.secret);
    // Sealed at rest: the stored value is not the secret.
    const stored = await t.gatehouse.storage.getSecondFactor(t.appId, userId);
    expect(stored?.secret).not.toContain(activation.secret);

    // A wrong first code leaves two-factor off.
    const wrongFirst = totp(activation.secret, t.now() + 10 * 60_000);
    expect((await d.call('enableUser2fa', wrongFirst)).error).toMatchObject({
      error: 'invalid-2fa-code',
      reason: 'Invalid 2FA code',
    });
    expect((await d.call('has2faEnabled')).result).toBe(false);
    const enabled = await d.call('enableUser2fa', totp(activation.secret, t.now()));
    expect(enabled.error).toBeUndefined();
    const recoveryCodes: string[] = enabled.result.recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await d.call('has2faEnabled')).result).toBe(true);
    expect((await d.call('generate2faActivationQrCode', 'Notes')).error).toMatchObject({ error: '2fa-activated' });

    const login = async (code?: string) =>
      (await ddp()).call('login', { user: { username: 'ann' }, password: PASSWORD, ...(code ? { code } : {}) });
    expect((await login()).error).toMatchObject({ error: 'no-2fa-code', reason: '2FA code must be informed' });
    expect((await login('123456')).error).toMatchObject({ error: 'invalid-2fa-code' });
    // The code that enabled it was spent; the next step's code works once.
    expect((await login(totp(activation.secret, t.now()))).error).toMatchObject({ error: 'invalid-2fa-code' });
    t.advance(30_000);
    const code = totp(activation.secret, t.now());
    expect((await login(code)).result).toMatchObject({ id: userId, type: 'password' });
    expect((await login(code)).error).toMatchObject({ error: 'invalid-2fa-code' });
    // A recovery code works once.
    expect((await login(recoveryCodes[0])).result).toMatchObject({ id: userId });
    expect((await login(recoveryCodes[0])).error).toMatchObject({ error: 'invalid-2fa-code' });

    expect((await d.call('disableUser2fa')).error).toBeUndefined();
    expect((await d.call('has2faEnabled')).result).toBe(false);
    expect((await login()).result).toMatchObject({ id: userId });
  });

  it('passwordless over DDP asks for the second factor and keeps the mailed code until it comes', async () => {
    await start();
    const d = await ddp();
    const created = await d.call('createUser', { username: 'bo', email: 'bo@example.com', password: PASSWORD });
    const { secret } = (await d.call('generate2faActivationQrCode', 'Notes')).result;
    await d.call('enableUser2fa', totp(secret, t.now()));
    t.advance(30_000);

    await d.call('requestLoginTokenForUser', { selector: { email: 'bo@example.com' } });
    const link = (await t.mailLinks('bo@example.com')).find((l) => l.includes('loginToken')) as string;
    const token = new URL(link).searchParams.get('loginToken') as string;
    const e = await ddp();
    const selector = { email: 'bo@example.com' };
    expect((await e.call('login', { selector, token })).error).toMatchObject({
      error: 'no-2fa-code',
      reason: AMBIGUOUS,
    });
    expect((await e.call('login', { selector, token, code: '000000' })).error).toMatchObject({
      error: 'invalid-2fa-code',
    });
    const done = await e.call('login', { selector, token, code: totp(secret, t.now()) });
    expect(done.result).toMatchObject({ id: created.result.id, type: 'passwordless' });
  });

  it('HTTP: a password login of a 2FA user answers a challenge, and the code finishes it', async () => {
    await start();
    expect(
      (await provider('local-userpass', '/register', { email: 'cy@example.com', password: PASSWORD })).status,
    ).toBe(201);
    const first = await provider('local-userpass', '/login', { username: 'cy@example.com', password: PASSWORD });
    const access = first.json.access_token as string;
    expect((await t.request('GET', '/api/client/v2.0/auth/two-factor', { token: access })).json).toEqual({
      enabled: false,
      recoveryCodesLeft: 0,
    });
    const activation = await t.request('POST', '/api/client/v2.0/auth/two-factor/activation', {
      token: access,
      body: {},
    });
    expect(activation.json.uri).toMatch(/^otpauth:\/\/totp\/Notes:cy%40example.com\?/);
    const bad = await t.request('POST', '/api/client/v2.0/auth/two-factor/enable', {
      token: access,
      body: { code: '000000' === totp(activation.json.secret, t.now()) ? '111111' : '000000' },
    });
    expect(bad.status).toBe(401);
    expect(bad.json.error_code).toBe('TwoFactorInvalid');
    const enabled = await t.request('POST', '/api/client/v2.0/auth/two-factor/enable', {
      token: access,
      body: { code: totp(activation.json.secret, t.now()) },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.json.recoveryCodes).toHaveLength(10);

    const challenged = await provider('local-userpass', '/login', { username: 'cy@example.com', password: PASSWORD });
    expect(challenged.status).toBe(401);
    expect(challenged.json).toEqual({
      error: 'a two-factor code is required',
      error_code: 'TwoFactorRequired',
      challenge: expect.stringMatching(/^[0-9a-f]{24}\.\S+$/),
    });
    // A wrong code spends the challenge.
    const wrong = await provider('two-factor', '/login', { challenge: challenged.json.challenge, code: '999999' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error_code).toBe('TwoFactorInvalid');
    t.advance(30_000);
    const code = totp(activation.json.secret, t.now());
    expect(
      (await provider('two-factor', '/login', { challenge: challenged.json.challenge, code })).json.error_code,
    ).toBe('TwoFactorInvalid');
    const again = await provider('local-userpass', '/login', { username: 'cy@example.com', password: PASSWORD });
    const finished = await provider('two-factor', '/login', { challenge: again.json.challenge, code });
    expect(finished.status).toBe(200);
    expect(finished.json).toMatchObject({ user_id: first.json.user_id, refresh_token: expect.any(String) });
    // An expired challenge is refused.
    const late = await provider('local-userpass', '/login', { username: 'cy@example.com', password: PASSWORD });
    t.advance(5 * 60_000 + 1);
    expect(
      (await provider('two-factor', '/login', { challenge: late.json.challenge, code: enabled.json.recoveryCodes[0] }))
        .status,
    ).toBe(401);
    expect((await t.request('GET', '/api/client/v2.0/auth/two-factor', { token: access })).json).toEqual({
      enabled: true,
      recoveryCodesLeft: 10,
    });
    expect((await t.request('DELETE', '/api/client/v2.0/auth/two-factor', { token: access })).status).toBe(204);
    expect(
      (await provider('local-userpass', '/login', { username: 'cy@example.com', password: PASSWORD })).status,
    ).toBe(200);
  });

  it('records a wrong second factor as one failed login, with the client that sent it', async () => {
    await start();
    await provider('local-userpass', '/register', { email: 'di@example.com', password: PASSWORD });
    const access = (await provider('local-userpass', '/login', { username: 'di@example.com', password: PASSWORD })).json
      .access_token as string;
    const activation = await t.request('POST', '/api/client/v2.0/auth/two-factor/activation', {
      token: access,
      body: {},
    });
    const enable = { code: totp(activation.json.secret, t.now()) };
    expect(
      (await t.request('POST', '/api/client/v2.0/auth/two-factor/enable', { token: access, body: enable })).status,
    ).toBe(200);
    const challenged = await provider('local-userpass', '/login', { username: 'di@example.com', password: PASSWORD });
    const wrong = await t.request('POST', t.appPath('/auth/providers/two-factor/login'), {
      body: { challenge: challenged.json.challenge, code: enable.code === '999999' ? '888888' : '999999' },
      headers: { 'user-agent': 'NotesApp/3.0' },
    });
    expect(wrong.json.error_code).toBe('TwoFactorInvalid');
    const failures = (await t.gatehouse.storage.listAuditEvents(TEST_APP_ID, {})).filter(
      (e) => e.type === 'login-failed' && e.detail?.reason !== 'TwoFactorRequired',
    );
    expect(failures).toEqual([
      expect.objectContaining({ userAgent: 'NotesApp/3.0', detail: expect.objectContaining({ reason: 'two-factor' }) }),
    ]);
  });

  it('HTTP email-code: send, log in once, limits, and an anonymous user linked keeps its id', async () => {
    await start();
    expect((await provider('email-code', '/send', { email: 'di@example.com' })).status).toBe(200);
    const code = (link: string) => new URL(link).searchParams.get('loginToken') as string;
    const first = code((await t.mailLinks('di@example.com'))[0] as string);
    const login = await provider('email-code', '/login', { email: 'di@example.com', code: first });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ user_id: expect.any(String), refresh_token: expect.any(String) });
    const reused = await provider('email-code', '/login', { email: 'di@example.com', code: first });
    expect(reused.status).toBe(401);
    expect(reused.json).toEqual({ error: 'invalid or expired login code', error_code: 'LoginTokenInvalid' });
    const unknown = await provider('email-code', '/send', { email: 'nobody@example.com', createUser: false });
    expect(unknown.json.error_code).toBe('UserNotFound');
    for (let i = 0; i < 10; i++) await provider('email-code', '/login', { email: 'di@example.com', code: 'AAAAA0' });
    expect((await provider('email-code', '/login', { email: 'di@example.com', code: 'AAAAA1' })).status).toBe(429);

    // Anonymous → passwordless: the anonymous user keeps its id and gains the verified address.
    const anon = await provider('anon-user', '/login', {});
    await provider('email-code', '/send', { email: 'eli@example.com' });
    const eliCode = code((await t.mailLinks('eli@example.com'))[0] as string);
    const users = await t.countUsers();
    const linked = await t.request('POST', `${t.appPath('/auth/providers/email-code/login')}?link=true`, {
      token: anon.json.access_token,
      body: { email: 'eli@example.com', code: eliCode },
    });
    expect(linked.status).toBe(200);
    expect(linked.json.user_id).toBe(anon.json.user_id);
    expect(await t.countUsers()).toBe(users - 1);
    const user = await t.gatehouse.storage.getUser(t.appId, anon.json.user_id);
    expect(user?.emails).toEqual([{ address: 'eli@example.com', verified: true }]);
    expect(user?.identities.map((i) => i.providerType).sort()).toEqual(['anon-user', 'email-code']);
  });

  it('wrong codes are limited per account even though the password before each one was right', async () => {
    await start();
    await provider('local-userpass', '/register', { email: 'gus@example.com', password: PASSWORD });
    const first = await provider('local-userpass', '/login', { username: 'gus@example.com', password: PASSWORD });
    const auth = { token: first.json.access_token as string };
    const { json: activation } = await t.request('POST', '/api/client/v2.0/auth/two-factor/activation', {
      ...auth,
      body: {},
    });
    await t.request('POST', '/api/client/v2.0/auth/two-factor/enable', {
      ...auth,
      body: { code: totp(activation.secret, t.now()) },
    });
    t.advance(30_000);
    const right = totp(activation.secret, t.now());
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 10; i++) {
      const { json } = await provider('local-userpass', '/login', { username: 'gus@example.com', password: PASSWORD });
      expect((await provider('two-factor', '/login', { challenge: json.challenge, code: wrong })).status).toBe(401);
    }
    const { json } = await provider('local-userpass', '/login', { username: 'gus@example.com', password: PASSWORD });
    const limited = await provider('two-factor', '/login', { challenge: json.challenge, code: right });
    expect(limited.status).toBe(429);
    expect(limited.json.error_code).toBe('TooManyRequests');
  });
});
