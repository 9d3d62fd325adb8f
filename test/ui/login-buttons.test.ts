import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguage, type Translate, translator } from '../../packages/ui/src/i18n/index.js';
import { uniqueEmail } from '../client/harness.js';
import {
  AUTO_APP,
  EMAIL_APP,
  GOOGLE_APP,
  NONE_APP,
  PASSWORD,
  regionText,
  startUiWorld,
  type UiWorld,
} from './harness.js';

/**
 * `<gatehouse-login-buttons>`, Meteor's `{{> loginButtons}}`, in Chromium, in English and Arabic: the states of
 * accounts-ui (spec: loading, no services, single service, the "Sign in ▾" dropdown with external services,
 * "or", the password form and its links; signed in: the name with "Change password" and "Sign out") and
 * `Accounts.ui.config`'s options.
 */

describe.each(['en', 'ar'] as const)('<gatehouse-login-buttons> in Chromium (%s)', (lang) => {
  let world: UiWorld;
  let t: Translate;
  let page: Page;

  beforeAll(async () => {
    world = await startUiWorld();
    await loadLanguage(lang);
    t = translator(lang);
    page = await world.newPage();
  });
  afterAll(() => world?.close());

  const buttons = () => page.locator('gatehouse-login-buttons');
  const toggle = () => buttons().locator('[part~=toggle]');
  const open = (attributes = '', app = EMAIL_APP, head = '') =>
    world.open(
      page,
      `<header><gatehouse-login-buttons align="right" ${attributes}></gatehouse-login-buttons></header>${head}`,
      {
        lang,
        app,
      },
    );

  it('shows external-service buttons only for configured services, and only once the configuration arrived', async () => {
    // Hold the configuration back until the panel is open.
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/auth/providers', async (route) => {
      await held;
      await route.continue();
    });
    await open();
    await toggle().click();
    expect(await toggle().getAttribute('aria-expanded')).toBe('true');
    expect(await buttons().locator('[part~=panel]').textContent()).toContain(t('loading'));
    expect(await buttons().locator('[part~=oauth-button]').count()).toBe(0);
    release();
    await expect.poll(() => buttons().locator('[part~=oauth-button]').count()).toBe(1);
    await page.unroute('**/auth/providers');
    expect(await buttons().locator('[part~=oauth-button]').getAttribute('data-service')).toBe('google');
    expect(await buttons().locator('[part~=oauth-button]').textContent()).toBe(t('signInWith', { service: 'Google' }));
    expect(await buttons().locator('[part~=divider]').textContent()).toBe(t('or'));
    expect(await buttons().getByLabel(t('email'), { exact: true }).count()).toBe(1);

    // Branding: custom properties inherit into the shadow roots; ::part() reaches the forms inside.
    await page.addStyleTag({
      content: `gatehouse-login-buttons { --gatehouse-color-primary: rgb(120, 0, 90); }
        gatehouse-login-buttons::part(input) { border-color: rgb(0, 128, 0); }`,
    });
    const color = (selector: string, property: string) =>
      buttons()
        .locator(selector)
        .first()
        .evaluate((e, p) => getComputedStyle(e).getPropertyValue(p), property);
    expect(await color('button[type=submit]', 'background-color')).toBe('rgb(120, 0, 90)');
    expect(await color('input[name=login]', 'border-top-color')).toBe('rgb(0, 128, 0)');
  });

  it('an external-service button fires gatehouse-login-with with Accounts.ui.config options; unhandled it says so', async () => {
    await open();
    const seen = await page.evaluate(async () => {
      const ui = (window as any).gatehouseUi;
      ui.configureLoginUi({
        requestPermissions: { google: ['email', 'profile'] },
        requestOfflineToken: { google: true },
      });
      const details: unknown[] = [];
      document.addEventListener('gatehouse-login-with', (e) => details.push((e as CustomEvent).detail));
      (window as any).details = details;
      return true;
    });
    expect(seen).toBe(true);
    await toggle().click();
    await buttons().locator('[part~=oauth-button]').click();
    expect(
      await page.evaluate(() => (window as any).details.map((d: any) => ({ service: d.service, options: d.options }))),
    ).toEqual([
      { service: 'google', options: { requestPermissions: ['email', 'profile'], requestOfflineToken: true } },
    ]);
    await expect
      .poll(() => regionText(page, 'gatehouse-oauth-buttons', 'alert'))
      .toBe(t('error.noOAuth', { service: 'Google' }));

    // A page that handles the login itself: preventDefault() and waitUntil(); the element shows it working.
    await page.evaluate(() =>
      document.addEventListener('gatehouse-login-with', (e) => {
        e.preventDefault();
        (e as CustomEvent).detail.waitUntil(new Promise((r) => setTimeout(r, 300)));
      }),
    );
    await buttons().locator('[part~=oauth-button]').click();
    expect(await buttons().locator('[part~=oauth]').getAttribute('aria-busy')).toBe('true');
    await expect.poll(() => buttons().locator('[part~=oauth]').getAttribute('aria-busy')).toBe('false');
    expect(await regionText(page, 'gatehouse-oauth-buttons', 'alert')).toBe('');
  });

  it('Accounts.ui.config rejects what Meteor rejects', async () => {
    await open();
    const errors = await page.evaluate(async () => {
      const ui = (window as any).gatehouseUi;
      ui.resetLoginUiConfig();
      const attempt = (options: unknown) => {
        try {
          ui.configureLoginUi(options);
          return 'ok';
        } catch (error) {
          return (error as Error).message;
        }
      };
      return [
        attempt({ foo: 1 }),
        attempt({ passwordSignupFields: 'NOPE' }),
        attempt({ requestPermissions: { google: 'email' } }),
        attempt({ forceApprovalPrompt: { facebook: true } }),
        attempt({ passwordSignupFields: 'USERNAME_ONLY' }),
        attempt({ passwordSignupFields: 'EMAIL_ONLY' }),
      ];
    });
    expect(errors).toEqual([
      'Accounts.ui.config: Invalid option: foo',
      'Accounts.ui.config: Invalid option for `passwordSignupFields`: NOPE',
      'Accounts.ui.config: Value for `requestPermissions` must be an array',
      'Accounts.ui.config: `forceApprovalPrompt` only supported for Google login at the moment.',
      'ok',
      "Accounts.ui.config: Can't set `passwordSignupFields` more than once",
    ]);
    // USERNAME_ONLY, set page-wide: the sign-in field is "Username"; no "Forgot password?" without an email.
    await toggle().click();
    expect(await buttons().getByLabel(t('username'), { exact: true }).count()).toBe(1);
    expect(
      await buttons()
        .getByRole('button', { name: t('forgotPassword') })
        .count(),
    ).toBe(0);
  });

  it('create account → signed in → the name opens Change password and Sign out (USERNAME_AND_OPTIONAL_EMAIL)', async () => {
    await open('password-signup-fields="USERNAME_AND_OPTIONAL_EMAIL"', AUTO_APP);
    await page.evaluate(() => {
      (window as any).log = [];
      for (const name of ['gatehouse-signed-in', 'gatehouse-signed-out'])
        document.addEventListener(name, (e) =>
          (window as any).log.push(`${name} ${(e.composedPath()[0] as Element).localName}`),
        );
    });
    await toggle().click();
    expect(await buttons().getByLabel(t('usernameOrEmail'), { exact: true }).count()).toBe(1);
    await buttons()
      .getByRole('button', { name: t('createAccount') })
      .click();
    const signUp = buttons().locator('gatehouse-sign-up');
    expect(await signUp.getByLabel(t('emailOptional'), { exact: true }).count()).toBe(1);
    expect(await signUp.getByLabel(t('passwordAgain'), { exact: true }).count()).toBe(1);
    const username = `ada${Date.now().toString(36)}`;
    await signUp.getByLabel(t('username'), { exact: true }).fill('ad');
    await signUp.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await signUp.getByLabel(t('passwordAgain'), { exact: true }).fill('something else');
    await signUp.getByLabel(t('passwordAgain'), { exact: true }).press('Enter');
    await expect.poll(() => signUp.locator('#username-error').textContent()).toBe(t('invalidUsername'));
    expect(await signUp.locator('#again-error').textContent()).toBe(t('mismatch'));
    await signUp.getByLabel(t('username'), { exact: true }).fill(username);
    await signUp.getByLabel(t('password'), { exact: true }).fill(PASSWORD);
    await signUp.getByLabel(t('passwordAgain'), { exact: true }).fill(PASSWORD);
    await signUp.getByLabel(t('passwordAgain'), { exact: true }).press('Enter');

    await expect.poll(() => toggle().textContent()).toContain(username);
    expect(await page.evaluate(() => (window as any).log)).toEqual(['gatehouse-signed-in gatehouse-login-buttons']);
    expect(await toggle().getAttribute('aria-expanded')).toBe('false');
    await toggle().click();
    expect(await buttons().locator('[part~=panel]').textContent()).toContain(t('signedInAs', { name: username }));
    await buttons()
      .getByRole('button', { name: t('changePasswordTitle') })
      .click();
    const change = buttons().locator('gatehouse-change-password');
    await change.getByLabel(t('currentPassword'), { exact: true }).fill(PASSWORD);
    await change.getByLabel(t('newPassword'), { exact: true }).fill('another good passphrase');
    await change.getByLabel(t('newPasswordAgain'), { exact: true }).fill('another good passphrase');
    await change.getByLabel(t('newPasswordAgain'), { exact: true }).press('Enter');
    await expect.poll(() => regionText(page, 'gatehouse-change-password', 'status')).toBe(t('passwordChanged'));
    await buttons()
      .getByRole('button', { name: t('close') })
      .click();
    await buttons()
      .getByRole('button', { name: t('signOut') })
      .click();
    await expect.poll(() => toggle().textContent()).toContain(t('signIn'));
    expect(await page.evaluate(() => (window as any).log)).toEqual([
      'gatehouse-signed-in gatehouse-login-buttons',
      'gatehouse-signed-out gatehouse-login-buttons',
    ]);

    // The username signs in again, with the new password, from the dropdown's form.
    await toggle().click();
    await buttons().getByLabel(t('usernameOrEmail'), { exact: true }).fill(username);
    await buttons().getByLabel(t('password'), { exact: true }).fill('another good passphrase');
    await buttons().getByLabel(t('password'), { exact: true }).press('Enter');
    await expect.poll(() => toggle().textContent()).toContain(username);
  });

  it('forgot password from the dropdown, and back', async () => {
    const email = uniqueEmail(`ui-lb-forgot-${lang}`);
    await world.gatehouse.gatehouse.fetch(
      new Request(`${world.gatehouse.url}/api/client/v2.0/app/${AUTO_APP}/auth/providers/local-userpass/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      }),
    );
    await open('', AUTO_APP);
    await toggle().click();
    if ((await toggle().textContent())?.includes(t('signIn')) === false) {
      await buttons()
        .getByRole('button', { name: t('signOut') })
        .click();
      await toggle().click();
    }
    await buttons()
      .getByRole('button', { name: t('forgotPassword') })
      .click();
    const forgot = buttons().locator('gatehouse-forgot-password');
    // An address without an account: App Services' UserNotFound, in words (unless the app hides it).
    await forgot.getByLabel(t('email'), { exact: true }).fill(`nobody-${email}`);
    await forgot.getByLabel(t('email'), { exact: true }).press('Enter');
    await expect.poll(() => regionText(page, 'gatehouse-forgot-password', 'alert')).toBe(t('error.UserNotFound'));
    await forgot.getByLabel(t('email'), { exact: true }).fill(email);
    await forgot.getByLabel(t('email'), { exact: true }).press('Enter');
    await expect.poll(() => regionText(page, 'gatehouse-forgot-password', 'status')).toBe(t('emailSent'));
    expect(await regionText(page, 'gatehouse-forgot-password', 'alert')).toBe('');
    await forgot.getByRole('button', { name: t('backToSignIn') }).click();
    expect(await buttons().locator('gatehouse-sign-in').count()).toBe(1);
    await page.keyboard.press('Escape');
    expect(await toggle().getAttribute('aria-expanded')).toBe('false');
  });

  it('single-service mode: one "Sign in with Google" button; no services: says so', async () => {
    await open('', GOOGLE_APP);
    await expect.poll(() => buttons().locator('[part~=oauth-button]').count()).toBe(1);
    expect(await buttons().locator('[part~=toggle]').count()).toBe(0);
    await open('', NONE_APP);
    await expect.poll(() => buttons().locator('[part~=no-services]').textContent()).toBe(t('noServices'));
  });
});
