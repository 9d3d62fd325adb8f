import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedGatehouse, serveGatehouse } from './serve.js';
import { type SmtpCapture, startSmtpCapture } from './smtp-capture.js';

/**
 * The email/password account flows with an unmodified realm-web 2.0.1 against `gatehouse serve`: register,
 * confirm from the link that arrives over real SMTP, log in and out, reset the password from the mailed link.
 */
describe.each(['sqlite', 'postgres'] as const)('realm-web account flows over SMTP (%s)', (dialect) => {
  let served: ServedGatehouse;
  let smtp: SmtpCapture;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    served = await serveGatehouse(
      dialect,
      { name: 'Flows', providers: { 'local-userpass': { confirmation: 'email' } } },
      { email: { transport: 'smtp', url: smtp.url, from: 'Flows <no-reply@example.com>' } },
    );
  });
  afterAll(async () => {
    await served?.stop();
    await smtp?.close();
  });

  /** token and tokenId from the newest mail to `to` (quoted-printable soft breaks undone). */
  async function mailedToken(to: string): Promise<{ token: string; tokenId: string }> {
    for (let i = 0; i < 200; i++) {
      const mail = smtp.inbox.filter((m) => m.to === to).at(-1);
      if (mail) {
        const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
        const match = /token=([\w-]+)&(?:amp;)?tokenId=([0-9a-f]{24})/.exec(text);
        if (match) return { token: match[1]!, tokenId: match[2]! };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail to ${to}`);
  }

  it('register → confirm by mailed link → log in → log out → reset by mailed link', async () => {
    const app = new Realm.App({ id: served.appId, baseUrl: served.url });
    const email = `flow-${dialect}-${Date.now()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: 'first passphrase' });
    await expect(app.logIn(Realm.Credentials.emailPassword(email, 'first passphrase'))).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'AuthError',
    });

    await app.emailPasswordAuth.confirmUser(await mailedToken(email));
    const user = await app.logIn(Realm.Credentials.emailPassword(email, 'first passphrase'));
    expect(user.profile.email).toBe(email);
    await user.logOut();
    expect(user.state).toBe('logged-out');

    smtp.inbox.length = 0;
    await app.emailPasswordAuth.sendResetPasswordEmail({ email });
    await app.emailPasswordAuth.resetPassword({ ...(await mailedToken(email)), password: 'second passphrase' });
    await expect(app.logIn(Realm.Credentials.emailPassword(email, 'first passphrase'))).rejects.toMatchObject({
      errorCode: 'InvalidPassword',
    });
    const again = await app.logIn(Realm.Credentials.emailPassword(email, 'second passphrase'));
    expect(again.id).toBe(user.id);

    // A reused link is refused with App Services' error.
    await expect(
      app.emailPasswordAuth.confirmUser({ token: 'x', tokenId: '0123456789abcdef01234567' }),
    ).rejects.toMatchObject({
      errorCode: 'UserpassTokenInvalid',
    });
    await app.removeUser(again);
  }, 60_000);
});
