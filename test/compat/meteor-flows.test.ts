import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runGatehouse, type ServedGatehouse, serveGatehouse } from './serve.js';
import { type SmtpCapture, startSmtpCapture } from './smtp-capture.js';

const require = createRequire(import.meta.url);
const SimpleDDP = require('simpleddp');
const { simpleDDPLogin } = require('simpleddp-plugin-login');

/** What a Meteor client sends for a password: `Accounts._hashPassword` (ASCII passwords here). */
const digestOf = (password: string) => ({
  digest: createHash('sha256').update(password, 'utf8').digest('hex'),
  algorithm: 'sha-256',
});

/**
 * Meteor's mailed account flows end to end: `gatehouse serve` with real SMTP (an `smtp-server` capture), the
 * operator's `gatehouse users` commands, and a real npm DDP client (simpleddp) doing what a Meteor app does —
 * enrollment, verification and password reset, each finished over DDP from the token in the mail.
 */
describe.each(['sqlite', 'postgres'] as const)('Meteor account flows over DDP and SMTP (%s)', (dialect) => {
  let served: ServedGatehouse;
  let smtp: SmtpCapture;
  const clients: { disconnect(): Promise<void> }[] = [];

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    served = await serveGatehouse(
      dialect,
      {
        name: 'Flows',
        // As a Meteor app: users log in at once, and a verification mail goes to their address.
        accounts: { sendVerificationEmail: true, passwordResetTokenExpirationInDays: 3 },
        providers: { 'local-userpass': { confirmation: 'auto' } },
      },
      {
        email: { transport: 'smtp', url: smtp.url, from: 'Flows <no-reply@example.com>' },
        passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      },
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => {})));
    await served?.stop();
    await smtp?.close();
  });

  const connect = async () => {
    const client = new SimpleDDP(
      {
        endpoint: `${served.url.replace('http', 'ws')}/websocket`,
        SocketConstructor: WebSocket,
        autoReconnect: false,
      },
      [simpleDDPLogin],
    );
    await client.connect();
    clients.push(client);
    return client;
  };
  const cli = (...args: string[]) =>
    runGatehouse(['users', ...args, '--config', served.configFile, '--app', served.appId]);

  /** The newest mail to `to`: its subject and the link's token as Meteor clients pass it, `"<tokenId>.<token>"`. */
  async function mailTo(to: string): Promise<{ subject: string; token: string }> {
    for (let i = 0; i < 200; i++) {
      const mail = smtp.inbox.filter((m) => m.to === to).at(-1);
      if (mail) {
        const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
        const match = /token=([\w-]+)&(?:amp;)?tokenId=([0-9a-f]{24})/.exec(text);
        const subject = /^Subject: (.*)$/m.exec(text)?.[1] ?? '';
        if (match) return { subject, token: `${match[2]}.${match[1]}` };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail to ${to}`);
  }

  it('the operator creates an account and mails an enrollment link; the user sets a password over DDP', async () => {
    const email = `ada-${dialect}@example.com`;
    const created = await cli('create', email, '{"name":"Ada"}');
    expect(created.code, created.stderr).toBe(0);
    const id = /Created user ([0-9a-f]{24})/.exec(created.stdout)?.[1];
    const sent = await cli('send-enrollment', id as string);
    expect(sent.code, sent.stderr).toBe(0);
    const mail = await mailTo(email);
    expect(mail.subject).toBe('An account has been created for you on Flows');

    const ddp = await connect();
    const enrolled = await ddp.call('resetPassword', mail.token, digestOf('enrolled passphrase'));
    expect(enrolled).toMatchObject({ id, token: expect.any(String) });
    await expect(ddp.call('resetPassword', mail.token, digestOf('again passphrase'))).rejects.toMatchObject({
      reason: 'Token expired',
    });

    // The next session logs in with the password chosen there, and sees its document: the link verified it.
    const next = await connect();
    const login = await next.login({ user: { email }, password: digestOf('enrolled passphrase') });
    expect(login.id).toBe(id);
    for (let i = 0; i < 250 && next.collection('users').fetch().length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(next.collection('users').fetch()).toEqual([
      { id, emails: [{ address: email, verified: true }], profile: { name: 'Ada' } },
    ]);
  });

  it('createUser over DDP mails a verification link; verifyEmail logs in and the document shows it verified', async () => {
    const email = `grace-${dialect}@example.com`;
    const ddp = await connect();
    const created = await ddp.call('createUser', {
      username: `grace-${dialect}`,
      email,
      password: digestOf('grace passphrase'),
    });
    const mail = await mailTo(email);
    expect(mail.subject).toBe('Confirm your email address for Flows');

    const other = await connect();
    const verified = await other.call('verifyEmail', mail.token);
    expect(verified.id).toBe(created.id);
    // The first connection is logged in as the same user: its document changes without a new login.
    for (let i = 0; i < 250 && !ddp.collection('users').fetch()[0]?.emails[0]?.verified; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(ddp.collection('users').fetch()[0]).toMatchObject({ emails: [{ address: email, verified: true }] });
  });

  it('forgotPassword mails a reset link; resetPassword over DDP logs in and ends the other logins', async () => {
    const email = `bo-${dialect}@example.com`;
    const first = await connect();
    const created = await first.call('createUser', {
      username: `bo-${dialect}`,
      email,
      password: digestOf('bo first'),
    });
    await mailTo(email); // the verification mail
    smtp.inbox.length = 0;
    const anonymous = await connect();
    await anonymous.call('forgotPassword', { email: email.toUpperCase() });
    // An unknown address: Meteor's 403 "User not found", ambiguous by default — and no mail.
    await expect(anonymous.call('forgotPassword', { email: `nobody-${dialect}@example.com` })).rejects.toMatchObject({
      error: 403,
      reason: 'Something went wrong. Please check your credentials.',
    });
    const mail = await mailTo(email);
    expect(mail.subject).toBe('Reset your password for Flows');
    expect(smtp.inbox.filter((m) => m.to === `nobody-${dialect}@example.com`)).toEqual([]);

    const reset = await anonymous.call('resetPassword', mail.token, digestOf('bo second'));
    expect(reset.id).toBe(created.id);
    // The resume token from createUser no longer logs in; the new password does, over DDP and over HTTP.
    const stale = await connect();
    await expect(stale.login({ resume: created.token })).rejects.toMatchObject({ error: 403 });
    const fresh = await connect();
    expect((await fresh.login({ user: { username: `bo-${dialect}` }, password: digestOf('bo second') })).id).toBe(
      created.id,
    );
    const http = await fetch(`${served.url}/api/client/v2.0/app/${served.appId}/auth/providers/local-userpass/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `bo-${dialect}`, password: 'bo second' }),
    });
    expect(http.status).toBe(200);
  });
});
