import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePages } from '../../scripts/ui-pages.mjs';
import { type LiveGatehouse, startGatehouse, uniqueEmail } from '../client/harness.js';
import { SOURCE_ALIASES } from '../source-aliases.js';
import { Root } from './fixture-root.js';

/**
 * `<SignIn/>` and `<UserButton/>` of @gatehouse-auth/react in Chromium: the page is rendered on the server
 * (react-dom/server), hydrated in the browser, then a person signs in and out — and the app's own component,
 * reading `useUser()`, follows: the components and the hooks share the App's one store.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const APP = 'react-ui-app';
const PASSWORD = 'correct horse battery staple';

describe('@gatehouse-auth/react UI components in Chromium', () => {
  let gatehouse: LiveGatehouse;
  let pages: { url: string; close(): Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync('/usr/bin/chromium')) throw new Error('/usr/bin/chromium is missing');
    gatehouse = await startGatehouse('sqlite', {
      [APP]: { providers: { 'local-userpass': { confirmation: 'auto' } } },
    });
    gatehouse.setClockOffset(0);
    const entry = `import { createElement } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { Root } from ${JSON.stringify(join(ROOT, 'test/react/fixture-root.ts'))};
hydrateRoot(document.getElementById('root'), createElement(Root, window.props), {
  onRecoverableError: (error) => { window.hydrationErrors.push(String(error)); },
});`;
    const bundle = await build({
      stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      charset: 'utf8',
      write: false,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
      alias: {
        ...SOURCE_ALIASES,
        '@gatehouse-auth/react': join(ROOT, 'packages/react/src/index.ts'),
      },
      plugins: [
        {
          name: 'ui-blocks',
          setup(b) {
            b.onResolve({ filter: /^@gatehouse-auth\/ui\/[\w-]+$/ }, (args) => ({
              path: join(ROOT, `packages/ui/src/elements/${args.path.split('/')[2]}.ts`),
            }));
          },
        },
      ],
    });
    const code = bundle.outputFiles[0]?.text ?? '';
    const props = { appId: APP, baseUrl: gatehouse.url };
    pages = await servePages(code, (path: string) => {
      if (path !== '/') return undefined;
      const html = renderToString(createElement(Root, props));
      return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React</title><link rel="icon" href="data:,">
<script>window.props = ${JSON.stringify(props)}; window.hydrationErrors = [];</script>
<script type="module" src="/ui.js"></script></head><body><div id="root">${html}</div></body></html>`;
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await gatehouse?.close();
  });

  it('hydrates the server-rendered page; signing in with <SignIn/> updates useUser(); <UserButton/> signs out', async () => {
    const email = uniqueEmail('react-ui');
    await fetch(`${gatehouse.url}/api/client/v2.0/app/${APP}/auth/providers/local-userpass/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(pages.url);
    // Before any script ran, the server's markup is there.
    expect(await page.locator('#status').textContent()).toBe('signed out (0)');
    const signIn = page.locator('gatehouse-sign-in');
    await signIn.getByLabel('Email', { exact: true }).fill(email);
    await signIn.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await signIn.getByLabel('Password', { exact: true }).press('Enter');
    await expect.poll(() => page.locator('#status').textContent()).toBe(`user: ${email} (1)`);
    const menu = page.locator('gatehouse-user-menu');
    await menu.locator('[part~=toggle]').click();
    await menu.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('signed out (1)');
    expect(await page.evaluate(() => (window as any).hydrationErrors)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
