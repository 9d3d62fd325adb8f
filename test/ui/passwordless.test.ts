import { createHmac } from 'node:crypto';
import { App, memoryStorage } from '@gatehouse-auth/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadLanguage, type Translate, translator } from '../../packages/ui/src/i18n/index.js';
import { passwordlessMessages } from '../../packages/ui/src/i18n/passwordless.js';
import { uniqueEmail } from '../client/harness.js';
import { axeViolations, CODE_APP, PASSWORD, regionText, settle, startUiWorld, type UiWorld } from './harness.js';

/**
 * The passwordless and two-factor screens of @gatehouse-auth/ui in real Chromium against a real Gatehouse, in
 * English and in Arabic (right to left): sign-in by a mailed code (read from the outbox), turning two-factor on
 * from <gatehouse-two-factor> (the QR code an image, the first code computed here), and the TOTP step after a
 * password or a code — with a wrong code, a recovery code and an RFC 6238 code computed here with node:crypto.
 * axe-core finds nothing on each new screen.
 */

/** RFC 6238 (SHA-1, 6 digits, 30 s) from the base32 secret: an implementation independent of the server's. */
function totp(secret: string, timeMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(
    Array.from({ length: Math.floor(bits.length / 8) }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)),
  );
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[19] as number) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

describe.each(['en', 'ar'] as const)('passwordless and two-factor screens in Chromium (%s)', (lang) => {
  let world: UiWorld;
  let t: Translate;
  let page: Page;
  /** The server's clock, ahead of the real one by this much (to reach the next TOTP steps without waiting). */
  let ahead = 0;

  beforeAll(async () => {
    world = await startUiWorld();
    await loadLanguage(lang);
    const own = passwordlessMessages as Record<string, Record<string, string>>;
    t = translator(lang, '', { ...own.en, ...own[lang] });
  });
  // Each test on a fresh page, with storage of its own: nobody signed in.
  beforeEach(async () => {
    page = await world.newPage();
  });
  afterAll(() => world?.close());

  const open = (body: string) => world.open(page, `<main>${body}</main>`, { lang, app: CODE_APP });
  const alert = (selector: string) => regionText(page, selector, 'alert');
  const status = (selector: string) => regionText(page, selector, 'status');
  const audit = async (what: string) => {
    await settle(page);
    expect(await axeViolations(page), `axe on ${what}`).toEqual([]);
  };
  async function mailedCode(to: string, count: number): Promise<string> {
    await expect
      .poll(() => world.gatehouse.gatehouse.outbox?.list().filter((m) => m.to === to).length ?? 0)
      .toBeGreaterThanOrEqual(count);
    // The outbox lists the newest mail first.
    const mail = world.gatehouse.gatehouse.outbox?.list().find((m) => m.to === to);
    const match = /loginToken=([0-9A-F]+)/.exec(mail?.text ?? '');
    if (!match) throw new Error(`no code in the mail to ${to}`);
    return match[1] as string;
  }

  it('signs in by a mailed code: address, code entry with resend, a wrong code in words, then the right one', async () => {
    await open('<gatehouse-sign-in></gatehouse-sign-in>');
    const signIn = page.locator('gatehouse-sign-in');
    const email = uniqueEmail(`ui-code-${lang}`);
    await signIn.getByLabel(t('email'), { exact: true }).fill(email);
    await signIn.getByRole('button', { name: t('signInWithCode') }).click();

    // The address typed into the password form carries over.
    const form = page.locator('gatehouse-email-code');
    await expect.poll(() => form.getByLabel(t('email'), { exact: true }).inputValue()).toBe(email);
    expect(await form.locator('[part~=intro]').textContent()).toBe(t('codeIntro'));
    expect(
      await page.evaluate(
        () =>
          document
            .querySelector('gatehouse-sign-in')
            ?.shadowRoot?.querySelector('gatehouse-email-code')
            ?.shadowRoot?.querySelector('.root')
            ?.getAttribute('dir') ?? null,
      ),
    ).toBe(lang === 'ar' ? 'rtl' : 'ltr');
    await audit('the code sign-in, address step');
    await form.getByRole('button', { name: t('sendCode') }).click();

    const code = form.getByLabel(t('emailCode'), { exact: true });
    await expect.poll(() => code.count()).toBe(1);
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await code.getAttribute('inputmode')).toBe('text');
    expect(await form.locator('[part~=intro]').textContent()).toBe(t('codeSent', { email }));
    expect(await focusedName()).toBe('code');
    const first = await mailedCode(email, 1);
    await audit('the code sign-in, code step');

    // A new code voids the first one.
    await form.getByRole('button', { name: t('resendCode') }).click();
    await expect.poll(() => status('gatehouse-email-code')).toBe(t('newCodeSent'));
    const second = await mailedCode(email, 2);
    expect(second).not.toBe(first);
    await code.fill(first);
    await code.press('Enter');
    await expect.poll(() => alert('gatehouse-email-code')).toBe(t('error.LoginTokenInvalid'));

    // Typed in lower case, with a space: still the code.
    await code.fill(`${second.slice(0, 3).toLowerCase()} ${second.slice(3).toLowerCase()}`);
    await code.press('Enter');
    await expect.poll(() => signIn.locator('[part~=signed-in]').count()).toBe(1);
    expect(await signIn.locator('[part~=signed-in]').textContent()).toBe(t('signedInAs', { name: email }));
    const users = world.gatehouse.gatehouse.outbox?.list().filter((m) => m.to === email).length;
    expect(users).toBe(2);
  });

  it('<gatehouse-login-buttons>: the code sign-in inside the panel, and back to the password form', async () => {
    await open('<header><gatehouse-login-buttons></gatehouse-login-buttons></header>');
    const buttons = page.locator('gatehouse-login-buttons');
    await buttons.locator('[part~=toggle]').click();
    await buttons.getByRole('button', { name: t('signInWithCode') }).click();
    const form = page.locator('gatehouse-email-code');
    await expect.poll(() => form.count()).toBe(1);
    // "Back to sign in" returns to the password form, inside the panel.
    await form.getByRole('button', { name: t('backToSignIn') }).click();
    await expect.poll(() => buttons.getByLabel(t('password'), { exact: true }).count()).toBe(1);
    await buttons.getByRole('button', { name: t('signInWithCode') }).click();

    const email = uniqueEmail(`ui-buttons-${lang}`);
    await form.getByLabel(t('email'), { exact: true }).fill(email);
    await form.getByLabel(t('email'), { exact: true }).press('Enter');
    const code = form.getByLabel(t('emailCode'), { exact: true });
    await expect.poll(() => code.count()).toBe(1);
    await audit('the code entry in the login buttons');
    await code.fill(await mailedCode(email, 1));
    await code.press('Enter');
    // Signed in: the panel closes and the toggle names the user.
    await expect.poll(() => buttons.locator('[part~=toggle]').textContent()).toContain(email);
    expect(await buttons.locator('[part~=toggle]').getAttribute('aria-expanded')).toBe('false');
  });

  it('turns two-factor on from <gatehouse-two-factor>, then asks for the TOTP step after a password or a code', async () => {
    const email = uniqueEmail(`ui-totp-${lang}`);
    await new App({
      id: CODE_APP,
      baseUrl: world.gatehouse.url,
      storage: memoryStorage(),
    }).emailPasswordAuth.registerUser({
      email,
      password: PASSWORD,
    });
    await open(
      '<gatehouse-sign-in></gatehouse-sign-in><gatehouse-two-factor app-name="Gatehouse UI"></gatehouse-two-factor>',
    );
    const signIn = page.locator('gatehouse-sign-in');
    const settings = page.locator('gatehouse-two-factor');
    expect(await settings.locator('[part~=intro]').textContent()).toBe(t('twoFactorSignIn'));
    const passwordSignIn = async () => {
      await signIn.getByLabel(t('email'), { exact: true }).fill(email);
      await signIn.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
      await signIn.getByLabel(t('password'), { exact: true }).press('Enter');
    };
    await passwordSignIn();
    await expect.poll(() => settings.locator('[part~=state]').textContent()).toBe(t('twoFactorOff'));

    // The QR code is an image of the server's SVG, never markup in the page.
    await settings.getByRole('button', { name: t('turnOn') }).click();
    const qr = settings.getByRole('img', { name: t('qrAlt') });
    await expect.poll(() => qr.count()).toBe(1);
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(
      await page.evaluate(() => document.querySelector('gatehouse-two-factor')?.shadowRoot?.querySelector('svg')),
    ).toBe(null);
    await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const secret = (await settings.locator('[part~=secret] code').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await audit('turning two-factor on');

    const first = settings.getByLabel(t('totpCode'), { exact: true });
    expect(await first.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await first.getAttribute('inputmode')).toBe('numeric');
    const now = () => Date.now() + ahead;
    const wrong = String((Number(totp(secret, now())) + 1) % 1_000_000).padStart(6, '0');
    await first.fill(wrong);
    await first.press('Enter');
    await expect.poll(() => alert('gatehouse-two-factor')).toBe(t('error.enableCode'));
    await first.fill(totp(secret, now()));
    await first.press('Enter');
    const codes = settings.locator('[part~=recovery-codes] li');
    await expect.poll(() => codes.count()).toBe(10);
    const recovery = ((await codes.allTextContents()) as string[]).map((c) => c.trim());
    for (const c of recovery) expect(c).toMatch(/^[0-9a-f]{5}-[0-9a-f]{5}$/);
    await audit('the recovery codes');
    await settings.getByRole('button', { name: t('done') }).click();
    await expect.poll(() => settings.locator('[part~=state]').textContent()).toBe(t('twoFactorOn', { count: 10 }));

    // A password sign-in now asks for the second factor; a wrong code spends the challenge.
    await signIn.getByRole('button', { name: t('signOut') }).click();
    await passwordSignIn();
    const step = page.locator('gatehouse-two-factor-step');
    const totpInput = step.getByLabel(t('totpCode'), { exact: true });
    await expect.poll(() => totpInput.count()).toBe(1);
    expect(await totpInput.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await step.locator('[part~=intro]').textContent()).toBe(t('totpIntro'));
    await audit('the TOTP step');
    await totpInput.fill('000000' === totp(secret, now()) ? '111111' : '000000');
    await totpInput.press('Enter');
    await expect.poll(() => alert('gatehouse-two-factor-step')).toBe(t('error.TwoFactorInvalid'));
    expect(await totpInput.count()).toBe(0);
    await step.getByRole('button', { name: t('backToSignIn') }).click();

    // Again, with a recovery code.
    await passwordSignIn();
    await step.getByRole('button', { name: t('useRecoveryCode') }).click();
    const recoveryInput = step.getByLabel(t('recoveryCode'), { exact: true });
    await expect.poll(() => recoveryInput.count()).toBe(1);
    expect(await step.locator('[part~=intro]').textContent()).toBe(t('recoveryIntro'));
    await audit('the recovery code step');
    await recoveryInput.fill(recovery[0] as string);
    await recoveryInput.press('Enter');
    await expect.poll(() => signIn.locator('[part~=signed-in]').count()).toBe(1);
    await expect.poll(() => settings.locator('[part~=state]').textContent()).toBe(t('twoFactorOn', { count: 9 }));

    // A mailed code, then the authenticator's code of a later time step (the server's clock moved on: a code
    // of the step that turned two-factor on would be a replay).
    await signIn.getByRole('button', { name: t('signOut') }).click();
    await signIn.getByLabel(t('email'), { exact: true }).fill(email);
    await signIn.getByRole('button', { name: t('signInWithCode') }).click();
    const form = page.locator('gatehouse-email-code');
    await form.getByRole('button', { name: t('sendCode') }).click();
    const code = form.getByLabel(t('emailCode'), { exact: true });
    await expect.poll(() => code.count()).toBe(1);
    await code.fill(await mailedCode(email, 1));
    await code.press('Enter');
    await expect.poll(() => totpInput.count()).toBe(1);
    ahead += 90_000;
    world.gatehouse.setClockOffset(ahead);
    await totpInput.fill(totp(secret, now()));
    await totpInput.press('Enter');
    await expect.poll(() => signIn.locator('[part~=signed-in]').count()).toBe(1);

    // And off.
    await settings.getByRole('button', { name: t('turnOff') }).click();
    await expect.poll(() => status('gatehouse-two-factor')).toBe(t('twoFactorTurnedOff'));
    expect(await settings.locator('[part~=state]').textContent()).toBe(t('twoFactorOff'));
    await audit('two-factor off');
  });

  const focusedName = () =>
    page.evaluate(() => {
      let element = document.activeElement;
      while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
      return element?.getAttribute('name') ?? null;
    });
});
