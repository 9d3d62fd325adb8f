import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type NodeServer, serveNode } from '@gatehouse-auth/server';
import { startTestGatehouse, type TestGatehouse } from '@gatehouse-auth/server/testing';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSource, servePages } from '../../scripts/ui-pages.mjs';
import { freePort } from '../compat/serve.js';

/**
 * The hosted pages in Debian's Chromium, against a real Gatehouse on loopback serving its own UI bundle
 * (`packages/ui/dist/browser`, so run `npm run build` first): the sign-in page in a popup returns the session
 * to an allowlisted page of the app (another origin), where the SDK's `handleAuthRedirect()` hands it to the
 * opener's `app.logIn(Credentials.hostedPage(…))`; a redirect not on the list is refused without redirecting;
 * the confirm and reset pages, with "send a new link" and "back to the app"; Arabic right to left; the app's
 * colours; axe-core finds nothing; the pages' strict CSP reports no violation.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const APP = 'hosted-notes';
const PASSWORD = 'correct horse battery staple';
const PRIMARY = '#7a2e0e';

describe('the hosted pages in Chromium', () => {
  let t: TestGatehouse;
  let node: NodeServer;
  let pages: { url: string; close(): Promise<void> };
  let browser: Browser;
  let gatehouseUrl = '';
  const cspViolations: string[] = [];

  const callback = () => `${pages.url}/callback`;
  /** The same page with realm-web 2.0.1's own `handleAuthRedirect()` (its browser build, unmodified). */
  const realmCallback = () => `${pages.url}/callback-realm-web`;
  const loginUrl = (query: Record<string, string>) =>
    `${gatehouseUrl}/app/${APP}/login?${new URLSearchParams(query).toString()}`;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'packages/ui/dist/browser/gatehouse-ui.js')))
      throw new Error('packages/ui/dist/browser/gatehouse-ui.js is missing: run `npm run build`');
    const port = await freePort();
    gatehouseUrl = `http://127.0.0.1:${port}`;
    // The app's own pages: the SDK only (no UI), on another origin.
    const sdk =
      (
        await build({
          entryPoints: [join(ROOT, 'packages/client/src/index.ts')],
          bundle: true,
          format: 'esm',
          platform: 'browser',
          target: 'es2022',
          write: false,
          logLevel: 'silent',
          alias: { '@gatehouse-auth/core': join(ROOT, 'packages/core/src/index.ts') },
        })
      ).outputFiles[0]?.text ?? '';
    const realmWeb = readFileSync(join(ROOT, 'node_modules/realm-web/dist/bundle.iife.js'), 'utf8');
    pages = await servePages(sdk, (path: string) => {
      if (path === '/callback-realm-web')
        return `<!doctype html><meta charset="utf-8"><title>callback</title>
<script>${realmWeb}</script><script>Realm.handleAuthRedirect();</script>`;
      if (path === '/callback')
        return `<!doctype html><meta charset="utf-8"><title>callback</title>
<script type="module">import { handleAuthRedirect } from '/ui.js'; handleAuthRedirect();</script>`;
      if (path === '/')
        return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Notes</title>
<script type="module">
import { App, Credentials } from '/ui.js';
window.notes = new App({ id: ${JSON.stringify(APP)}, baseUrl: ${JSON.stringify(gatehouseUrl)} });
window.signIn = (path = '/callback') => window.notes.logIn(Credentials.hostedPage(location.origin + path))
  .then((user) => ({ id: user.id, email: user.profile.email, providerType: user.providerType, loggedIn: user.isLoggedIn }));
</script><main><h1>Notes</h1></main></html>`;
      return undefined;
    });
    t = await startTestGatehouse('sqlite', {
      config: {
        publicUrl: gatehouseUrl,
        dangerouslyEnableDevPages: true,
        apps: {
          [APP]: {
            name: 'Notes',
            oauthRedirectUris: [callback(), realmCallback()],
            branding: {
              appUrl: `${pages.url}/`,
              colors: { primary: PRIMARY },
              messages: { en: { signInTitle: 'Sign in to Notes' } },
            },
            providers: { 'local-userpass': { confirmation: 'email' } },
          },
        },
      } as never,
      gatehouse: { now: Date.now },
    });
    node = await serveNode(t.gatehouse, { host: '127.0.0.1', port });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await node?.server.close();
    await t?.close();
  });

  /** A fresh page that records every CSP violation its console reports. */
  const newPage = async (options: { locale?: string; width?: number } = {}): Promise<[BrowserContext, Page]> => {
    const context = await browser.newContext({
      ...(options.locale ? { locale: options.locale } : {}),
      viewport: { width: options.width ?? 1024, height: 768 },
    });
    const page = await context.newPage();
    const watch = (p: Page) =>
      p.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${p.url()}: ${message.text()}`);
      });
    watch(page);
    context.on('page', watch);
    return [context, page];
  };

  const api = (path: string, body: unknown) =>
    fetch(`${gatehouseUrl}/api/client/v2.0/app/${APP}/auth/providers/local-userpass${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const mails = (to: string) => t.gatehouse.outbox?.list().filter((m) => m.to === to) ?? [];
  const newestLink = async (to: string, count = 1): Promise<string> => {
    for (let i = 0; i < 300; i++) {
      const list = mails(to);
      const link = list.length >= count ? /https?:\/\/\S+/.exec(list[0]?.text ?? '')?.[0] : undefined;
      if (link) return link;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`fewer than ${count} mails to ${to}`);
  };
  /** A confirmed account. */
  const account = async (email: string) => {
    expect((await api('/register', { email, password: PASSWORD })).status).toBe(201);
    const link = new URL(await newestLink(email));
    const confirmed = await api('/confirm', {
      token: link.searchParams.get('token'),
      tokenId: link.searchParams.get('tokenId'),
    });
    expect(confirmed.status).toBe(200);
  };
  const axe = async (page: Page): Promise<string[]> => {
    // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') would refuse an inline script.
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource());
    return page.evaluate(async () => {
      const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map(
        (v: any) => `${v.id}: ${v.nodes.map((n: any) => JSON.stringify(n.target)).join(', ')} — ${v.help}`,
      );
    });
  };

  it('signs in on the hosted page in a popup and hands the session to the app, which the SDK picks up', async () => {
    await account('ada@example.com');
    const [context, page] = await newPage();
    await page.goto(`${pages.url}/`);
    await page.waitForFunction(() => 'signIn' in window);
    const popupOpened = page.waitForEvent('popup');
    const result = page.evaluate(() => (window as any).signIn());
    const popup = await popupOpened;
    await popup.waitForLoadState();
    expect(new URL(popup.url()).pathname).toBe(`/app/${APP}/login`);
    const signIn = popup.locator('gatehouse-sign-in');
    await expect.poll(() => signIn.locator('[part~=title]').textContent()).toBe('Sign in to Notes'); // the app's text
    expect(await axe(popup)).toEqual([]);
    // The app's colour reaches the elements' buttons through the custom property.
    expect(await signIn.locator('[part~=submit]').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe(
      'rgb(122, 46, 14)',
    );
    await signIn.getByLabel('Email').fill('ada@example.com');
    await signIn.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await signIn.getByLabel('Password', { exact: true }).press('Enter');
    const user = await result;
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      email: 'ada@example.com',
      providerType: 'local-userpass',
      loggedIn: true,
    });
    // The session works from the app's origin (a request with its access token), and nothing of it stayed on
    // Gatehouse's origin: the hosted page kept it in memory only.
    expect(await page.evaluate(() => (window as any).notes.currentUser.refreshCustomData().then(() => 'ok'))).toBe(
      'ok',
    );
    const gatehousePage = await context.newPage();
    await gatehousePage.goto(`${gatehouseUrl}/healthz`);
    expect(
      await gatehousePage.evaluate(() => Object.keys(localStorage).length + Object.keys(sessionStorage).length),
    ).toBe(0);
    await context.close();
  });

  it("hands over to realm-web's handleAuthRedirect() just the same", async () => {
    await account('rita@example.com');
    const [context, page] = await newPage();
    await page.goto(`${pages.url}/`);
    await page.waitForFunction(() => 'signIn' in window);
    const popupOpened = page.waitForEvent('popup');
    const result = page.evaluate(() => (window as any).signIn('/callback-realm-web'));
    const popup = await popupOpened;
    const signIn = popup.locator('gatehouse-sign-in');
    await signIn.getByLabel('Email').fill('rita@example.com');
    await signIn.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await signIn.getByLabel('Password', { exact: true }).press('Enter');
    expect(await result).toMatchObject({ email: 'rita@example.com', loggedIn: true });
    await context.close();
  });

  it('signs up on the hosted page (switching views): the element says where the confirmation link went', async () => {
    const [context, page] = await newPage();
    const redirect = callback();
    await page.goto(loginUrl({ redirect, state: 'abcdefghijkl' }));
    await page.locator('gatehouse-sign-in').getByRole('button', { name: 'Create account' }).click();
    const signUp = page.locator('gatehouse-sign-up');
    await expect.poll(() => signUp.isVisible()).toBe(true);
    expect(await page.locator('gatehouse-sign-in').isVisible()).toBe(false);
    await signUp.getByLabel('Email').fill('grace@example.com');
    await signUp.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await signUp.getByLabel('Password', { exact: true }).press('Enter');
    await expect.poll(() => signUp.locator('[part~=status]').textContent()).toContain('grace@example.com');
    expect(await axe(page)).toEqual([]);
    await context.close();
  });

  it('refuses a redirect that is not on the list: an error page, no elements, no redirect', async () => {
    const [context, page] = await newPage();
    for (const redirect of ['https://evil.example/callback', `${callback()}/`, `${callback()}?x=1`]) {
      const response = await page.goto(loginUrl({ redirect, state: 'abcdefghijkl' }));
      expect(response?.status()).toBe(400);
      expect(await page.getByRole('alert').textContent()).toContain('is not one of the pages Notes allows');
      expect(await page.locator('gatehouse-sign-in').count()).toBe(0);
      expect(await page.locator('script[src]').count()).toBe(0);
      expect(page.url()).toContain(`/app/${APP}/login`);
      expect(await axe(page)).toEqual([]);
    }
    const missing = await page.goto(`${gatehouseUrl}/app/${APP}/login`);
    expect(missing?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('does not say where to return');
    // The CSP and framing headers of the page.
    const csp = missing?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    await context.close();
  });

  it('speaks Arabic right to left (?lang=ar), German from Accept-Language, English for an unknown language', async () => {
    const [context, page] = await newPage({ width: 375 });
    await page.goto(loginUrl({ redirect: callback(), lang: 'ar' }));
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    const signIn = page.locator('gatehouse-sign-in');
    await expect.poll(() => signIn.locator('[part~=title]').textContent()).toBe('تسجيل الدخول');
    expect(await page.title()).toBe('تسجيل الدخول إلى Notes');
    expect(await page.getByRole('link', { name: 'العودة إلى Notes' }).getAttribute('href')).toBe(`${pages.url}/`);
    expect(await axe(page)).toEqual([]);
    await page.goto(loginUrl({ redirect: callback(), lang: 'xx' }));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await context.close();
    const [german, deutsch] = await newPage({ locale: 'de-AT' });
    await deutsch.goto(loginUrl({ redirect: callback() }));
    expect(await deutsch.getAttribute('html', 'lang')).toBe('de');
    await expect.poll(() => deutsch.locator('gatehouse-sign-in [part~=title]').textContent()).toBe('Anmelden');
    await german.close();
  });

  it('confirm page: a stale link offers "send a new link" (the resend endpoint); the new one confirms', async () => {
    const email = 'lin@example.com';
    expect((await api('/register', { email, password: PASSWORD })).status).toBe(201);
    const stale = await newestLink(email);
    // A second mail voids the first link.
    expect((await api('/confirm/send', { email })).status).toBe(200);
    await newestLink(email, 2);
    const [context, page] = await newPage();
    await page.goto(stale);
    const confirm = page.locator('gatehouse-confirm-email');
    expect(await page.getByRole('link', { name: 'Back to Notes' }).getAttribute('href')).toBe(`${pages.url}/`);
    expect(await axe(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Confirm my email' }).click();
    await confirm.getByRole('button', { name: 'Send a new link' }).click();
    await expect.poll(() => confirm.getByLabel('Email').isVisible()).toBe(true);
    expect(await axe(page)).toEqual([]);
    await confirm.getByLabel('Email').fill(email);
    await confirm.getByLabel('Email').press('Enter');
    const fresh = await newestLink(email, 3);
    await page.goto(fresh);
    await confirm.getByRole('button', { name: 'Confirm my email' }).click();
    await expect.poll(() => confirm.locator('[part~=status]').textContent()).toContain('is confirmed');
    await context.close();
  });

  it('reset page: sets the password, and a spent link leads to "send a new link", which mails one', async () => {
    const email = 'bo@example.com';
    await account(email);
    expect((await api('/reset/send', { email })).status).toBe(200);
    const link = await newestLink(email, 2);
    const [context, page] = await newPage();
    await page.goto(link);
    const reset = page.locator('gatehouse-reset-password');
    expect(await axe(page)).toEqual([]);
    await reset.getByLabel('New password', { exact: true }).fill('another long passphrase');
    await reset.getByLabel('New password (again)').fill('another long passphrase');
    await reset.getByLabel('New password (again)').press('Enter');
    await expect.poll(() => reset.locator('[part~=status]').textContent()).toContain('new password is set');
    await page.goto(link);
    await reset.getByLabel('New password', { exact: true }).fill('a third long passphrase');
    await reset.getByLabel('New password (again)').fill('a third long passphrase');
    await reset.getByLabel('New password (again)').press('Enter');
    await reset.getByRole('link', { name: 'Send a new link' }).click();
    const forgot = page.locator('gatehouse-forgot-password');
    await expect.poll(() => forgot.isVisible()).toBe(true);
    await forgot.getByLabel('Email').fill(email);
    await forgot.getByLabel('Email').press('Enter');
    await newestLink(email, 3);
    expect(await axe(page)).toEqual([]);
    await context.close();
  });

  it('the dev outbox shows each mail’s HTML part, rendered in its sandboxed frame', async () => {
    const [context, page] = await newPage();
    await page.goto(`${gatehouseUrl}/dev/outbox`);
    const frame = page.frameLocator('article iframe').first();
    await expect.poll(() => frame.locator('h1').textContent()).toBeTruthy();
    expect(
      await frame
        .locator('a')
        .first()
        .evaluate((a) => getComputedStyle(a).backgroundColor),
    ).toBe(
      'rgb(122, 46, 14)', // the app's colour on the mail's button
    );
    await context.close();
  });

  it('the demo page of `gatehouse dev` is the login UI: sign in with the login buttons, see the user', async () => {
    await account('demo@example.com');
    const [context, page] = await newPage();
    await page.goto(`${gatehouseUrl}/`);
    const buttons = page.locator('gatehouse-login-buttons');
    expect(await page.locator('#devices').isVisible()).toBe(false);
    await buttons.locator('[part~=toggle]').click();
    expect(await axe(page)).toEqual([]);
    await buttons.getByLabel('Email').fill('demo@example.com');
    await buttons.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await buttons.getByLabel('Password', { exact: true }).press('Enter');
    await expect.poll(() => page.locator('#user').textContent()).toContain('demo@example.com');
    expect(await page.locator('#claims').textContent()).toContain('"typ": "access"');
    await expect.poll(() => buttons.locator('[part~=toggle]').textContent()).toContain('demo@example.com');
    // Signed in: the device list shows, the guest card goes.
    await expect.poll(() => page.locator('gatehouse-sessions [part~=summary]').isVisible()).toBe(true);
    expect(await page.locator('#guest').isVisible()).toBe(false);
    expect(await axe(page)).toEqual([]);
    // The snippet on the page loads the same bundle from this server.
    expect(await page.locator('pre code').first().textContent()).toContain(`${gatehouseUrl}/ui/gatehouse-ui.js`);
    await context.close();
  });

  it('reported no CSP violation on any page', () => {
    expect(cspViolations).toEqual([]);
  });
});
