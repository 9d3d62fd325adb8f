import { afterEach, describe, expect, it } from 'vitest';
import { type NodeServer, serveNode } from '../node/serve.js';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';
import { type SmtpCapture, startSmtpCapture } from '../testing/smtp-capture.js';

/**
 * Passwordless sign-in (Meteor's accounts-passwordless) over DDP, on SQLite and PostgreSQL, with the codes
 * read from mail delivered over real SMTP.
 */

const AMBIGUOUS = 'Something went wrong. Please check your credentials.';

describe.each(['sqlite', 'postgres'] as const)('passwordless sign-in over DDP (%s)', (dialect) => {
  let t: TestGatehouse;
  let smtp: SmtpCapture;
  let server: NodeServer | undefined;
  const clients: RawDdp[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
    await t?.close();
    await smtp?.close();
  });

  const start = async (accounts: Record<string, unknown> = {}, app: Record<string, unknown> = {}) => {
    smtp = await startSmtpCapture();
    t = await startTestGatehouse(dialect, {
      app: {
        ...app,
        name: 'Notes',
        providers: { 'local-userpass': { confirmation: 'email' } },
        accounts: { passwordless: true, ...accounts },
      },
      config: {
        trustProxy: true,
        email: { transport: 'smtp', url: smtp.url, from: 'Notes <no-reply@example.com>' },
      } as never,
    });
  };
  const ddp = async (address?: string) => {
    server ??= await serveNode(t.gatehouse, { port: 0 });
    const headers = address ? { 'x-forwarded-for': address } : undefined;
    const c = await RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`, true, headers);
    clients.push(c);
    return c;
  };

  /** The code and link of the `n`th mail to `to` (1-based), as delivered over SMTP. */
  async function mailTo(to: string, n = 1): Promise<{ code: string; link: string; subject: string }> {
    for (let i = 0; i < 400; i++) {
      const mails = smtp.inbox.filter((m) => m.to === to);
      const mail = mails[n - 1];
      if (mail) {
        const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
        const code = /sign-in form: ([0-9A-F]+)/.exec(text)?.[1] ?? '';
        const link = /(https?:\/\/\S+loginToken=\S+)/.exec(text)?.[1] ?? '';
        const subject = /^Subject: (.*)$/m.exec(text)?.[1] ?? '';
        return { code, link, subject };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail ${n} to ${to}`);
  }

  it('creates the user, mails a code and a link, logs in once with the code, and verifies the address', async () => {
    await start();
    const d = await ddp();
    const request = await d.call('requestLoginTokenForUser', {
      selector: { email: 'ada@example.com' },
      userData: { email: 'ada@example.com', profile: { name: 'Ada' } },
    });
    expect(request.error).toBeUndefined();
    expect(request.result).toEqual({
      selector: { email: 'ada@example.com' },
      userData: { email: 'ada@example.com', profile: { name: 'Ada' } },
      isNewUser: true,
    });
    const mail = await mailTo('ada@example.com');
    expect(mail.subject).toBe('Your sign-in code for Notes');
    expect(mail.code).toMatch(/^[0-9A-F]{6}$/);
    const link = new URL(mail.link);
    expect(link.origin + link.pathname).toBe(`http://gatehouse.test/app/${t.appId}/login`);
    expect(link.searchParams.get('loginToken')).toBe(mail.code);
    expect(link.searchParams.get('selector')).toBe('ada@example.com');

    // Without a loginTokenUrl the link opens a page that shows the code; opening it spends nothing.
    const landing = await t.request('GET', `${link.pathname}${link.search}`);
    expect(landing.status).toBe(200);
    expect(landing.text).toContain(`<strong>${mail.code}</strong>`);

    // Meteor upper-cases the token it is given: a code typed in lower case works.
    const login = await d.call('login', { selector: { email: 'ada@example.com' }, token: mail.code.toLowerCase() });
    expect(login.error).toBeUndefined();
    expect(login.result).toMatchObject({ type: 'passwordless', token: expect.any(String) });
    const user = await t.gatehouse.storage.getUser(t.appId, login.result.id);
    expect(user?.emails).toEqual([{ address: 'ada@example.com', verified: true }]);
    expect(user?.profile).toEqual({ name: 'Ada' });

    // Single use.
    const again = await (await ddp()).call('login', { selector: { email: 'ada@example.com' }, token: mail.code });
    expect(again.error).toMatchObject({ error: 403, reason: AMBIGUOUS });

    // A known user: not new, and a username selector takes the code mailed to the user's address.
    const second = await d.call('requestLoginTokenForUser', { selector: { email: 'ada@example.com' } });
    expect(second.result).toMatchObject({ isNewUser: false });
    const { code } = await mailTo('ada@example.com', 2);
    const byId = await (await ddp()).call('login', { selector: { id: login.result.id }, token: code });
    expect(byId.result).toMatchObject({ id: login.result.id, type: 'passwordless' });
  });

  it('gives accounts-passwordless’s texts when errors are not ambiguous', async () => {
    await start({ ambiguousErrorMessages: false });
    const d = await ddp();
    const login = (selector: unknown, token: string) => d.call('login', { selector, token });

    expect((await login({ email: 'nobody@example.com' }, 'ABCDEF')).error).toMatchObject({
      error: 403,
      reason: 'User not found',
    });
    const refused = await d.call('requestLoginTokenForUser', {
      selector: { email: 'nobody@example.com' },
      userData: { email: 'nobody@example.com' },
      options: { userCreationDisabled: true },
    });
    expect(refused.error).toMatchObject({ error: 403, reason: 'User not found' });
    const noData = await d.call('requestLoginTokenForUser', { selector: { email: 'nobody@example.com' } });
    expect(noData.error).toMatchObject({ error: 400, reason: 'Need to set a username or email' });

    await d.call('requestLoginTokenForUser', {
      selector: { email: 'bob@example.com' },
      userData: { username: 'bob', email: 'bob@example.com' },
    });
    const { code } = await mailTo('bob@example.com');
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    expect((await login({ email: 'bob@example.com' }, wrong)).error).toMatchObject({
      reason: 'Email or token mismatch',
    });
    expect((await login({ username: 'bob' }, wrong)).error).toMatchObject({ reason: 'Token mismatch' });
    expect((await login({ username: 'bob' }, `${code}0`)).error).toMatchObject({ error: 400, reason: 'Match failed' });
    t.advance(3_600_000);
    expect((await login({ username: 'bob' }, code)).error).toMatchObject({ reason: 'Expired token' });

    // After a successful login no code is left.
    await d.call('requestLoginTokenForUser', { selector: { username: 'bob' } });
    const fresh = await mailTo('bob@example.com', 2);
    expect((await login({ username: 'bob' }, fresh.code)).result).toMatchObject({ type: 'passwordless' });
    expect((await login({ username: 'bob' }, fresh.code)).error).toMatchObject({ reason: 'User has no token set' });
  });

  it('refuses another user’s code, and limits guesses per account like passwords', async () => {
    await start();
    const d = await ddp();
    for (const email of ['eve@example.com', 'ann@example.com'])
      await d.call('requestLoginTokenForUser', { selector: { email }, userData: { email } });
    const eve = await mailTo('eve@example.com');
    const ann = await mailTo('ann@example.com');
    expect((await d.call('login', { selector: { email: 'ann@example.com' }, token: eve.code })).error).toMatchObject({
      error: 403,
    });
    // Recorded once, by the check that knew why.
    const refused = (await t.gatehouse.storage.listAuditEvents(TEST_APP_ID, {})).filter(
      (e) => e.type === 'login-failed',
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]?.detail).toEqual({ provider: 'email-code', reason: 'email-mismatch' });

    // Ten wrong guesses from one address, then even the right code is refused for a while.
    const guesser = await ddp('203.0.113.7');
    for (let i = 0; i < 10; i++) {
      const guess = (0x100000 + i).toString(16).toUpperCase();
      if (guess === ann.code) continue;
      await guesser.call('login', { selector: { email: 'ann@example.com' }, token: guess });
    }
    const blocked = await guesser.call('login', { selector: { email: 'ann@example.com' }, token: ann.code });
    expect(blocked.error).toMatchObject({ error: 'too-many-requests' });
    // From elsewhere the code still works.
    expect((await d.call('login', { selector: { email: 'ann@example.com' }, token: ann.code })).result).toMatchObject({
      type: 'passwordless',
    });
  });

  it('has no passwordless method in an app without it, and refuses a creation the app forbids', async () => {
    await start({ passwordless: false });
    const d = await ddp();
    expect((await d.call('requestLoginTokenForUser', { selector: { email: 'a@example.com' } })).error).toMatchObject({
      error: 404,
    });
    expect((await d.call('login', { selector: { email: 'a@example.com' }, token: 'ABCDEF' })).error).toMatchObject({
      error: 400,
      reason: 'Unrecognized options for login request',
    });
    d.close();
    await server?.close();
    server = undefined;
    await t.close();
    await smtp.close();
    await start({ forbidClientAccountCreation: true });
    const e = await ddp();
    const refused = await e.call('requestLoginTokenForUser', {
      selector: { email: 'a@example.com' },
      userData: { email: 'a@example.com' },
    });
    expect(refused.error).toMatchObject({ error: 403 });
    expect(await t.countUsers()).toBe(0);
  });

  it('an app that hides which addresses have accounts answers an unknown address like a known one', async () => {
    await start({}, { preventAccountEnumeration: true });
    const send = (email: string) =>
      t.request('POST', t.appPath('/auth/providers/email-code/send'), { body: { email, createUser: false } });
    await t.gatehouse.accounts(t.appId).createUser({ email: 'known@example.com' });
    const known = await send('known@example.com');
    const unknown = await send('unknown@example.com');
    expect([known.status, known.json]).toEqual([200, {}]);
    expect([unknown.status, unknown.json]).toEqual([200, {}]);
    await mailTo('known@example.com');
    const d = await ddp();
    const overDdp = await d.call('requestLoginTokenForUser', {
      selector: { email: 'unknown@example.com' },
      options: { userCreationDisabled: true },
    });
    expect(overDdp.result).toEqual({ selector: { email: 'unknown@example.com' }, isNewUser: false });
    expect(smtp.inbox.filter((m) => m.to === 'unknown@example.com')).toEqual([]);
    expect(await t.countUsers()).toBe(1);
  });
});
