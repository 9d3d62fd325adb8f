import { App, Credentials, memoryStorage } from '@gatehouse-auth/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguage, type Translate, translator } from '../../packages/ui/src/i18n/index.js';
import { uniqueEmail } from '../client/harness.js';
import { AUTO_APP, EMAIL_APP, PASSWORD, regionText, settle, startUiWorld, type UiWorld } from './harness.js';

/**
 * Every flow of every @gatehouse-auth/ui element in real Chromium against a real Gatehouse, in English and in
 * Arabic (right to left): what a person sees and does — labels, messages in the page's language, errors from
 * the server's codes in words, what stays typed after a failure.
 */

describe.each(['en', 'ar'] as const)('@gatehouse-auth/ui flows in Chromium (%s)', (lang) => {
  let world: UiWorld;
  let t: Translate;
  let page: Page;

  beforeAll(async () => {
    world = await startUiWorld();
    await loadLanguage(lang);
    t = translator(lang);
  });
  afterAll(() => world?.close());

  const open = async (body: string, app = EMAIL_APP) => {
    page ??= await world.newPage();
    await world.open(page, `<main>${body}</main>`, { lang, app });
  };
  const alert = (selector: string) => regionText(page, selector, 'alert');
  const status = (selector: string) => regionText(page, selector, 'status');
  const signedInUser = () =>
    page.evaluate(() => {
      const el = document.querySelector(
        'gatehouse-sign-in, gatehouse-guest, gatehouse-login-buttons, gatehouse-sessions',
      ) as any;
      const user = el?.boundApp?.currentUser;
      return user
        ? {
            id: user.id as string,
            email: user.profile.email as string,
            identities: user.identities.map((i: any) => i.providerType),
          }
        : null;
    });

  it('sign-up shows the rules before submit, checks fields in words, then sends the confirmation mail', async () => {
    await open('<gatehouse-sign-up></gatehouse-sign-up>');
    const form = page.locator('gatehouse-sign-up');
    await expect.poll(() => form.locator('[part~=rules]').textContent()).toContain(t('ruleMin', { min: 8 }));
    expect(await form.locator('[part~=title]').textContent()).toBe(t('signUpTitle'));
    expect(
      await page.evaluate(() =>
        document.querySelector('gatehouse-sign-up')!.shadowRoot!.querySelector('.root')!.getAttribute('dir'),
      ),
    ).toBe(lang === 'ar' ? 'rtl' : 'ltr');
    expect(await form.getByLabel(t('email'), { exact: true }).getAttribute('autocomplete')).toBe('username');
    expect(await form.getByLabel(t('password'), { exact: true }).getAttribute('autocomplete')).toBe('new-password');

    await form.getByRole('button', { name: t('createAccount') }).click();
    await expect.poll(() => form.locator('#email-error').textContent()).toBe(t('required'));
    expect(await form.getByLabel(t('email'), { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('#password-error').textContent()).toBe(t('required'));

    const email = uniqueEmail(`ui-signup-${lang}`);
    await form.getByLabel(t('email'), { exact: true }).fill(email);
    await form.getByLabel(t('password'), { exact: true }).fill('short');
    await form.getByLabel(t('password'), { exact: true }).press('Enter');
    await expect.poll(() => form.locator('#password-error').textContent()).toBe(t('passwordShort', { min: 8 }));

    await form.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    expect(await form.locator('[part~=rules] .met').count()).toBe(1);
    await form.getByLabel(t('password'), { exact: true }).press('Enter');
    await expect.poll(() => status('gatehouse-sign-up')).toBe(t('checkInbox', { email }));
    expect(await alert('gatehouse-sign-up')).toBe('');
    expect(await world.mailedLink(email)).toContain(`${world.pagesUrl}/confirm?`);

    // The same address again: the server's AccountNameInUse, in words.
    await open('<gatehouse-sign-up></gatehouse-sign-up>');
    await page.locator('gatehouse-sign-up').getByLabel(t('email'), { exact: true }).fill(email);
    await page.locator('gatehouse-sign-up').getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await page.locator('gatehouse-sign-up').getByLabel(t('password'), { exact: true }).press('Enter');
    await expect.poll(() => alert('gatehouse-sign-up')).toBe(t('error.AccountNameInUse'));
    expect(await page.locator('gatehouse-sign-up').getByLabel(t('email'), { exact: true }).inputValue()).toBe(email);
    expect(await page.locator('gatehouse-sign-up').getByLabel(t('password'), { exact: true }).inputValue()).toBe('');
  });

  it('confirm-email: the mailed link confirms on a button press, once; a spent link offers a new one', async () => {
    const email = uniqueEmail(`ui-confirm-${lang}`);
    await new App({
      id: EMAIL_APP,
      baseUrl: world.gatehouse.url,
      storage: memoryStorage(),
    }).emailPasswordAuth.registerUser({ email, password: PASSWORD });
    const link = await world.mailedLink(email);
    page ??= await world.newPage();

    // Signing in before confirming: refused, in words, with an offer to send the mail again.
    await open('<gatehouse-sign-in></gatehouse-sign-in>');
    const signIn = page.locator('gatehouse-sign-in');
    await signIn.getByLabel(t('email'), { exact: true }).fill(email);
    await signIn.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await signIn.getByLabel(t('password'), { exact: true }).press('Enter');
    await expect.poll(() => alert('gatehouse-sign-in')).toBe(t('error.AuthError'));
    await signIn.getByRole('button', { name: t('resendConfirmation') }).click();
    await expect.poll(() => status('gatehouse-sign-in')).toBe(t('confirmationSent'));
    const fresh = await world.mailedLink(email, 2);

    await page.goto(`${fresh}&lang=${lang}`);
    await settle(page);
    const confirm = page.locator('gatehouse-confirm-email');
    expect(await confirm.locator('[part~=title]').textContent()).toBe(t('confirmTitle'));
    await confirm.getByRole('button', { name: t('confirmButton') }).click();
    await expect.poll(() => status('gatehouse-confirm-email')).toBe(t('confirmed'));
    expect(await confirm.getByRole('link', { name: t('signIn') }).getAttribute('href')).toBe('/signin');

    // The first link was replaced by the second (or spent with the confirmation): it says so, offers a new one.
    await page.goto(`${link}&lang=${lang}`);
    await settle(page);
    await confirm.getByRole('button', { name: t('confirmButton') }).click();
    await expect.poll(() => alert('gatehouse-confirm-email')).toBe(t('error.UserpassTokenInvalid'));
    await confirm.getByLabel(t('email'), { exact: true }).fill(email);
    await confirm.getByRole('button', { name: t('sendNewLink') }).click();
    // App Services' answer for a confirmed address (an app with preventAccountEnumeration answers alike).
    await expect.poll(() => alert('gatehouse-confirm-email')).toBe(t('error.UserAlreadyConfirmed'));

    // A link without its token.
    await page.goto(`${world.pagesUrl}/confirm?lang=${lang}`);
    await settle(page);
    expect(await alert('gatehouse-confirm-email')).toBe(t('linkIncomplete'));
  });

  it('sign-in: wrong password in words (login kept, password emptied), then signed in and out', async () => {
    const email = uniqueEmail(`ui-signin-${lang}`);
    await new App({
      id: AUTO_APP,
      baseUrl: world.gatehouse.url,
      storage: memoryStorage(),
    }).emailPasswordAuth.registerUser({ email, password: PASSWORD });
    await open(
      '<gatehouse-sign-in forgot-password-href="/forgot" sign-up-href="/signup"></gatehouse-sign-in>',
      AUTO_APP,
    );
    const form = page.locator('gatehouse-sign-in');
    expect(await form.getByLabel(t('email'), { exact: true }).getAttribute('autocomplete')).toBe('username');
    expect(await form.getByLabel(t('password'), { exact: true }).getAttribute('autocomplete')).toBe('current-password');
    expect(await form.getByRole('link', { name: t('forgotPassword') }).getAttribute('href')).toBe('/forgot');
    expect(await form.getByRole('link', { name: t('createAccount') }).getAttribute('href')).toBe('/signup');

    await form.getByLabel(t('email'), { exact: true }).fill(email);
    await form.getByLabel(t('password'), { exact: true }).fill('not the password');
    await form.getByLabel(t('password'), { exact: true }).press('Enter');
    await expect.poll(() => alert('gatehouse-sign-in')).toBe(t('error.credentials'));
    expect(await form.getByLabel(t('email'), { exact: true }).inputValue()).toBe(email);
    expect(await form.getByLabel(t('password'), { exact: true }).inputValue()).toBe('');

    const events: string[] = [];
    await page.exposeFunction('record', (name: string) => events.push(name));
    await page.evaluate(() => {
      for (const name of ['gatehouse-signed-in', 'gatehouse-signed-out'])
        document.addEventListener(name, () => (window as any).record(name));
    });
    await form.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await form.getByRole('button', { name: t('signIn') }).click();
    await expect.poll(() => form.locator('[part~=signed-in]').textContent()).toBe(t('signedInAs', { name: email }));
    expect((await signedInUser())?.email).toBe(email);
    await form.getByRole('button', { name: t('signOut') }).click();
    await expect.poll(() => signedInUser()).toBeNull();
    expect(events).toEqual(['gatehouse-signed-in', 'gatehouse-signed-out']);
  });

  it('network failure: a message in the page language; what was typed stays, the password does not', async () => {
    await open('<gatehouse-sign-in></gatehouse-sign-in>', AUTO_APP);
    const form = page.locator('gatehouse-sign-in');
    await world.gatehouse.stop();
    try {
      await form.getByLabel(t('email'), { exact: true }).fill('offline@example.com');
      await form.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
      await form.getByLabel(t('password'), { exact: true }).press('Enter');
      await expect.poll(() => alert('gatehouse-sign-in')).toBe(t('error.network'));
      expect(await form.getByLabel(t('email'), { exact: true }).inputValue()).toBe('offline@example.com');
      expect(await form.getByLabel(t('password'), { exact: true }).inputValue()).toBe('');
    } finally {
      await world.gatehouse.start();
    }
  });

  it('forgot-password → reset-password from the mailed link; mismatch and spent links in words', async () => {
    const email = uniqueEmail(`ui-reset-${lang}`);
    const sdk = new App({ id: AUTO_APP, baseUrl: world.gatehouse.url, storage: memoryStorage() });
    await sdk.emailPasswordAuth.registerUser({ email, password: PASSWORD });
    await open('<gatehouse-forgot-password sign-in-href="/signin"></gatehouse-forgot-password>', AUTO_APP);
    const forgot = page.locator('gatehouse-forgot-password');
    await forgot.getByLabel(t('email'), { exact: true }).fill('not-an-email');
    await forgot.getByLabel(t('email'), { exact: true }).press('Enter');
    await expect.poll(() => forgot.locator('#email-error').textContent()).toBe(t('invalidEmail'));
    await forgot.getByLabel(t('email'), { exact: true }).fill(email);
    await forgot.getByRole('button', { name: t('sendResetLink') }).click();
    await expect.poll(() => status('gatehouse-forgot-password')).toBe(t('emailSent'));
    const link = await world.mailedLink(email);
    expect(link).toContain(`${world.pagesUrl}/reset?`);

    await page.goto(`${link}&lang=${lang}&app=${AUTO_APP}`);
    await settle(page);
    const reset = page.locator('gatehouse-reset-password');
    await reset.getByLabel(t('newPassword'), { exact: true }).fill('a brand new passphrase');
    await reset.getByLabel(t('newPasswordAgain'), { exact: true }).fill('a different passphrase');
    await reset.getByLabel(t('newPasswordAgain'), { exact: true }).press('Enter');
    await expect.poll(() => reset.locator('#again-error').textContent()).toBe(t('mismatch'));
    await reset.getByLabel(t('newPassword'), { exact: true }).fill('a brand new passphrase');
    await reset.getByLabel(t('newPasswordAgain'), { exact: true }).fill('a brand new passphrase');
    await reset.getByRole('button', { name: t('setPassword') }).click();
    await expect.poll(() => status('gatehouse-reset-password')).toBe(t('passwordSet'));
    await sdk.logIn(Credentials.emailPassword(email, 'a brand new passphrase'));

    // The same link again: spent. The page says so and links to a new one.
    await page.goto(`${link}&lang=${lang}&app=${AUTO_APP}`);
    await settle(page);
    await reset.getByLabel(t('newPassword'), { exact: true }).fill('another new passphrase');
    await reset.getByLabel(t('newPasswordAgain'), { exact: true }).fill('another new passphrase');
    await reset.getByLabel(t('newPasswordAgain'), { exact: true }).press('Enter');
    await expect.poll(() => alert('gatehouse-reset-password')).toBe(t('error.UserpassTokenInvalid'));
    expect(await reset.getByRole('link', { name: t('sendNewLink') }).getAttribute('href')).toBe('/forgot');
  });

  it('change-password, sessions ("sign out the others") and the user menu, for a signed-in user', async () => {
    const email = uniqueEmail(`ui-account-${lang}`);
    const phone = new App({ id: AUTO_APP, baseUrl: world.gatehouse.url, storage: memoryStorage() });
    await phone.emailPasswordAuth.registerUser({ email, password: PASSWORD });
    const onPhone = await phone.logIn(Credentials.emailPassword(email, PASSWORD));
    await open(
      `<gatehouse-user-menu change-password-href="#password" sessions-href="#devices"></gatehouse-user-menu>
       <gatehouse-sign-in></gatehouse-sign-in><gatehouse-change-password></gatehouse-change-password>
       <gatehouse-sessions></gatehouse-sessions>`,
      AUTO_APP,
    );
    expect(await page.locator('gatehouse-change-password form').count()).toBe(0);
    expect(await page.locator('gatehouse-sessions h2').count()).toBe(0);
    await page.locator('gatehouse-sign-in').getByLabel(t('email'), { exact: true }).fill(email);
    await page.locator('gatehouse-sign-in').getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await page.locator('gatehouse-sign-in').getByLabel(t('password'), { exact: true }).press('Enter');

    // Sessions: this browser and the "phone".
    const sessions = page.locator('gatehouse-sessions');
    await expect.poll(() => sessions.locator('[part~=summary]').textContent()).toBe(t('sessionsCount', { count: 2 }));
    expect(await sessions.locator('[part~=this-device]').count()).toBe(1);
    await sessions.getByRole('button', { name: t('signOutOthers') }).click();
    await expect.poll(() => status('gatehouse-sessions')).toBe(t('othersSignedOut', { count: 1 }));
    await expect.poll(() => sessions.locator('[part~=summary]').textContent()).toBe(t('sessionsCount', { count: 1 }));
    await expect(onPhone.refreshAccessToken()).rejects.toMatchObject({ code: 'InvalidSession' });

    // Change password: the wrong current password in words, then the change.
    const change = page.locator('gatehouse-change-password');
    expect(await change.locator('input[autocomplete=username]').inputValue()).toBe(email);
    await change.getByLabel(t('currentPassword'), { exact: true }).fill('wrong current password');
    await change.getByLabel(t('newPassword'), { exact: true }).fill('my next passphrase');
    await change.getByLabel(t('newPasswordAgain'), { exact: true }).fill('my next passphrase');
    await change.getByLabel(t('newPasswordAgain'), { exact: true }).press('Enter');
    await expect.poll(() => alert('gatehouse-change-password')).toBe(t('error.currentPassword'));
    expect(await change.getByLabel(t('newPassword'), { exact: true }).inputValue()).toBe('');
    await change.getByLabel(t('currentPassword'), { exact: true }).fill(PASSWORD);
    await change.getByLabel(t('newPassword'), { exact: true }).fill('my next passphrase');
    await change.getByLabel(t('newPasswordAgain'), { exact: true }).fill('my next passphrase');
    await change.getByRole('button', { name: t('changePasswordTitle') }).click();
    await expect.poll(() => status('gatehouse-change-password')).toBe(t('passwordChanged'));
    await phone.logIn(Credentials.emailPassword(email, 'my next passphrase'));

    // The user menu: the name opens the menu; its links; Escape closes; "Sign out" signs out.
    const menu = page.locator('gatehouse-user-menu');
    const toggle = menu.locator('[part~=toggle]');
    expect(await toggle.textContent()).toContain(email);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await menu.getByRole('link', { name: t('changePasswordTitle') }).getAttribute('href')).toBe('#password');
    expect(await menu.getByRole('link', { name: t('sessionsTitle') }).getAttribute('href')).toBe('#devices');
    await page.keyboard.press('Escape');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    await menu.getByRole('button', { name: t('signOut') }).click();
    await expect.poll(() => signedInUser()).toBeNull();
    expect(await menu.locator('[part~=toggle]').count()).toBe(0);
  });

  it('guest: continue as guest, then save the account by linking an email and password (same user)', async () => {
    const email = uniqueEmail(`ui-guest-${lang}`);
    await open('<gatehouse-guest></gatehouse-guest>', AUTO_APP);
    const guest = page.locator('gatehouse-guest');
    await guest.getByRole('button', { name: t('continueAsGuest') }).click();
    await expect.poll(async () => (await signedInUser())?.identities).toEqual(['anon-user']);
    const id = (await signedInUser())?.id;
    expect(await guest.locator('[part~=intro]').textContent()).toContain(t('guestIntro'));
    await guest.getByLabel(t('email'), { exact: true }).fill(email);
    await guest.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await guest.getByRole('button', { name: t('saveAccount') }).click();
    await expect.poll(() => status('gatehouse-guest')).toBe(t('upgraded', { email }));
    expect(await signedInUser()).toEqual({ id, email, identities: ['anon-user', 'local-userpass'] });
  });

  it('guest on an app that confirms by email: the link is made once the address is confirmed', async () => {
    const email = uniqueEmail(`ui-guest-mail-${lang}`);
    await open('<gatehouse-guest></gatehouse-guest>');
    const guest = page.locator('gatehouse-guest');
    await guest.getByRole('button', { name: t('continueAsGuest') }).click();
    await guest.getByLabel(t('email'), { exact: true }).fill(email);
    await guest.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await guest.getByLabel(t('password'), { exact: true }).press('Enter');
    await expect.poll(() => status('gatehouse-guest')).toBe(t('checkInbox', { email }));
    expect(await guest.locator('[part~=intro]').textContent()).toContain(t('upgradeConfirm', { email }));
    // Finishing before confirming: refused in words; the form stays.
    await guest.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await guest.getByRole('button', { name: t('finishUpgrade') }).click();
    await expect.poll(() => alert('gatehouse-guest')).toBe(t('error.AuthError'));
    const token = new URL(await world.mailedLink(email)).searchParams;
    await new App({
      id: EMAIL_APP,
      baseUrl: world.gatehouse.url,
      storage: memoryStorage(),
    }).emailPasswordAuth.confirmUser({
      token: token.get('token')!,
      tokenId: token.get('tokenId')!,
    });
    await guest.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await guest.getByRole('button', { name: t('finishUpgrade') }).click();
    await expect.poll(() => status('gatehouse-guest')).toBe(t('upgraded', { email }));
    expect((await signedInUser())?.identities).toEqual(['anon-user', 'local-userpass']);
  });
});
