import { App, Credentials, memoryStorage } from '@gatehouse-auth/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguage, type Translate, translator } from '../../packages/ui/src/i18n/index.js';
import { uniqueEmail } from '../client/harness.js';
import {
  AUTO_APP,
  axeViolations,
  EMAIL_APP,
  focused,
  PASSWORD,
  regionText,
  settle,
  startUiWorld,
  tabTo,
  type UiWorld,
} from './harness.js';

/**
 * Accessibility of every @gatehouse-auth/ui screen in real Chromium: axe-core finds no violation, every control
 * is a 44 px touch target, nothing overflows a 375 px screen, focus is visible — and a person using only the
 * keyboard signs up, confirms, signs in, changes the password and signs out with `<gatehouse-login-buttons>`.
 */

describe.each(['en', 'ar'] as const)('accessibility in Chromium (%s)', (lang) => {
  let world: UiWorld;
  let t: Translate;

  beforeAll(async () => {
    world = await startUiWorld();
    await loadLanguage(lang);
    t = translator(lang);
  });
  afterAll(() => world?.close());

  /** Visible controls inside Gatehouse elements that are smaller than 44×44 px, or stick out of the viewport. */
  const badControls = (page: Page) =>
    page.evaluate(() => {
      const problems: string[] = [];
      let checked = 0;
      const visit = (root: Document | ShadowRoot) => {
        for (const element of root.querySelectorAll('*')) {
          if (element.shadowRoot) visit(element.shadowRoot);
          if (root === document || !element.matches('button, input:not([hidden]), a[href]')) continue;
          const box = element.getBoundingClientRect();
          if (box.width === 0 && box.height === 0) continue; // not shown
          checked++;
          const name = `${element.localName}[${element.getAttribute('name') ?? element.textContent?.trim().slice(0, 20)}]`;
          if (box.height < 44 || box.width < 44)
            problems.push(`${name} is ${box.width.toFixed(0)}×${box.height.toFixed(0)}`);
          if (box.left < 0 || box.right > window.innerWidth)
            problems.push(`${name} sticks out (${box.left}–${box.right})`);
        }
      };
      visit(document);
      if (document.documentElement.scrollWidth > window.innerWidth)
        problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
      return { checked, problems };
    });

  /** Checks the page as it is now: axe, touch targets, overflow. */
  const audit = async (page: Page, what: string) => {
    await settle(page);
    expect(await axeViolations(page), `axe on ${what}`).toEqual([]);
    const { checked, problems } = await badControls(page);
    expect(problems, `controls on ${what}`).toEqual([]);
    expect(checked, `controls found on ${what}`).toBeGreaterThanOrEqual(2);
  };

  const signedOut = `<main>
    <gatehouse-sign-in sign-up-href="#up" forgot-password-href="#forgot"></gatehouse-sign-in>
    <gatehouse-sign-up sign-in-href="#in"></gatehouse-sign-up>
    <gatehouse-forgot-password sign-in-href="#in"></gatehouse-forgot-password>
    <gatehouse-reset-password token="t0k3n" token-id="0123456789abcdef01234567"></gatehouse-reset-password>
    <gatehouse-confirm-email token="t0k3n" token-id="0123456789abcdef01234567"></gatehouse-confirm-email>
    <gatehouse-guest></gatehouse-guest>
  </main>`;

  for (const width of [1024, 375]) {
    it(`every signed-out screen and its error states at ${width} px`, async () => {
      const page = await world.newPage(width);
      await world.open(
        page,
        `<header><gatehouse-login-buttons align="right"></gatehouse-login-buttons></header>${signedOut}`,
        { lang },
      );
      await page.locator('gatehouse-sign-up [part~=rules]').waitFor();
      await audit(page, 'the signed-out blocks');

      // Errors: submitted empty (client checks) and refused by the server (alerts).
      for (const block of [
        'gatehouse-sign-in',
        'gatehouse-sign-up',
        'gatehouse-forgot-password',
        'gatehouse-reset-password',
      ])
        await page.locator(`${block} button[type=submit]`).click();
      await page.locator('gatehouse-confirm-email button[type=submit]').click();
      await expect
        .poll(() => regionText(page, 'gatehouse-confirm-email', 'alert'))
        .toBe(t('error.UserpassTokenInvalid'));
      await audit(page, 'the blocks with errors');

      const buttons = page.locator('gatehouse-login-buttons');
      await buttons.locator('[part~=toggle]').click();
      await buttons.locator('gatehouse-oauth-buttons button').waitFor();
      await audit(page, 'login buttons, open');
      await buttons.getByRole('button', { name: t('createAccount') }).click();
      await audit(page, 'login buttons, create account');
      await buttons.getByRole('button', { name: t('backToSignIn') }).click();
      await buttons.getByRole('button', { name: t('forgotPassword') }).click();
      await audit(page, 'login buttons, forgot password');
      await page.context().close();
    });

    it(`every signed-in screen at ${width} px`, async () => {
      const page = await world.newPage(width);
      const email = uniqueEmail(`ui-a11y-${lang}`);
      await new App({
        id: AUTO_APP,
        baseUrl: world.gatehouse.url,
        storage: memoryStorage(),
      }).emailPasswordAuth.registerUser({
        email,
        password: PASSWORD,
      });
      await world.open(
        page,
        `<header><gatehouse-user-menu align="right" change-password-href="#pw" sessions-href="#devices"></gatehouse-user-menu></header>
         <main><gatehouse-sign-in></gatehouse-sign-in><gatehouse-change-password></gatehouse-change-password>
         <gatehouse-sessions></gatehouse-sessions></main>
         <footer><gatehouse-login-buttons></gatehouse-login-buttons></footer>`,
        { lang, app: AUTO_APP },
      );
      await page.locator('gatehouse-sign-in').getByLabel(t('email'), { exact: true }).fill(email);
      await page.locator('gatehouse-sign-in').getByLabel(t('password'), { exact: true }).fill(PASSWORD);
      await page.locator('gatehouse-sign-in').getByLabel(t('password'), { exact: true }).press('Enter');
      await page.locator('gatehouse-sessions [part~=session]').first().waitFor();
      await page.locator('gatehouse-user-menu [part~=toggle]').click();
      await audit(page, 'user menu open, change password, sessions');
      await page.keyboard.press('Escape');
      await page.locator('gatehouse-change-password button[type=submit]').click();
      await audit(page, 'change password with errors');
      const buttons = page.locator('gatehouse-login-buttons');
      await buttons.locator('[part~=toggle]').click();
      await audit(page, 'login buttons, signed in');
      await buttons.getByRole('button', { name: t('changePasswordTitle') }).click();
      await audit(page, 'login buttons, change password');
      await page.context().close();
    });
  }

  it('guest upgrade form', async () => {
    const page = await world.newPage(375);
    await world.open(page, '<main><gatehouse-guest></gatehouse-guest></main>', { lang, app: AUTO_APP });
    await page.locator('gatehouse-guest button').click();
    await page.locator('gatehouse-guest form').waitFor();
    await audit(page, 'guest upgrade');
    await page.context().close();
  });

  it('keyboard only: sign up → confirm (mailed link) → sign in → change password → sign out, focus always visible', async () => {
    const page = await world.newPage();
    const email = uniqueEmail(`ui-keys-${lang}`);
    const expectVisibleFocus = async () => expect((await focused(page)).outline).toBe('solid 3px');
    await world.open(page, '<header><gatehouse-login-buttons></gatehouse-login-buttons></header>', {
      lang,
      app: EMAIL_APP,
    });

    // Sign up: Tab to "Sign in ▾", open it, Tab to "Create account", type, Enter.
    await tabTo(page, (f) => f.text.includes(t('signIn')));
    await expectVisibleFocus();
    await page.keyboard.press('Enter');
    await page.locator('gatehouse-oauth-buttons button').waitFor();
    expect((await focused(page)).text).toBe(t('signInWith', { service: 'Google' }));
    await tabTo(page, (f) => f.text === t('createAccount'));
    await expectVisibleFocus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).name).toBe('email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect((await focused(page)).name).toBe('password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await expect.poll(() => regionText(page, 'gatehouse-sign-up', 'status')).toBe(t('checkInbox', { email }));

    // Confirm: the mailed link's page; Tab to the button, Enter.
    await page.goto(`${await world.mailedLink(email)}&lang=${lang}`);
    await settle(page);
    await tabTo(page, (f) => f.text === t('confirmButton'));
    await expectVisibleFocus();
    await page.keyboard.press('Enter');
    await expect.poll(() => regionText(page, 'gatehouse-confirm-email', 'status')).toBe(t('confirmed'));

    // Sign in from the login buttons.
    await world.open(page, '<header><gatehouse-login-buttons></gatehouse-login-buttons></header>', {
      lang,
      app: EMAIL_APP,
    });
    await tabTo(page, (f) => f.text.includes(t('signIn')));
    await page.keyboard.press('Enter');
    await page.locator('gatehouse-oauth-buttons button').waitFor();
    await tabTo(page, (f) => f.name === 'login');
    await expectVisibleFocus();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    // Signed in: the panel closes and the focus is back on the button, which now shows the name.
    await expect.poll(async () => (await focused(page)).text).toContain(email);

    // Change password: Enter opens the menu with the focus on "Change password".
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).text).toBe(t('changePasswordTitle'));
    await expectVisibleFocus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).name).toBe('current');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    expect((await focused(page)).name).toBe('newPassword');
    await page.keyboard.type('a new keyboard passphrase');
    await page.keyboard.press('Tab');
    expect((await focused(page)).name).toBe('again');
    await page.keyboard.type('a new keyboard passphrase');
    await page.keyboard.press('Enter');
    await expect.poll(() => regionText(page, 'gatehouse-change-password', 'status')).toBe(t('passwordChanged'));

    // Escape closes the panel, the focus returns to the button; open again, Tab to "Sign out", Enter.
    await page.keyboard.press('Escape');
    expect((await focused(page)).text).toContain(email);
    await page.keyboard.press('Enter');
    await tabTo(page, (f) => f.text === t('signOut'));
    await expectVisibleFocus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).text).toContain(t('signIn'));
    expect(
      await page.evaluate(() => (document.querySelector('gatehouse-login-buttons') as any).boundApp.currentUser),
    ).toBeNull();

    // The new password works (and the old one does not).
    const sdk = new App({ id: EMAIL_APP, baseUrl: world.gatehouse.url, storage: memoryStorage() });
    await expect(sdk.logIn(Credentials.emailPassword(email, PASSWORD))).rejects.toMatchObject({
      code: 'InvalidPassword',
    });
    await sdk.logIn(Credentials.emailPassword(email, 'a new keyboard passphrase'));
    await page.context().close();
  });
});

describe('languages', () => {
  let world: UiWorld;
  beforeAll(async () => {
    world = await startUiWorld();
  });
  afterAll(() => world?.close());

  it('each shipped language renders its own words; an unknown lang falls back to English; lang changes re-render', async () => {
    const page = await world.newPage();
    const langs = ['en', 'de', 'fr', 'es', 'ja', 'ar', 'xx-YY', 'de-AT'];
    await world.open(
      page,
      `<main>${langs.map((l) => `<gatehouse-forgot-password lang="${l}"></gatehouse-forgot-password>`).join('')}</main>`,
    );
    const titles = await page.locator('gatehouse-forgot-password [part~=title]').allTextContents();
    const expected = [];
    for (const l of ['en', 'de', 'fr', 'es', 'ja', 'ar', 'en', 'de']) {
      await loadLanguage(l);
      expected.push(translator(l)('forgotTitle'));
    }
    expect(titles).toEqual(expected);
    expect(new Set(titles).size).toBe(6);
    const dirs = await page.evaluate(() =>
      [...document.querySelectorAll('gatehouse-forgot-password')].map((e) =>
        e.shadowRoot!.querySelector('.root')!.getAttribute('dir'),
      ),
    );
    expect(dirs).toEqual(['ltr', 'ltr', 'ltr', 'ltr', 'ltr', 'rtl', 'ltr', 'ltr']);

    // The page's lang changes: an element without its own lang follows.
    await world.open(page, '<main><gatehouse-sign-in></gatehouse-sign-in></main>', { lang: 'en' });
    await page.evaluate(() => document.documentElement.setAttribute('lang', 'fr'));
    await expect
      .poll(() => page.locator('gatehouse-sign-in [part~=title]').textContent())
      .toBe(translator('fr')('signInTitle'));

    // Per-app and per-element overrides of the texts.
    await page.evaluate(() => {
      const ui = (window as any).gatehouseUi;
      ui.setMessages('fr', { signInTitle: 'Connexion à Acme' }, { appId: 'ui-email-app' });
    });
    await expect.poll(() => page.locator('gatehouse-sign-in [part~=title]').textContent()).toBe('Connexion à Acme');
    await page.evaluate(() => {
      (document.querySelector('gatehouse-sign-in') as any).messages = { signInTitle: 'Just this one' };
    });
    await expect.poll(() => page.locator('gatehouse-sign-in [part~=title]').textContent()).toBe('Just this one');
    await page.context().close();
  });
});
