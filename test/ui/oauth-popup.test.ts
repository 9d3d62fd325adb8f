import { join, resolve } from 'node:path';
import { type NodeServer, serveNode } from '@gatehouse-auth/server';
import { startTestGatehouse, type TestGatehouse } from '@gatehouse-auth/server/testing';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../../packages/server/src/testing/oidc-idp.js';
import { pageHtml, servePages } from '../../scripts/ui-pages.mjs';
import { freePort } from '../compat/serve.js';
import { SOURCE_ALIASES } from '../source-aliases.js';

/**
 * The "Sign in with Google" button of `<gatehouse-login-buttons oauth-redirect-url=…>` with no page handler and
 * no Meteor `loginWith` in the SDK: App Services' popup flow, for real — the button opens Gatehouse in a popup,
 * Gatehouse sends it to an OpenID provider on loopback (playing Google), back to Gatehouse, then to the app's
 * redirect page, which calls the SDK's `handleAuthRedirect()`; the opener is signed in and the button shows it.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CLIENT_ID = 'ui-browser-client';
const CLIENT_SECRET = 'a-client-secret-for-the-ui-browser-test';
const APP = 'ui-oauth-app';

describe('<gatehouse-login-buttons> external service through the popup flow, in Chromium', () => {
  let t: TestGatehouse;
  let node: NodeServer;
  let idp: TestIdp | undefined;
  let pages: { url: string; close(): Promise<void> } | undefined;
  let browser: Browser;

  beforeAll(async () => {
    const [gatehousePort, idpPort] = [await freePort(), await freePort()];
    const gatehouseUrl = `http://127.0.0.1:${gatehousePort}`;
    const issuer = `http://127.0.0.1:${idpPort}`;
    idp = await startTestIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${gatehouseUrl}/api/client/v2.0/auth/callback`],
      pkce: true,
      port: idpPort,
    });
    const bundle = async (entry: string) =>
      (
        await build({
          stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
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
        })
      ).outputFiles[0]?.text ?? '';
    // The page's bundle also carries handleAuthRedirect, for the redirect page.
    const code = await bundle(
      `export * from ${JSON.stringify(join(ROOT, 'packages/ui/src/index.ts'))};
       export { handleAuthRedirect } from '@gatehouse-auth/client';`,
    );
    pages = await servePages(code, (path: string) => {
      if (path === '/redirect')
        return `<!doctype html><meta charset="utf-8"><title>redirect</title>
<script type="module">import { handleAuthRedirect } from '/ui.js'; handleAuthRedirect();</script>`;
      if (path !== '/') return undefined;
      return pageHtml({
        appId: APP,
        baseUrl: gatehouseUrl,
        body: `<header><gatehouse-login-buttons oauth-redirect-url="${redirectUrl()}"></gatehouse-login-buttons></header>`,
      });
    });
    const redirectUrl = () => `${pages?.url}/redirect`;
    t = await startTestGatehouse('sqlite', {
      config: {
        publicUrl: gatehouseUrl,
        apps: {
          [APP]: {
            oauthRedirectUris: [redirectUrl()],
            providers: {
              'local-userpass': { confirmation: 'auto' },
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
      gatehouse: { now: Date.now },
    });
    node = await serveNode(t.gatehouse, { host: '127.0.0.1', port: gatehousePort });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await idp?.close();
    await node?.server.close();
    await t?.close();
  });

  it('signs in through the popup; the toggle then shows the Google account', async () => {
    const page = await browser.newPage();
    await page.goto(`${pages?.url}/`);
    const buttons = page.locator('gatehouse-login-buttons');
    await buttons.locator('[part~=toggle]').click();
    const popupOpened = page.waitForEvent('popup');
    await buttons.getByRole('button', { name: 'Sign in with Google' }).click();
    const popup = await popupOpened;
    await popup.waitForSelector('input[name="login"]', { timeout: 15_000 });
    await popup.fill('input[name="login"]', 'grace');
    await popup.fill('input[name="password"]', 'any');
    await popup.click('button[type="submit"]');
    await popup.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached', timeout: 15_000 });
    await popup.click('button[type="submit"]');
    await expect
      .poll(() => buttons.locator('[part~=toggle]').textContent(), { timeout: 15_000 })
      .toContain('User grace'); // the provider's `name`, first in accounts-ui's order
    const identities = await page.evaluate(
      () => (document.querySelector('gatehouse-login-buttons') as any).boundApp.currentUser.identities,
    );
    expect(identities).toEqual([{ id: 'grace', providerType: 'oauth2-google' }]);
    await page.close();
  });
});
