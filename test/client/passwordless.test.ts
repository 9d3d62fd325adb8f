import { createHmac } from 'node:crypto';
import { App, Credentials, createAccounts, memoryStorage, ServerError } from '@gatehouse-auth/client';
import {
  disableUser2fa,
  emailCodeCredentials,
  enableUser2fa,
  generate2faActivationQrCode,
  twoFactorCredentials,
  twoFactorStatus,
  withPasswordless,
} from '@gatehouse-auth/client/passwordless';
import { generateEncryptionKey } from '@gatehouse-auth/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveGatehouse, startGatehouse } from './harness.js';

/**
 * The SDK's passwordless and two-factor names against a real Gatehouse on loopback, on SQLite and PostgreSQL:
 * `withPasswordless(createAccounts(app))`'s Meteor names (`requestLoginTokenForUser`,
 * `passwordlessLoginWithToken`, `passwordlessLoginWithTokenAnd2faCode`) and the `email-code` / `two-factor`
 * credentials. TOTP codes
 * come from RFC 6238 computed here with node:crypto.
 */

const APP = 'passwordless-app';

function totp(secret: string, timeMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(
    Array.from({ length: Math.floor(bits.length / 8) }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)),
  );
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[19] as number) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

describe.each(['sqlite', 'postgres'] as const)('passwordless and two-factor in the SDK (%s)', (dialect) => {
  let server: LiveGatehouse;
  let offset = 0;
  beforeAll(async () => {
    server = await startGatehouse(
      dialect,
      {
        [APP]: {
          name: 'Codes',
          accounts: { passwordless: true },
          providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
        },
      },
      { encryptionKeys: [generateEncryptionKey('k1')] },
    );
    server.setClockOffset(0);
  });
  afterAll(() => server?.close());

  const newApp = () => new App({ id: APP, baseUrl: server.url, storage: memoryStorage() });
  async function mailedCode(to: string, count = 1): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const mails = server.gatehouse.outbox?.list().filter((m) => m.to === to) ?? [];
      const match = mails.length >= count ? /loginToken=([0-9A-F]+)/.exec(mails[0]?.text ?? '') : null;
      if (match) return match[1] as string;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no mail to ${to}`);
  }

  it('requestLoginTokenForUser and passwordlessLoginWithToken log a new user in by the mailed code', async () => {
    const accounts = withPasswordless(createAccounts(newApp()));
    await accounts.requestLoginTokenForUser({
      selector: 'sdk-ada@example.com',
      userData: { email: 'sdk-ada@example.com', profile: { name: 'Ada' } },
    });
    const code = await mailedCode('sdk-ada@example.com');
    await accounts.passwordlessLoginWithToken({ email: 'sdk-ada@example.com' }, code);
    expect(accounts.userId()).toMatch(/^[0-9a-f]{24}$/);
    expect(accounts.user()?.emails).toEqual([{ address: 'sdk-ada@example.com', verified: true }]);
    expect(accounts.app.currentUser?.providerType).toBe('email-code');
    await expect(accounts.passwordlessLoginWithToken('sdk-ada@example.com', code)).rejects.toMatchObject({
      code: 'LoginTokenInvalid',
    });
    expect(() => accounts.passwordlessLoginWithToken('ada', code)).toThrow(TypeError);
    await expect(
      accounts.requestLoginTokenForUser({ selector: 'nobody@example.com', options: { userCreationDisabled: true } }),
    ).rejects.toMatchObject({ code: 'UserNotFound' });
  });

  it('an anonymous user links an email code and keeps its id', async () => {
    const app = newApp();
    const anon = await app.logIn(Credentials.anonymous());
    await withPasswordless(createAccounts(app)).requestLoginTokenForUser({
      selector: { email: 'sdk-anon@example.com' },
    });
    await anon.linkCredentials(emailCodeCredentials('sdk-anon@example.com', await mailedCode('sdk-anon@example.com')));
    await anon.refreshProfile();
    expect(anon.identities.map((i) => i.providerType).sort()).toEqual(['anon-user', 'email-code']);
    expect(app.currentUser?.id).toBe(anon.id);
  });

  it('a user with two-factor on: the error carries a challenge, and the code finishes the login', async () => {
    const app = newApp();
    await app.emailPasswordAuth.registerUser({ email: 'sdk-tf@example.com', password: 'correct horse battery' });
    const user = await app.logIn(Credentials.emailPassword('sdk-tf@example.com', 'correct horse battery'));
    const { secret } = await (
      await fetch(`${server.url}/api/client/v2.0/auth/two-factor/activation`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json();
    const enabled = await fetch(`${server.url}/api/client/v2.0/auth/two-factor/enable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: totp(secret, Date.now() + offset) }),
    });
    expect(enabled.status).toBe(200);
    await user.logOut();

    const error = await app
      .logIn(Credentials.emailPassword('sdk-tf@example.com', 'correct horse battery'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'TwoFactorRequired', challenge: expect.any(String) });
    offset += 60_000;
    server.advance(60_000);
    const second = await app.logIn(
      twoFactorCredentials((error as ServerError).challenge as string, totp(secret, Date.now() + offset)),
    );
    expect(second.id).toBe(user.id);

    // Passwordless with the second factor, by Meteor's name.
    const accounts = withPasswordless(createAccounts(app));
    await accounts.logout();
    await accounts.requestLoginTokenForUser({ selector: 'sdk-tf@example.com' });
    const code = await mailedCode('sdk-tf@example.com');
    offset += 60_000;
    server.advance(60_000);
    await accounts.passwordlessLoginWithTokenAnd2faCode('sdk-tf@example.com', code, totp(secret, Date.now() + offset));
    expect(accounts.userId()).toBe(user.id);
  });

  it("the signed-in user's own calls: status, activation, a wrong then a right first code, recovery codes, off", async () => {
    const app = newApp();
    await app.emailPasswordAuth.registerUser({ email: 'sdk-own@example.com', password: 'correct horse battery' });
    const user = await app.logIn(Credentials.emailPassword('sdk-own@example.com', 'correct horse battery'));
    expect(await twoFactorStatus(user)).toEqual({ enabled: false, recoveryCodesLeft: 0 });
    const activation = await generate2faActivationQrCode(user, 'Codes test');
    expect(activation.svg).toMatch(/^<svg/);
    expect(activation.uri).toContain('issuer=Codes%20test');
    const right = totp(activation.secret, Date.now() + offset);
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    await expect(enableUser2fa(user, wrong)).rejects.toMatchObject({ code: 'TwoFactorInvalid', status: 401 });
    expect((await twoFactorStatus(user)).enabled).toBe(false);
    const { recoveryCodes } = await enableUser2fa(user, right);
    expect(recoveryCodes).toHaveLength(10);
    expect(await twoFactorStatus(user)).toEqual({ enabled: true, recoveryCodesLeft: 10 });
    await expect(generate2faActivationQrCode(user)).rejects.toMatchObject({ code: 'TwoFactorEnabled' });
    await disableUser2fa(user);
    expect(await twoFactorStatus(user)).toEqual({ enabled: false, recoveryCodesLeft: 0 });

    // The same by Meteor's accounts-2fa names on the facade.
    const accounts = withPasswordless(createAccounts(app));
    expect(await accounts.has2faEnabled()).toBe(false);
    const { secret } = await accounts.generate2faActivationQrCode();
    offset += 60_000;
    server.advance(60_000);
    expect((await accounts.enableUser2fa(totp(secret, Date.now() + offset))).recoveryCodes).toHaveLength(10);
    expect(await accounts.has2faEnabled()).toBe(true);
    await accounts.disableUser2fa();
    expect(await accounts.has2faEnabled()).toBe(false);
    await accounts.logout();
    await expect(accounts.has2faEnabled()).rejects.toThrow('nobody is signed in');
  });
});
