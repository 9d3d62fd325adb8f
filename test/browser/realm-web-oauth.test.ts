import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { type NodeServer, serveNode } from '@gatehouse-auth/server';
import { startTestGatehouse, type TestGatehouse } from '@gatehouse-auth/server/testing';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../../packages/server/src/testing/oidc-idp.js';
import { freePort } from '../compat/serve.js';

/**
 * The OAuth2 redirect flow with the real realm-web 2.0.1 in real Chromium: the app page calls
 * `app.logIn(Credentials.google({ redirectUrl }))`, realm-web opens the popup at Gatehouse, Gatehouse sends it
 * to a real OpenID provider (oidc-provider on loopback, playing Google) whose login and consent pages are
 * filled in, the provider returns to Gatehouse's callback, Gatehouse redirects to the app's redirect page,
 * which calls `Realm.handleAuthRedirect()`; the opener's `logIn` resolves with the user. Four loopback
 * origins: the app pages, Gatehouse, the provider — every hop is a real browser navigation.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const CLIENT_ID = 'realm-web-browser-client';
const CLIENT_SECRET = 'a-client-secret-for-the-browser-test';

describe('realm-web Credentials.google({ redirectUrl }) in Chromium', () => {
  let t: TestGatehouse;
  let node: NodeServer;
  let idp: TestIdp | undefined;
  let pages: Server;
  let browser: Browser;
  let pageUrl: string;
  let redirectUrl: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    const [gatehousePort, idpPort, pagesPort] = [await freePort(), await freePort(), await freePort()];
    const gatehouseUrl = `http://127.0.0.1:${gatehousePort}`;
    const issuer = `http://127.0.0.1:${idpPort}`;
    pageUrl = `http://127.0.0.1:${pagesPort}/`;
    redirectUrl = `http://127.0.0.1:${pagesPort}/redirect`;

    idp = await startTestIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${gatehouseUrl}/api/client/v2.0/auth/callback`],
      pkce: true,
      port: idpPort,
    });

    t = await startTestGatehouse('sqlite', {
      config: {
        publicUrl: gatehouseUrl,
        apps: {
          'browser-oauth-app': {
            oauthRedirectUris: [redirectUrl],
            providers: {
              'anon-user': {},
              'oauth2-google': {
                clientId: CLIENT_ID,
                clientSecret: CLIENT_SECRET,
                issuer,
                jwksUrl: `${issuer}/jwks`,
                tokenEndpoint: `${issuer}/token`,
                authorizationEndpoint: `${issuer}/auth`,
              },
            },
          },
        },
      },
      // The provider and the browser run on the real clock.
      gatehouse: { now: Date.now },
    });
    node = await serveNode(t.gatehouse, { host: '127.0.0.1', port: gatehousePort });

    // realm-web's browser build (its package.json `browser` map), bundled for the page.
    const bundle = await build({
      stdin: { contents: "import * as Realm from 'realm-web'; window.Realm = Realm;", resolveDir: ROOT },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      write: false,
      define: { global: 'globalThis' },
      logLevel: 'silent',
    });
    const realm = bundle.outputFiles[0]?.text ?? '';
    const main = `<!doctype html><meta charset="utf-8"><title>app</title><script src="/realm.js"></script>
<script>window.app = new Realm.App({ id: 'browser-oauth-app', baseUrl: ${JSON.stringify(gatehouseUrl)} });</script>`;
    const redirect = `<!doctype html><meta charset="utf-8"><title>redirect</title><script src="/realm.js"></script>
<script>Realm.handleAuthRedirect();</script>`;
    pages = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const [type, body] =
        path === '/realm.js'
          ? ['text/javascript', realm]
          : path === '/'
            ? ['text/html', main]
            : path === '/redirect'
              ? ['text/html', redirect]
              : [];
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': type ?? 'text/plain' });
      response.end(body ?? 'not found');
    });
    await new Promise<void>((r) => pages.listen(pagesPort, '127.0.0.1', r));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => pages?.close(r));
    await idp?.close();
    await node?.server.close();
    await t?.close();
  });

  it('logs in through the popup and handleAuthRedirect, then uses the session', async () => {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    const popupOpened = page.waitForEvent('popup');
    await page.evaluate((url) => {
      const w = window as unknown as { Realm: any; app: any; result?: Promise<unknown> };
      w.result = w.app.logIn(w.Realm.Credentials.google({ redirectUrl: url })).then(
        async (user: any) => {
          await user.refreshProfile();
          const deviceId = localStorage.getItem('realm-web:app(browser-oauth-app):deviceId');
          return { id: user.id, identities: user.identities, email: user.profile.email, deviceId };
        },
        (error: Error) => ({ error: String(error) }),
      );
    }, redirectUrl);
    const popup = await popupOpened;
    // The provider's development login page, then its consent page.
    await popup.waitForSelector('input[name="login"]', { timeout: 15_000 });
    await popup.fill('input[name="login"]', 'erin');
    await popup.fill('input[name="password"]', 'any');
    await popup.click('button[type="submit"]');
    await popup.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached', timeout: 15_000 });
    await popup.click('button[type="submit"]');

    const result = (await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)) as Record<
      string,
      unknown
    >;
    expect(result.error).toBeUndefined();
    expect(result.identities).toEqual([{ id: 'erin', providerType: 'oauth2-google' }]);
    expect(result.email).toBe('erin@example.com');
    expect(result.deviceId).toMatch(/^[0-9a-f]{24}$/);
    // realm-web closed the popup once the result arrived.
    await expect.poll(() => popup.isClosed(), { timeout: 5000 }).toBe(true);

    // Again: the provider remembers the user and the consent, so the popup goes straight back. realm-web now
    // sends the stored device id in `device`, and gets the same user and device back.
    const secondPopup = page.waitForEvent('popup');
    const again = (await page.evaluate(async (url) => {
      const w = window as unknown as { Realm: any; app: any };
      const user = await w.app.logIn(w.Realm.Credentials.google({ redirectUrl: url }));
      return { id: user.id, deviceId: localStorage.getItem('realm-web:app(browser-oauth-app):deviceId') };
    }, redirectUrl)) as Record<string, unknown>;
    await secondPopup;
    expect(again).toEqual({ id: result.id, deviceId: result.deviceId });
    await page.close();
  });

  it('links through the popup: CORS with credentials, X-BAAS-Location, identity appended', async () => {
    // A new context: a new browser profile, so the provider asks who is signing in.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pageUrl);
    const popupOpened = page.waitForEvent('popup');
    await page.evaluate(async (url) => {
      const w = window as unknown as { Realm: any; app: any; linked?: Promise<unknown> };
      const user = await w.app.logIn(w.Realm.Credentials.anonymous());
      w.linked = user.linkCredentials(w.Realm.Credentials.google({ redirectUrl: url })).then(
        () => ({ id: user.id, current: w.app.currentUser.id, identities: user.identities }),
        (error: Error) => ({ error: String(error) }),
      );
    }, redirectUrl);
    const popup = await popupOpened;
    await popup.waitForSelector('input[name="login"]', { timeout: 15_000 });
    await popup.fill('input[name="login"]', 'frank');
    await popup.fill('input[name="password"]', 'any');
    await popup.click('button[type="submit"]');
    await popup.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached', timeout: 15_000 });
    await popup.click('button[type="submit"]');
    // Gatehouse asks the person at the browser to confirm the link, naming both accounts.
    await popup.waitForSelector('button[value="link"]', { timeout: 15_000 });
    expect(await popup.textContent('body')).toContain('frank@example.com');
    await popup.click('button[value="link"]');
    const linked = (await page.evaluate(() => (window as unknown as { linked: Promise<unknown> }).linked)) as Record<
      string,
      unknown
    >;
    expect(linked.error).toBeUndefined();
    expect(linked.current).toBe(linked.id);
    expect(linked.identities).toEqual([
      expect.objectContaining({ providerType: 'anon-user' }),
      { id: 'frank', providerType: 'oauth2-google' },
    ]);
    await context.close();
  });
});
