import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeServer, serveNode } from '../node/serve.js';
import { startTestGatehouse, type TestGatehouse, tokenFromLink } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';

/**
 * Every route and DDP method that checks a password, a link token or sends account mail goes through the same
 * failed-attempt limits (accounts/limits.ts): each one is refused once the client's address is over its limit,
 * and each one's failures count towards it. A new front that forgets the limits fails here.
 */

const API = '/api/client/v2.0';
const PASSWORD = 'correct horse battery';
const LIMIT = 2;

describe.each(['sqlite', 'postgres'] as const)('one set of limits for every secret (%s)', (dialect) => {
  let t: TestGatehouse;
  let server: NodeServer;
  let wsUrl: string;
  let addressNo = 0;
  /** A fresh client address (through the trusted proxy) for each check. */
  const nextAddress = () => `198.51.100.${++addressNo}`;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      app: {
        name: 'Limits',
        providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
      },
      config: {
        trustProxy: true,
        rateLimits: {
          failedLoginsPerAddress: LIMIT,
          failedLoginsPerAccountAndAddress: 100,
          failedLoginsPerAccount: 1000,
        },
        apps: {
          'test-app-abcde': {
            name: 'Limits',
            accounts: { passwordless: true },
            providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
          },
          'fn-app': {
            providers: { 'local-userpass': { confirmation: 'auto', reset: 'function', resetFunction: 'reset' } },
          },
        },
        functions: { reset: async () => ({ status: 'pending' }) },
      } as never,
    });
    server = await serveNode(t.gatehouse, { port: 0 });
    wsUrl = `${server.url.replace('http', 'ws')}/websocket`;
    for (const app of [t.appId, 'fn-app'])
      await t.request('POST', `${API}/app/${app}/auth/providers/local-userpass/register`, {
        body: { email: 'ann@example.com', username: 'ann', password: PASSWORD },
      });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  const http = (address: string, method: string, path: string, body?: unknown, token?: string) =>
    t.request(method, path, {
      body,
      address: '10.0.0.1',
      headers: { 'x-forwarded-for': address },
      ...(token ? { token } : {}),
    });
  const userpass = (address: string, path: string, body: unknown, app = t.appId) =>
    http(address, 'POST', `${API}/app/${app}/auth/providers/local-userpass${path}`, body);
  const ddp = async (address: string, method: string, ...params: unknown[]) => {
    const c = await RawDdp.open(wsUrl, true, { 'x-forwarded-for': address });
    try {
      const reply = await c.call(method, ...params);
      return reply.error
        ? { limited: reply.error.error === 'too-many-requests', ok: false }
        : { limited: false, ok: true };
    } finally {
      c.close();
    }
  };
  const outcome = async (res: Promise<{ status: number }>) => {
    const { status } = await res;
    return { limited: status === 429, ok: status < 400 };
  };
  const freshLink = async (kind: 'reset' | 'confirm') => {
    // An hour on, so the address's hourly share of mail is free again.
    t.advance(61 * 60_000);
    t.gatehouse.outbox?.clear();
    const accounts = t.gatehouse.accounts(t.appId);
    if (kind === 'reset') await accounts.sendResetPasswordEmail((await user()).id);
    else {
      await accounts.addEmail((await user()).id, 'ann@example.com', false);
      await accounts.sendVerificationEmail((await user()).id);
    }
    return tokenFromLink((await t.mailLinks('ann@example.com'))[0]!);
  };
  /** A passwordless login code mailed to Ann now (an hour on, so her hourly share of mail is free). */
  const freshCode = async () => {
    t.advance(61 * 60_000);
    t.gatehouse.outbox?.clear();
    await t.gatehouse.accounts(t.appId).sendLoginTokenEmail((await user()).id, 'ann@example.com');
    // Other mails (sent in the background by earlier checks) may arrive too: take the one with the code.
    for (let i = 0; i < 200; i++) {
      const mail = t.gatehouse.outbox?.list().find((m) => m.to === 'ann@example.com' && m.text.includes('loginToken'));
      const code = /loginToken=([0-9A-F]+)/.exec(mail?.text ?? '')?.[1];
      if (code) return code;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no login code mailed');
  };
  const user = async () => (await t.gatehouse.storage.findUserByEmail(t.appId, 'ann@example.com'))!;
  const session = async () =>
    (await userpass('192.0.2.201', '/login', { username: 'ann', password: PASSWORD })).json as Record<string, string>;
  const badToken = { token: 'x'.repeat(43), tokenId: '0123456789abcdef01234567' };

  type Outcome = { limited: boolean; ok: boolean };
  /**
   * Each way in: a call with a wrong secret (a failure), or with the right one (refused only when limited).
   * `overLimit` puts the address over its limit; a front calls it once its own set-up (a login on the
   * connection) is done, else the harness calls it first.
   */
  type Front = (address: string, right: boolean, overLimit?: () => Promise<void>) => Promise<Outcome>;
  const fronts: Record<string, Front> = {
    'HTTP login': (a, right) =>
      outcome(userpass(a, '/login', { username: 'ann', password: right ? PASSWORD : 'wrong one!' })),
    'HTTP link email/password': async (a, right) => {
      const anon = await http('192.0.2.202', 'POST', `${API}/app/${t.appId}/auth/providers/anon-user/login`, {});
      return outcome(
        http(
          a,
          'POST',
          `${API}/app/${t.appId}/auth/providers/local-userpass/login?link=true`,
          {
            username: 'ann',
            password: right ? PASSWORD : 'wrong one!',
          },
          anon.json.access_token,
        ),
      );
    },
    'HTTP change password': async (a, right) => {
      const { access_token } = await session();
      return outcome(
        http(
          a,
          'POST',
          `${API}/auth/password`,
          {
            currentPassword: right ? PASSWORD : 'wrong one!',
            newPassword: PASSWORD,
          },
          access_token,
        ),
      );
    },
    'HTTP reset/call': (a, right) =>
      outcome(
        userpass(
          a,
          '/reset/call',
          { email: right ? 'ann@example.com' : 'ghost@example.com', password: 'a new passphrase' },
          'fn-app',
        ),
      ),
    'HTTP reset with a link token': async (a, right, overLimit) => {
      const link = right ? await freshLink('reset') : badToken;
      await overLimit?.();
      return outcome(userpass(a, '/reset', { ...link, password: PASSWORD }));
    },
    'HTTP confirm with a link token': async (a, right, overLimit) => {
      const link = right ? await freshLink('confirm') : badToken;
      await overLimit?.();
      return outcome(userpass(a, '/confirm', link));
    },
    'HTTP resend confirmation': (a) => outcome(userpass(a, '/confirm/send', { email: 'ann@example.com' })),
    'HTTP send reset mail': (a) => outcome(userpass(a, '/reset/send', { email: 'ann@example.com' })),
    'HTTP email-code login': async (a, right, overLimit) => {
      const code = right ? await freshCode() : 'ABCDEF';
      await overLimit?.();
      return outcome(
        http(a, 'POST', `${API}/app/${t.appId}/auth/providers/email-code/login`, { email: 'ann@example.com', code }),
      );
    },
    'DDP passwordless login': async (a, right, overLimit) => {
      const token = right ? await freshCode() : 'ABCDEF';
      await overLimit?.();
      return ddp(a, 'login', { selector: { email: 'ann@example.com' }, token });
    },
    'DDP login': (a, right) =>
      ddp(a, 'login', { user: { username: 'ann' }, password: right ? PASSWORD : 'wrong one!' }),
    'DDP changePassword': async (a, right, overLimit) => {
      const c = await RawDdp.open(wsUrl, true, { 'x-forwarded-for': a });
      try {
        const login = await c.call('login', { user: { username: 'ann' }, password: PASSWORD });
        expect(login.error).toBeUndefined();
        await overLimit?.();
        const reply = await c.call('changePassword', right ? PASSWORD : 'wrong one!', PASSWORD);
        return reply.error
          ? { limited: reply.error.error === 'too-many-requests', ok: false }
          : { limited: false, ok: true };
      } finally {
        c.close();
      }
    },
    'DDP resetPassword': async (a, right, overLimit) => {
      const link = right ? await freshLink('reset') : badToken;
      await overLimit?.();
      return ddp(a, 'resetPassword', `${link.tokenId}.${link.token}`, PASSWORD);
    },
    'DDP verifyEmail': async (a, right, overLimit) => {
      const link = right ? await freshLink('confirm') : badToken;
      await overLimit?.();
      return ddp(a, 'verifyEmail', `${link.tokenId}.${link.token}`);
    },
    'DDP forgotPassword': (a) => ddp(a, 'forgotPassword', { email: 'ann@example.com' }),
  };

  for (const [name, attempt] of Object.entries(fronts)) {
    it(`${name}: refused once the address is over its limit`, async () => {
      const address = nextAddress();
      const overLimit = async () => {
        for (let i = 0; i < LIMIT; i++)
          await userpass(address, '/login', { username: 'nobody', password: 'wrong one!' });
      };
      const takesOverLimit = attempt.length >= 3;
      if (!takesOverLimit) await overLimit();
      expect(await attempt(address, true, takesOverLimit ? overLimit : undefined)).toMatchObject({
        limited: true,
        ok: false,
      });
    });

    it(`${name}: its failures count towards the address's limit`, async () => {
      const address = nextAddress();
      for (let i = 0; i < LIMIT; i++) await attempt(address, false);
      const login = await userpass(address, '/login', { username: 'ann', password: PASSWORD });
      expect(login.status).toBe(429);
    });
  }
});
