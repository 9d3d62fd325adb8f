import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveGatehouse, startGatehouse, uniqueEmail } from '../client/harness.js';

/**
 * @gatehouse-auth/client in real Chromium (Debian's /usr/bin/chromium driven by playwright-core), with its default
 * storage, `localStorage`: log in, reload and still have the user; stop the server, reload, and the user is
 * still there (offline start); start the server again, and the next call refreshes the expired token and
 * succeeds. The page and the SDK bundle (built here with esbuild, for the browser) come from a small
 * loopback static server; Gatehouse is another origin, so every call goes through CORS. Then the same for
 * `createAccounts` (Meteor's API): its user document is kept in `localStorage` and read back offline.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const APP = 'browser-app';
const PASSWORD = 'correct horse battery staple';

describe('@gatehouse-auth/client in Chromium', () => {
  let gatehouse: LiveGatehouse;
  let pages: Server;
  let pageUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    gatehouse = await startGatehouse('sqlite', {
      [APP]: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } },
    });
    gatehouse.setClockOffset(0);
    const bundle = await build({
      entryPoints: [join(ROOT, 'packages/client/src/index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      alias: { '@gatehouse-auth/core': join(ROOT, 'packages/core/src/index.ts') },
    });
    const sdk = bundle.outputFiles[0]?.text ?? '';
    const html = `<!doctype html><meta charset="utf-8"><title>Gatehouse client</title>
<script type="module">
  import * as sdk from '/sdk.js';
  window.sdk = sdk;
  window.app = new sdk.App({ id: ${JSON.stringify(APP)}, baseUrl: ${JSON.stringify(gatehouse.url)} });
  window.ready = true;
</script>`;
    pages = createServer((request, response) => {
      const [type, body] =
        request.url === '/sdk.js' ? ['text/javascript', sdk] : request.url === '/' ? ['text/html', html] : [];
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': type ?? 'text/plain' });
      response.end(body ?? 'not found');
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => pages?.close(r));
    await gatehouse?.close();
  });

  async function open(): Promise<void> {
    await page.goto(pageUrl);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  }

  /** The current user as the page sees it. */
  const current = () =>
    page.evaluate(() => {
      const user = (window as any).app.currentUser;
      return user && { id: user.id, email: user.profile.email, state: user.state, identities: user.identities.length };
    });

  it('logs in, keeps the user across reloads, starts offline, and refreshes once the server is back', async () => {
    await open();
    expect(await current()).toBeNull();
    const email = uniqueEmail('chromium');
    const id = await page.evaluate(
      async ({ email, password }) => {
        const { app, sdk } = window as any;
        await app.emailPasswordAuth.registerUser({ email, password });
        const user = await app.logIn(sdk.Credentials.emailPassword(email, password));
        return user.id as string;
      },
      { email, password: PASSWORD },
    );
    expect(await current()).toEqual({ id, email, state: 'active', identities: 1 });
    const keys = await page.evaluate(() => Object.keys(localStorage).sort());
    expect(keys).toContain(`realm-web:app(${APP}):userIds`);
    expect(keys).toContain(`realm-web:app(${APP}):user(${id}):refreshToken`);

    await page.reload();
    await page.waitForFunction(() => (window as any).ready === true);
    expect(await current()).toEqual({ id, email, state: 'active', identities: 1 });

    // The server goes away; the page reloads and starts from localStorage alone.
    await gatehouse.stop();
    await page.reload();
    await page.waitForFunction(() => (window as any).ready === true);
    expect(await current()).toEqual({ id, email, state: 'active', identities: 1 });
    const offline = await page.evaluate(async () => {
      const user = (window as any).app.currentUser;
      try {
        await user.refreshProfile();
        return 'succeeded';
      } catch (error) {
        return `${(error as Error).name}; still ${user.state}`;
      }
    });
    expect(offline).toBe('TypeError; still active');

    // Back, a while later: the stored access token has expired. One refresh, then the call succeeds.
    gatehouse.advance(31 * 60_000);
    await gatehouse.start();
    gatehouse.requests.length = 0;
    const email2 = await page.evaluate(async () => {
      const user = (window as any).app.currentUser;
      await user.refreshProfile();
      return user.profile.email as string;
    });
    expect(email2).toBe(email);
    expect(gatehouse.count('POST', '/api/client/v2.0/auth/session')).toBe(1);
    expect(
      gatehouse.requests.filter((r) => r.method !== 'OPTIONS').map((r) => `${r.method} ${r.path} ${r.auth}`),
    ).toEqual([
      `GET /api/client/v2.0/app/${APP}/location none`,
      'GET /api/client/v2.0/auth/profile access', // refused: expired
      'POST /api/client/v2.0/auth/session refresh',
      'GET /api/client/v2.0/auth/profile access',
    ]);
    expect(await current()).toEqual({ id, email, state: 'active', identities: 1 });
  });

  it("createAccounts: Meteor's API across origins; user() comes back from localStorage after an offline reload", async () => {
    await open();
    const email = uniqueEmail('chromium-meteor');
    const username = (email.split('@')[0] as string).replace(/[^\w-]/g, '_');
    const online = await page.evaluate(
      async ({ username, email, password }) => {
        const accounts = (window as any).sdk.createAccounts((window as any).app);
        await accounts.logout();
        await accounts.createUser({ username, email, password, profile: { name: 'Ada' } });
        await accounts.logout();
        await accounts.loginWithPassword({ email }, password);
        return JSON.stringify(accounts.user());
      },
      { username, email, password: PASSWORD },
    );
    const doc = JSON.parse(online);
    expect(doc).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
      username,
      // Confirmed automatically (the app's choice), but nobody proved the mailbox: Meteor's `verified` stays false.
      emails: [{ address: email, verified: false }],
      profile: { name: 'Ada' },
      createdAt: expect.any(String),
    });
    const keys = await page.evaluate(() => Object.keys(localStorage));
    expect(keys).toContain(`realm-web:app(${APP}):user(${doc._id}):document`);

    await gatehouse.stop();
    try {
      await page.reload();
      await page.waitForFunction(() => (window as any).ready === true);
      const offline = await page.evaluate(() => {
        const accounts = (window as any).sdk.createAccounts((window as any).app);
        return JSON.stringify({ user: accounts.user(), userId: accounts.userId() });
      });
      expect(JSON.parse(offline)).toEqual({ user: doc, userId: doc._id });
    } finally {
      await gatehouse.start();
    }
  });
});
