import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { generateEncryptionKey } from '@gatehouse-auth/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ServedGatehouse, serveGatehouse } from './serve.js';
import { type SmtpCapture, startSmtpCapture } from './smtp-capture.js';

const require = createRequire(import.meta.url);
const SimpleDDP = require('simpleddp');
const { simpleDDPLogin } = require('simpleddp-plugin-login');

/** RFC 6238 (HMAC-SHA-1, 30 s, 6 digits) with node:crypto: independent of the server's TOTP library. */
function totp(secret: string, timeMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(
    Array.from({ length: Math.floor(bits.length / 8) }, (_, i) => Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2)),
  );
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[19] as number) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * Meteor's accounts-passwordless and accounts-2fa as a Meteor client speaks them — a real npm DDP client
 * (simpleddp) against `gatehouse serve`, with the codes read from mail delivered over real SMTP.
 */
describe.each(['sqlite', 'postgres'] as const)('Meteor passwordless and 2FA over DDP (%s)', (dialect) => {
  let served: ServedGatehouse;
  let smtp: SmtpCapture;
  const clients: { disconnect(): Promise<void> }[] = [];

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    served = await serveGatehouse(
      dialect,
      { name: 'Codes', accounts: { passwordless: true }, providers: { 'local-userpass': { confirmation: 'email' } } },
      {
        email: { transport: 'smtp', url: smtp.url, from: 'Codes <no-reply@example.com>' },
        encryptionKeys: [generateEncryptionKey('k1')],
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
      { endpoint: `${served.url.replace('http', 'ws')}/websocket`, SocketConstructor: WebSocket, autoReconnect: false },
      [simpleDDPLogin],
    );
    await client.connect();
    clients.push(client);
    return client;
  };

  async function codeMailedTo(to: string, n: number): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const mail = smtp.inbox.filter((m) => m.to === to)[n - 1];
      const code = mail && /loginToken=3D([0-9A-F]+)|loginToken=([0-9A-F]+)/.exec(mail.raw.replace(/=\r?\n/g, ''));
      if (code) return (code[1] ?? code[2]) as string;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail ${n} to ${to}`);
  }

  it('requestLoginTokenForUser, then login({ selector, token }); with 2FA on, login needs the code too', async () => {
    const email = `ada-${dialect}@example.com`;
    const ddp = await connect();
    const requested = await ddp.call('requestLoginTokenForUser', { selector: { email }, userData: { email } });
    expect(requested).toEqual({ selector: { email }, userData: { email }, isNewUser: true });
    const login = await ddp.login({ selector: { email }, token: await codeMailedTo(email, 1) });
    expect(login).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{24}$/), token: expect.any(String) });
    for (let i = 0; i < 250 && ddp.collection('users').fetch().length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(ddp.collection('users').fetch()[0]).toMatchObject({ emails: [{ address: email, verified: true }] });

    const { secret } = await ddp.call('generate2faActivationQrCode', 'Codes');
    await ddp.call('enableUser2fa', totp(secret, Date.now()));
    expect(await ddp.call('has2faEnabled')).toBe(true);

    const next = await connect();
    await next.call('requestLoginTokenForUser', { selector: { email } });
    const token = await codeMailedTo(email, 2);
    await expect(next.login({ selector: { email }, token })).rejects.toMatchObject({ error: 'no-2fa-code' });
    // The next step's code: accepted (one step either side) and later than the step that enabled it.
    const again = await next.login({ selector: { email }, token, code: totp(secret, Date.now() + 30_000) });
    expect(again.id).toBe(login.id);
  });
});
