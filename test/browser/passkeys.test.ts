import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageHtml } from '../../scripts/ui-pages.mjs';
import { type LiveGatehouse, startGatehouse, uniqueEmail } from '../client/harness.js';
import { SOURCE_ALIASES } from '../source-aliases.js';

/**
 * Passkeys in real Chromium, through `@gatehouse-auth/client/passkeys`, with the DevTools virtual authenticator
 * (CTAP2, resident keys, user verification): register a passkey on a signed-in user, sign in with it through
 * the passkey dialog and through autofill (conditional UI), and a cloned authenticator — the same credential
 * with a lower signature counter — is refused. The page is served from `http://localhost:<port>` (a secure
 * context, and a valid rp id); Gatehouse is another origin on 127.0.0.1.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const APP = 'passkey-app';
/** An app without passkeys: its sign-in form shows no passkey button. */
const PLAIN_APP = 'plain-app';
const PASSWORD = 'correct horse battery staple';

describe('passkeys in Chromium (virtual authenticator)', () => {
  let gatehouse: LiveGatehouse;
  let pages: Server;
  let pageUrl: string;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    const bundle = await build({
      stdin: {
        contents: "export * from './index.ts'; export * from './passkeys.ts';",
        resolveDir: join(ROOT, 'packages/client/src'),
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      alias: { '@gatehouse-auth/core': join(ROOT, 'packages/core/src/index.ts') },
    });
    const sdk = bundle.outputFiles[0]?.text ?? '';
    const uiBundle = await build({
      entryPoints: [join(ROOT, 'packages/ui/src/index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      charset: 'utf8',
      write: false,
      logLevel: 'silent',
      alias: {
        ...SOURCE_ALIASES,
      },
    });
    const ui = uiBundle.outputFiles[0]?.text ?? '';
    let html = '';
    const uiPage = (appId: string) =>
      pageHtml({ appId, baseUrl: gatehouse.url, body: '<main><gatehouse-sign-in></gatehouse-sign-in></main>' });
    pages = createServer((request, response) => {
      const [type, body] =
        request.url === '/sdk.js'
          ? ['text/javascript', sdk]
          : request.url === '/ui.js'
            ? ['text/javascript', ui]
            : request.url === '/'
              ? ['text/html', html]
              : request.url === '/ui'
                ? ['text/html', uiPage(APP)]
                : request.url === '/plain'
                  ? ['text/html', uiPage(PLAIN_APP)]
                  : [];
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': type ?? 'text/plain' });
      response.end(body ?? 'not found');
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    const origin = `http://localhost:${(pages.address() as AddressInfo).port}`;
    pageUrl = `${origin}/`;
    gatehouse = await startGatehouse('sqlite', {
      [APP]: {
        providers: {
          'local-userpass': { confirmation: 'auto' },
          passkey: { rpId: 'localhost', origins: [origin], userVerification: 'required' },
        },
      },
      [PLAIN_APP]: { providers: { 'local-userpass': { confirmation: 'auto' } } },
    });
    gatehouse.setClockOffset(0);
    html = `<!doctype html><meta charset="utf-8"><title>Passkeys</title>
<form><input id="username" name="username" autocomplete="username webauthn"></form>
<script type="module">
  import * as sdk from '/sdk.js';
  window.sdk = sdk;
  window.app = new sdk.App({ id: ${JSON.stringify(APP)}, baseUrl: ${JSON.stringify(gatehouse.url)} });
  window.ready = true;
</script>`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await page.goto(pageUrl);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => pages?.close(r));
    await gatehouse?.close();
  });

  const addAuthenticator = async (): Promise<string> =>
    (
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      })
    ).authenticatorId;

  /** Signs in with a passkey from the page; resolves with the user id, or the error's name and code. */
  const signIn = (useBrowserAutofill = false) =>
    page.evaluate(async (autofill) => {
      const { app, sdk } = window as any;
      try {
        const user = await sdk.logInWithPasskey(app, { useBrowserAutofill: autofill });
        return { userId: user.id as string };
      } catch (error) {
        return { error: (error as Error).name, code: (error as { errorCode?: string }).errorCode };
      }
    }, useBrowserAutofill);

  let userId = '';
  /** How many passkey logins the audit log has of the user. */
  const passkeyLogins = async () =>
    (await gatehouse.gatehouse.storage.listAuditEvents(APP, { userId, limit: 1000 })).filter(
      (e) => e.type === 'login' && e.detail.provider === 'passkey',
    ).length;
  let authenticatorId = '';

  it('registers a passkey on a signed-in user, and signs in with it', async () => {
    authenticatorId = await addAuthenticator();
    const email = uniqueEmail('passkey');
    const registered = await page.evaluate(
      async ({ email, password }) => {
        const { app, sdk } = window as any;
        await app.emailPasswordAuth.registerUser({ email, password });
        const user = await app.logIn(sdk.Credentials.emailPassword(email, password));
        const passkey = await sdk.registerPasskey(user, { name: 'Virtual' });
        const listed = await sdk.listPasskeys(user);
        await user.logOut();
        return { userId: user.id as string, passkey, listed: listed.map((p: { name: string }) => p.name) };
      },
      { email, password: PASSWORD },
    );
    userId = registered.userId;
    expect(registered.passkey).toMatchObject({ name: 'Virtual', transports: ['internal'] });
    expect(registered.listed).toEqual(['Virtual']);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);

    expect(await signIn()).toEqual({ userId });
    expect(await passkeyLogins()).toBe(1);
    await page.evaluate(() => (window as any).app.currentUser.logOut());
  });

  it('signs in through autofill (conditional UI) on an input with autocomplete="username webauthn"', async () => {
    expect(await page.evaluate(() => (window as any).sdk.browserSupportsPasskeyAutofill())).toBe(true);
    await page.focus('#username');
    // Record how the SDK asks the browser: autofill is `mediation: 'conditional'`, not the modal dialog.
    await page.evaluate(() => {
      const get = navigator.credentials.get.bind(navigator.credentials);
      (window as any).mediations = [];
      navigator.credentials.get = (options?: CredentialRequestOptions) => {
        (window as any).mediations.push(options?.mediation ?? 'optional');
        return get(options);
      };
    });
    expect(await signIn(true)).toEqual({ userId });
    expect(await page.evaluate(() => (window as any).mediations)).toEqual(['conditional']);
    await page.evaluate(() => (window as any).app.currentUser.logOut());
  });

  it('refuses a cloned authenticator whose signature counter is behind', async () => {
    // One more sign-in, so the server has seen a counter above the clone's.
    expect(await signIn()).toEqual({ userId });
    await page.evaluate(() => (window as any).app.currentUser.logOut());
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const original = credentials[0];
    if (!original) throw new Error('no credential');
    expect(original.signCount).toBeGreaterThan(1);

    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    const clone = await addAuthenticator();
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId: clone,
      credential: { ...original, signCount: 0 },
    });
    expect(await signIn()).toMatchObject({ code: 'PasskeyRejected' });

    // The original authenticator (its counter ahead of the server's) still gets in.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: clone });
    authenticatorId = await addAuthenticator();
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: { ...original, signCount: original.signCount + 5 },
    });
    expect(await signIn()).toEqual({ userId });
  });

  /** The sign-in element's state: signed in (its text), its name field's autocomplete, a passkey button. */
  const signInElement = (target: Page) =>
    target.evaluate(() => {
      const root = document.querySelector('gatehouse-sign-in')?.shadowRoot;
      return {
        signedIn: root?.querySelector('[part~=signed-in]')?.textContent ?? null,
        autocomplete: root?.querySelector('input[name=login]')?.getAttribute('autocomplete') ?? null,
        passkeyButton: root?.querySelector('[part~=passkey]')?.textContent?.trim() ?? null,
      };
    });

  it('<gatehouse-sign-in> signs in through passkey autofill when the app has passkeys on', async () => {
    // Signed out first (the page keeps its user in localStorage, which the element's page shares).
    await page.evaluate(() => (window as any).app.currentUser?.logOut());
    expect(await page.evaluate(() => (window as any).app.currentUser)).toBeNull();
    const before = await passkeyLogins();
    await page.goto(`${pageUrl}ui`);
    await page.waitForFunction(() => {
      const root = document.querySelector('gatehouse-sign-in')?.shadowRoot;
      return !!root?.querySelector('[part~=signed-in]');
    });
    const state = await signInElement(page);
    expect(state.signedIn).toContain('Signed in as');
    expect(await passkeyLogins()).toBe(before + 1);
  });

  it('<gatehouse-sign-in> has a passkey button (and no autofill where the browser has none)', async () => {
    const other = await browser.newPage();
    // A browser without passkey autofill: only the button signs in.
    await other.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    const session = await other.context().newCDPSession(other);
    await session.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId: id } = await session.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const [credential] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    if (!credential) throw new Error('no credential');
    await session.send('WebAuthn.addCredential', {
      authenticatorId: id,
      credential: { ...credential, signCount: credential.signCount + 100 },
    });
    await other.goto(`${pageUrl}ui`);
    const button = other.locator('gatehouse-sign-in [part~=passkey]');
    await button.waitFor();
    expect(await signInElement(other)).toEqual({
      signedIn: null,
      autocomplete: 'username webauthn',
      passkeyButton: 'Sign in with a passkey',
    });
    await button.click();
    await other.locator('gatehouse-sign-in [part~=signed-in]').waitFor();
    expect((await signInElement(other)).signedIn).toContain('Signed in as');

    // An app without passkeys: no button, a plain username field.
    const providers = other.waitForResponse((r) => r.url().endsWith(`/app/${PLAIN_APP}/auth/providers`));
    await other.goto(`${pageUrl}plain`);
    await providers;
    await other.locator('gatehouse-sign-in input[name=login]').waitFor();
    await other.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    expect(await signInElement(other)).toEqual({ signedIn: null, autocomplete: 'username', passkeyButton: null });
    await other.close();
  });
});
