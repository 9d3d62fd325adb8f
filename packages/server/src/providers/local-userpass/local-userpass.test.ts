import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt, startTestGatehouse, type TestGatehouse, tokenFromLink } from '../../testing/index.js';

const API = '/api/client/v2.0';
const PASSWORD = 'correct horse battery';

/** The email/password provider in each confirmation and reset mode, on both dialects. */
describe.each(['sqlite', 'postgres'] as const)('local-userpass (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const start = async (
    provider: Record<string, unknown> = {},
    config: Record<string, unknown> = {},
    app: Record<string, unknown> = {},
  ) => {
    t = await startTestGatehouse(dialect, {
      app: { name: 'Test App', providers: { 'local-userpass': provider }, ...app },
      config: config as never,
    });
    return t;
  };
  const register = (email: string, password = PASSWORD) =>
    t.request('POST', t.appPath('/auth/providers/local-userpass/register'), { body: { email, password } });
  const login = (username: string, password = PASSWORD, address = '127.0.0.1') =>
    t.request('POST', t.appPath('/auth/providers/local-userpass/login'), { body: { username, password }, address });
  const post = (path: string, body: unknown) =>
    t.request('POST', t.appPath(`/auth/providers/local-userpass${path}`), { body });

  describe('automatic confirmation', () => {
    it('registers, logs in case-insensitively, shows the email in the profile', async () => {
      await start({ confirmation: 'auto' });
      const res = await register('Ann.Lee@Example.com');
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toBe('application/json');
      const ok = await login('ann.lee@example.COM');
      expect(ok.status).toBe(200);
      const profile = await t.request('GET', `${API}/auth/profile`, { token: ok.json.access_token });
      expect(profile.json.data.email).toBe('Ann.Lee@Example.com');
      expect(profile.json.identities).toEqual([
        { id: expect.stringMatching(/^[0-9a-f]{24}$/), provider_type: 'local-userpass', provider_id: 'local-userpass' },
      ]);
    });

    it('refuses a taken email in any letter case with 409 AccountNameInUse', async () => {
      await start({ confirmation: 'auto' });
      await register('bob@example.com');
      const again = await register('BOB@example.com');
      expect(again.status).toBe(409);
      expect(again.json).toEqual({ error: 'name already in use', error_code: 'AccountNameInUse' });
    });

    it('two concurrent registrations of one email (differing in case) leave one user', async () => {
      await start({ confirmation: 'auto' });
      const results = await Promise.all([register('race@example.com'), register('RACE@example.com')]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await t.countUsers()).toBe(1);
    });

    it('answers unknown user and wrong password alike', async () => {
      await start({ confirmation: 'auto' });
      await register('carol@example.com');
      const wrong = await login('carol@example.com', 'not the password');
      const unknown = await login('nobody@example.com', 'not the password');
      for (const res of [wrong, unknown]) {
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ error: 'invalid username/password', error_code: 'InvalidPassword' });
      }
    });

    it('enforces the password policy: length 8–256 by default, common passwords refused, never truncated', async () => {
      await start({ confirmation: 'auto' });
      const short = await register('d1@example.com', 'short');
      expect(short.status).toBe(400);
      expect(short.json.error).toBe('password must be between 8 and 256 characters');
      expect((await register('d2@example.com', 'x'.repeat(257))).status).toBe(400);
      const common = await register('d3@example.com', 'password123');
      expect(common.status).toBe(400);
      expect(common.json.error_code).toBe('BadRequest');
      const long = `${'y'.repeat(255)}a`;
      expect((await register('d4@example.com', long)).status).toBe(201);
      expect((await login('d4@example.com', `${'y'.repeat(255)}b`)).status).toBe(401);
      expect((await login('d4@example.com', long)).status).toBe(200);
      // Over-long passwords at login are refused before any hashing.
      expect((await login('d4@example.com', 'z'.repeat(300))).status).toBe(400);
    });

    it('honours a configured minimum length', async () => {
      await start({ confirmation: 'auto', minPasswordLength: 15 });
      const res = await register('e@example.com', 'fourteen chars');
      expect(res.json.error).toBe('password must be between 15 and 256 characters');
    });

    it('refuses malformed and header-injection email addresses', async () => {
      await start({ confirmation: 'auto' });
      for (const email of [
        'no-at-sign',
        'a@b',
        'a@@b.com',
        'a@b.com\r\nBcc: x@y.com',
        'a b@c.com',
        '"q"@c.com',
        `${'l'.repeat(65)}@c.com`,
      ]) {
        const res = await register(email);
        expect(res.status, email).toBe(400);
        expect(res.json.error, email).toBe('invalid email address');
      }
    });

    it('rate-limits failed logins per account and address with 429, and the owner elsewhere still gets in', async () => {
      await start(
        { confirmation: 'auto' },
        {
          rateLimits: {
            failedLoginsPerAccountAndAddress: 3,
            failedLoginsPerAccount: 100,
            failedLoginsPerAddress: 50,
            window: '15m',
          },
        },
      );
      await register('f@example.com');
      for (let i = 0; i < 3; i++)
        expect((await login('f@example.com', 'wrong password!', '203.0.113.9')).status).toBe(401);
      const limited = await login('f@example.com', PASSWORD, '203.0.113.9');
      expect(limited.status).toBe(429);
      expect(limited.json.error_code).toBe('TooManyRequests');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await login('f@example.com', PASSWORD, '198.51.100.7')).status).toBe(200);
      t.advance(16 * 60_000);
      expect((await login('f@example.com', PASSWORD, '203.0.113.9')).status).toBe(200);
    });

    it('rate-limits failed logins per client address across accounts', async () => {
      await start(
        { confirmation: 'auto' },
        {
          rateLimits: {
            failedLoginsPerAccountAndAddress: 10,
            failedLoginsPerAccount: 100,
            failedLoginsPerAddress: 4,
            window: '15m',
          },
        },
      );
      for (let i = 0; i < 4; i++) await login(`guess${i}@example.com`, 'wrong password!', '2001:db8:1:2::1');
      // Same /64, another host: still the same subscriber.
      expect((await login('other@example.com', 'wrong password!', '2001:db8:1:2::99')).status).toBe(429);
      expect((await login('other@example.com', 'wrong password!', '2001:db8:1:3::1')).status).toBe(401);
    });

    it('re-hashes a password stored with weaker parameters at the next login', async () => {
      await start({ confirmation: 'auto' });
      await register('g@example.com');
      const user = await t.gatehouse.storage.findUserByEmail(t.appId, 'g@example.com');
      const before = await t.gatehouse.storage.getPasswordHash(t.appId, user!.id);
      await t.close();
      t = await startTestGatehouse(dialect, {
        app: { providers: { 'local-userpass': { confirmation: 'auto' } } },
        config: { passwordHashing: { memoryCost: 2048, timeCost: 1, parallelism: 1 } },
      });
      // A fresh database: put the old user back with its old hash.
      await t.gatehouse.storage.createUser({
        id: user!.id,
        appId: t.appId,
        emails: [{ address: 'g@example.com', verified: true }],
        identities: user!.identities,
        passwordHash: before,
        now: t.now(),
      });
      expect(before).toContain('m=1024');
      expect((await login('g@example.com')).status).toBe(200);
      const after = await t.gatehouse.storage.getPasswordHash(t.appId, user!.id);
      expect(after).toContain('m=2048');
      expect((await login('g@example.com')).status).toBe(200);
    });
  });

  describe('usernames (Meteor-style accounts)', () => {
    it('registers with a username and a profile, and logs in by username in any letter case', async () => {
      await start({ confirmation: 'email' });
      const res = await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
        body: { username: 'Ada_Lovelace', password: PASSWORD, profile: { name: 'Ada', langs: ['en', 'fr'] } },
      });
      expect(res.status).toBe(201);
      // No email: nothing to confirm, no mail.
      expect(t.gatehouse.outbox?.list()).toHaveLength(0);
      const ok = await login('ada_lovelace');
      expect(ok.status).toBe(200);
      const profile = await t.request('GET', `${API}/auth/profile`, { token: ok.json.access_token });
      expect(profile.json.data).toEqual({ name: 'Ada', langs: ['en', 'fr'] });
      expect((await login('ada_lovelace', 'not the password')).json.error_code).toBe('InvalidPassword');
    });

    it('refuses a taken username in any case, bad usernames, and a body with neither name nor email', async () => {
      await start({ confirmation: 'auto' });
      const register = (body: Record<string, unknown>) =>
        t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
          body: { password: PASSWORD, ...body },
        });
      expect((await register({ username: 'grace' })).status).toBe(201);
      expect((await register({ username: 'GRACE' })).json.error_code).toBe('AccountNameInUse');
      for (const username of ['', 'has space', 'a@b', 'x'.repeat(65), 'tab\there']) {
        expect((await register({ username })).json.error, username).toMatch(/^invalid username/);
      }
      expect((await register({})).json.error).toBe('need to set a username or email');
      const big = await register({ username: 'big', profile: { blob: 'x'.repeat(20_000) } });
      expect(big.status).toBe(400);
      // A user with both logs in with either.
      expect((await register({ username: 'lin', email: 'lin@example.com' })).status).toBe(201);
      expect((await login('LIN')).status).toBe(200);
      expect((await login('lin@example.com')).status).toBe(200);
    });
  });

  describe('confirmation by email', () => {
    it('mails a link; login waits for confirmation; the link confirms once', async () => {
      await start({ confirmation: 'email' });
      expect((await register('h@example.com')).status).toBe(201);
      const pending = await login('h@example.com');
      expect(pending.status).toBe(401);
      expect(pending.json).toEqual({ error: 'confirmation required', error_code: 'AuthError' });
      const [link] = await t.mailLinks('h@example.com');
      expect(link).toMatch(
        new RegExp(`^http://gatehouse\\.test/app/${t.appId}/confirm\\?token=[\\w-]+&tokenId=[0-9a-f]{24}$`),
      );
      const { token, tokenId } = tokenFromLink(link!);
      expect((await post('/confirm', { token, tokenId })).status).toBe(200);
      const again = await post('/confirm', { token, tokenId });
      expect(again.status).toBe(400);
      expect(again.json).toEqual({ error: 'invalid token data', error_code: 'UserpassTokenInvalid' });
      expect((await login('h@example.com')).status).toBe(200);
    });

    it('refuses wrong, foreign and expired tokens', async () => {
      await start({ confirmation: 'email', confirmationTokenLifetime: '1h' });
      await register('i@example.com');
      const { token, tokenId } = tokenFromLink((await t.mailLinks('i@example.com'))[0]!);
      expect((await post('/confirm', { token: `${token}x`, tokenId })).status).toBe(400);
      expect((await post('/confirm', { token, tokenId: '0123456789abcdef01234567' })).status).toBe(400);
      // A confirmation token is not a reset token.
      expect((await post('/reset', { token, tokenId, password: 'another fine password' })).status).toBe(400);
      t.advance(61 * 60_000);
      expect((await post('/confirm', { token, tokenId })).status).toBe(400);
    });

    it('resend mails a fresh link and voids the old one; unknown and confirmed addresses are told apart as App Services did', async () => {
      await start({ confirmation: 'email' });
      await register('j@example.com');
      const first = tokenFromLink((await t.mailLinks('j@example.com'))[0]!);
      t.gatehouse.outbox?.clear();
      expect((await post('/confirm/send', { email: 'J@example.com' })).status).toBe(200);
      const second = tokenFromLink((await t.mailLinks('j@example.com'))[0]!);
      expect(second.tokenId).not.toBe(first.tokenId);
      expect((await post('/confirm', first)).status).toBe(400);
      expect((await post('/confirm', second)).status).toBe(200);
      const unknown = await post('/confirm/send', { email: 'ghost@example.com' });
      expect(unknown.status).toBe(404);
      expect(unknown.json).toEqual({ error: 'user not found', error_code: 'UserNotFound' });
      const confirmed = await post('/confirm/send', { email: 'j@example.com' });
      expect(confirmed.status).toBe(400);
      expect(confirmed.json).toEqual({ error: 'already confirmed', error_code: 'UserAlreadyConfirmed' });
    });

    it('with preventAccountEnumeration, resend answers every address alike and mails only a pending one', async () => {
      await start({ confirmation: 'email' }, {}, { preventAccountEnumeration: true });
      await register('k@example.com');
      const first = tokenFromLink((await t.mailLinks('k@example.com'))[0]!);
      expect((await post('/confirm', first)).status).toBe(200);
      t.gatehouse.outbox?.clear();
      for (const email of ['ghost@example.com', 'k@example.com']) {
        const res = await post('/confirm/send', { email });
        expect({ status: res.status, json: res.json }).toEqual({ status: 200, json: {} });
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(t.gatehouse.outbox?.list()).toHaveLength(0);
    });

    it('sends one address at most 5 mails an hour, answering the same either way', async () => {
      await start({ confirmation: 'email' });
      await register('flood@example.com');
      // Mail goes out after the answers: wait until the sends settle (on a loaded machine that takes a while).
      const sent = () => t.gatehouse.outbox?.list().filter((m) => m.to === 'flood@example.com').length ?? 0;
      const settled = async (count: number) => {
        for (let i = 0; i < 200 && sent() < count; i++) await new Promise((r) => setTimeout(r, 10));
      };
      // Each resend waits for the mail before it: a resend made while the previous mail still waits replaces it.
      await settled(1);
      for (let i = 0; i < 8; i++) {
        expect((await post('/confirm/send', { email: 'flood@example.com' })).status).toBe(200);
        await settled(Math.min(i + 2, 5));
      }
      await new Promise((r) => setTimeout(r, 100));
      expect(sent()).toBe(5);
      t.advance(61 * 60_000);
      expect((await post('/confirm/send', { email: 'flood@example.com' })).status).toBe(200);
      await settled(6);
      expect(sent()).toBe(6);
    });

    it('the hosted confirm page confirms only when its button is pressed', async () => {
      await start({ confirmation: 'email' });
      await register('k@example.com');
      const [link] = await t.mailLinks('k@example.com');
      const path = link!.replace('http://gatehouse.test', '');
      const page = await t.request('GET', path);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.text).toContain('<form method="post">');
      expect((await login('k@example.com')).status).toBe(401); // opening the page confirmed nothing
      const { token, tokenId } = tokenFromLink(link!);
      const done = await t.request('POST', `/app/${t.appId}/confirm`, {
        raw: new URLSearchParams({ token, tokenId }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(done.status).toBe(200);
      expect(done.text).toContain('Email confirmed');
      expect((await login('k@example.com')).status).toBe(200);
    });
  });

  describe('confirmation by function', () => {
    const withFunction = (status: string | (() => never)) =>
      start(
        { confirmation: 'function', confirmationFunction: 'confirm' },
        {
          functions: {
            confirm: async (input: { token: string; tokenId: string; username: string }) => {
              calls.push(input);
              if (typeof status === 'function') return status();
              return { status };
            },
          },
        },
      );
    let calls: { token: string; tokenId: string; username: string }[] = [];
    afterEach(() => {
      calls = [];
    });

    it('success confirms at once', async () => {
      await withFunction('success');
      expect((await register('l@example.com')).status).toBe(201);
      expect(calls).toEqual([
        { token: expect.any(String), tokenId: expect.stringMatching(/^[0-9a-f]{24}$/), username: 'l@example.com' },
      ]);
      expect((await login('l@example.com')).status).toBe(200);
    });

    it('pending waits for confirm with the token the function received', async () => {
      await withFunction('pending');
      await register('m@example.com');
      expect((await login('m@example.com')).status).toBe(401);
      const { token, tokenId } = calls[0]!;
      expect((await post('/confirm', { token, tokenId })).status).toBe(200);
      expect((await login('m@example.com')).status).toBe(200);
    });

    it('fail refuses the registration and frees the address', async () => {
      await withFunction('fail');
      const res = await register('n@example.com');
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'failed to confirm user "n@example.com"', error_code: 'BadRequest' });
      expect(await t.gatehouse.storage.findUserByEmail(t.appId, 'n@example.com')).toBeNull();
    });

    it('a throwing function is a 400 with its message, never a 500', async () => {
      await withFunction(() => {
        throw new Error('the CRM is down');
      });
      const res = await register('o@example.com');
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('the CRM is down');
      expect(await t.countUsers()).toBe(0);
    });

    it('confirm/call runs the function again for a pending user', async () => {
      await withFunction('pending');
      await register('p@example.com');
      expect((await post('/confirm/call', { email: 'p@example.com' })).status).toBe(200);
      expect(calls).toHaveLength(2);
      expect((await post('/confirm/call', { email: 'ghost@example.com' })).json.error_code).toBe('UserNotFound');
    });

    it('confirm/call with automatic confirmation gives the App Services message', async () => {
      await start({ confirmation: 'auto' });
      const res = await post('/confirm/call', { email: 'q@example.com' });
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('cannot run confirmation for q@example.com: automatic confirmation is enabled');
    });
  });

  describe('password reset by email', () => {
    it('mails a link that sets a new password once and signs the user out everywhere', async () => {
      await start({ confirmation: 'auto', resetTokenLifetime: '30m' });
      await register('r@example.com');
      const session = (await login('r@example.com')).json;
      expect((await post('/reset/send', { email: 'r@example.com' })).status).toBe(200);
      const [link] = await t.mailLinks('r@example.com');
      expect(link).toContain(`/app/${t.appId}/reset?token=`);
      const { token, tokenId } = tokenFromLink(link!);
      // A refused password does not spend the token.
      expect((await post('/reset', { token, tokenId, password: 'short' })).status).toBe(400);
      expect((await post('/reset', { token, tokenId, password: 'a brand new passphrase' })).status).toBe(200);
      expect((await post('/reset', { token, tokenId, password: 'yet another passphrase' })).status).toBe(400);
      expect((await t.request('POST', `${API}/auth/session`, { token: session.refresh_token })).status).toBe(401);
      expect((await login('r@example.com')).status).toBe(401);
      expect((await login('r@example.com', 'a brand new passphrase')).status).toBe(200);
    });

    it('answers an unknown address UserNotFound, as App Services did', async () => {
      await start({ confirmation: 'auto' });
      const res = await post('/reset/send', { email: 'nobody@example.com' });
      expect(res.status).toBe(404);
      expect(res.json.error_code).toBe('UserNotFound');
    });

    it('with preventAccountEnumeration, does not tell whether an address has an account', async () => {
      await start({ confirmation: 'auto' }, {}, { preventAccountEnumeration: true });
      const res = await post('/reset/send', { email: 'nobody@example.com' });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect(t.gatehouse.outbox?.list()).toHaveLength(0);
    });

    it('reset links expire', async () => {
      await start({ confirmation: 'auto', resetTokenLifetime: '30m' });
      await register('s@example.com');
      await post('/reset/send', { email: 's@example.com' });
      const { token, tokenId } = tokenFromLink((await t.mailLinks('s@example.com'))[0]!);
      t.advance(31 * 60_000);
      expect((await post('/reset', { token, tokenId, password: 'a brand new passphrase' })).json.error_code).toBe(
        'UserpassTokenInvalid',
      );
    });

    it('the hosted reset page sets the password through a form', async () => {
      await start({ confirmation: 'auto' });
      await register('t@example.com');
      await post('/reset/send', { email: 't@example.com' });
      const [link] = await t.mailLinks('t@example.com');
      const page = await t.request('GET', link!.replace('http://gatehouse.test', ''));
      expect(page.text).toContain('type="password"');
      const form = (password: string, confirm = password) =>
        t.request('POST', `/app/${t.appId}/reset`, {
          raw: new URLSearchParams({ ...tokenFromLink(link!), password, confirm }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      expect((await form('mismatch one', 'mismatch two')).status).toBe(400);
      const weak = await form('short');
      expect(weak.status).toBe(400);
      expect(weak.text).toContain('password must be between 8 and 256 characters');
      expect((await form('the page set this one')).text).toContain('Password changed');
      expect((await login('t@example.com', 'the page set this one')).status).toBe(200);
    });

    it('reset/send with a reset function configured gives the App Services message', async () => {
      await start(
        { confirmation: 'auto', reset: 'function', resetFunction: 'reset' },
        { functions: { reset: async () => ({ status: 'fail' }) } },
      );
      const res = await post('/reset/send', { email: 'u@example.com' });
      expect(res.json).toEqual({ error: 'please use reset password via function', error_code: 'BadRequest' });
    });
  });

  describe('password reset by function', () => {
    it('passes the App Services arguments; success sets the password at once', async () => {
      const seen: unknown[][] = [];
      await start(
        { confirmation: 'auto', reset: 'function', resetFunction: 'reset' },
        {
          functions: {
            reset: async (...args: unknown[]) => {
              seen.push(args);
              return { status: 'success' };
            },
          },
        },
      );
      await register('v@example.com');
      const res = await t.request('POST', t.appPath('/auth/providers/local-userpass/reset/call'), {
        body: {
          email: 'v@example.com',
          password: 'reset by function!',
          arguments: [{ $numberInt: '42' }, 'security answer'],
        },
      });
      expect(res.status).toBe(200);
      expect(seen[0]).toEqual([
        {
          username: 'v@example.com',
          password: 'reset by function!',
          token: expect.any(String),
          tokenId: expect.any(String),
          currentPasswordValid: false,
        },
        42,
        'security answer',
      ]);
      expect((await login('v@example.com', 'reset by function!')).status).toBe(200);
    });

    it('pending keeps the token for a later reset; fail refuses', async () => {
      let answer = 'pending';
      let received: { token: string; tokenId: string } | undefined;
      await start(
        { confirmation: 'auto', reset: 'function', resetFunction: 'reset' },
        {
          functions: {
            reset: async (input: { token: string; tokenId: string }) => {
              received = input;
              return { status: answer };
            },
          },
        },
      );
      await register('w@example.com');
      const call = () =>
        post('/reset/call', { email: 'w@example.com', password: 'pending new password', arguments: [] });
      expect((await call()).status).toBe(200);
      expect((await login('w@example.com')).status).toBe(200);
      expect(
        (await post('/reset', { token: received!.token, tokenId: received!.tokenId, password: 'pending new password' }))
          .status,
      ).toBe(200);
      expect((await login('w@example.com', 'pending new password')).status).toBe(200);
      answer = 'fail';
      const failed = await call();
      expect(failed.json).toEqual({
        error: 'failed to reset password for user "w@example.com"',
        error_code: 'BadRequest',
      });
    });
  });

  describe('linking', () => {
    const anonymous = async () =>
      (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    const link = (token: string, username: string, password = PASSWORD) =>
      t.request('POST', t.appPath('/auth/providers/local-userpass/login?link=true'), {
        body: { username, password },
        token,
      });

    it('upgrades an anonymous user: same id, same session, identities appended', async () => {
      t = await startTestGatehouse(dialect, {
        app: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } },
      });
      const anon = await anonymous();
      await register('upgrade@example.com');
      const res = await link(anon.access_token, 'upgrade@example.com');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ access_token: expect.any(String), user_id: anon.user_id, device_id: anon.device_id });
      expect(decodeJwt(res.json.access_token).sid).toBe(decodeJwt(anon.access_token).sid);
      const profile = await t.request('GET', `${API}/auth/profile`, { token: res.json.access_token });
      expect(profile.json.identities.map((i: { provider_type: string }) => i.provider_type)).toEqual([
        'anon-user',
        'local-userpass',
      ]);
      expect(profile.json.data.email).toBe('upgrade@example.com');
      // The email now logs into the upgraded user; the anonymous session lives on.
      expect((await login('upgrade@example.com')).json.user_id).toBe(anon.user_id);
      expect((await t.request('POST', `${API}/auth/session`, { token: anon.refresh_token })).status).toBe(201);
      // Logging out no longer deletes it: it is not anonymous-only any more.
      await t.request('DELETE', `${API}/auth/session`, { token: anon.refresh_token });
      expect(await t.gatehouse.storage.getUser(t.appId, anon.user_id)).not.toBeNull();
      expect(await t.countUsers()).toBe(1);
    });

    it('refuses an account that is in use, wrong credentials, and anonymous credentials', async () => {
      t = await startTestGatehouse(dialect, {
        app: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } },
      });
      await register('used@example.com');
      await login('used@example.com');
      const anon = await anonymous();
      const taken = await link(anon.access_token, 'used@example.com');
      expect(taken.status).toBe(400);
      expect(taken.json.error_code).toBe('InvalidParameter');
      expect((await link(anon.access_token, 'used@example.com', 'wrong password!')).status).toBe(401);
      const anonLink = await t.request('POST', t.appPath('/auth/providers/anon-user/login?link=true'), {
        body: {},
        token: anon.access_token,
      });
      expect(anonLink.json.error_code).toBe('InvalidParameter');
      // Without a valid access token: InvalidSession.
      expect((await link('nonsense', 'used@example.com')).status).toBe(401);
      const user = await t.gatehouse.storage.getUser(t.appId, anon.user_id);
      expect(user?.identities.map((i) => i.providerType)).toEqual(['anon-user']);
    });
  });

  it('access tokens of email accounts carry the configured lifetime', async () => {
    t = await startTestGatehouse(dialect, {
      app: { accessTokenLifetime: '10m', providers: { 'local-userpass': { confirmation: 'auto' } } },
    });
    await register('x@example.com');
    const claims = decodeJwt((await login('x@example.com')).json.access_token);
    expect(claims.exp - claims.iat).toBe(600);
  });
});
