import { type NodeServer, serveNode } from '@gatehouse-auth/server';
import { startTestGatehouse, type TestGatehouse } from '@gatehouse-auth/server/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The admin console at /admin, in Debian's Chromium, against a real Gatehouse on loopback. */
describe('admin console (Chromium)', () => {
  let t: TestGatehouse;
  let server: NodeServer;
  let browser: Browser;
  let key: string;
  const violations: string[] = [];

  beforeAll(async () => {
    t = await startTestGatehouse('sqlite', {
      config: {
        admin: { console: true },
        apps: {
          'test-app-abcde': {
            name: 'Test App',
            providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
          },
        },
      },
    });
    for (const name of ['ann', 'bob', 'cyd']) {
      const email = `${name}@example.com`;
      await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
        body: { email, password: 'correct horse battery' },
      });
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: email, password: 'correct horse battery' },
        headers: { 'user-agent': `Browser-of-${name}/1.0` },
      });
    }
    key = (await t.gatehouse.adminKeys.create({ appId: t.appId, name: 'support' })).key;
    server = await serveNode(t.gatehouse, { host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  const open = async (): Promise<Page> => {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) violations.push(m.text());
    });
    page.on('dialog', (d) => d.accept());
    page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
    page.setDefaultTimeout(10_000);
    const res = await page.goto(`${server.url}/admin`);
    expect(res?.status()).toBe(200);
    return page;
  };

  it('is served with a strict policy, and is off unless configured', async () => {
    const res = await fetch(`${server.url}/admin`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[^']+'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');

    // The OpenAPI document lists the page only where it is mounted.
    const paths = (await (await fetch(`${server.url}/api/openapi.json`)).json()).paths;
    expect(paths['/admin']?.get).toBeDefined();
    const off = await startTestGatehouse('sqlite');
    try {
      expect((await off.request('GET', '/admin')).status).toBe(404);
      expect((await off.request('GET', '/api/openapi.json')).json.paths['/admin']).toBeUndefined();
    } finally {
      await off.close();
    }
  });

  it('signs in with an admin key (kept in sessionStorage), lists, searches and shows users, disables and deletes', async () => {
    const page = await open();
    await page.fill('#admin-key', 'gha_wrong');
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#flash.error');
    expect(await page.textContent('#flash')).toContain('AuthError');

    await page.fill('#admin-key', key);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#users tbody tr[data-user]');
    expect(await page.locator('#users tbody tr[data-user]').count()).toBe(3);
    expect(await page.evaluate(() => sessionStorage.getItem('gatehouse-admin-key'))).toBe(key);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.textContent('#providers')).toContain('local-userpass');

    await page.fill('#search', 'BOB@');
    await page.click('#search-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#users tbody tr[data-user]').length === 1);
    expect(await page.textContent('#users tbody')).toContain('bob@example.com');

    await page.click('#users tbody tr[data-user] a');
    await page.waitForSelector('#user-title');
    expect(await page.textContent('#user-title')).toBe('bob@example.com');
    expect(await page.textContent('#sessions')).toContain('Browser-of-bob/1.0');
    expect(await page.textContent('#audit')).toContain('login');
    expect(await page.textContent('#identities')).toContain('local-userpass');

    await page.click('#disable');
    await page.waitForFunction(() => document.querySelector('#user-title')?.textContent?.includes('(disabled)'));
    expect(await page.textContent('#sessions')).toContain('None.');
    expect(await page.textContent('#audit')).toContain('user-disabled');
    const login = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: 'bob@example.com', password: 'correct horse battery' },
    });
    expect(login.json.error_code).toBe('UserDisabled');

    // A reload keeps the tab signed in.
    await page.reload();
    await page.waitForSelector('#users tbody tr[data-user]');

    await page.fill('#search', 'bob');
    await page.click('#search-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#users tbody tr[data-user]').length === 1);
    await page.click('#users tbody tr[data-user] a');
    await page.waitForSelector('#delete');
    await page.click('#delete');
    await page.waitForSelector('#search-form');
    await page.waitForFunction(() => document.querySelector('#flash')?.textContent === 'User deleted.');
    expect(await t.gatehouse.storage.findUserByEmail(t.appId, 'bob@example.com')).toBeNull();

    await page.click('#sign-out');
    await page.waitForSelector('#admin-key');
    expect(await page.evaluate(() => sessionStorage.getItem('gatehouse-admin-key'))).toBeNull();
    await page.close();
    expect(violations).toEqual([]);
  });
});
