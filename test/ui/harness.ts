import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateEncryptionKey } from '@gatehouse-auth/server';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { axeSource, pageHtml, servePages } from '../../scripts/ui-pages.mjs';
import { type LiveGatehouse, startGatehouse } from '../client/harness.js';
import { SOURCE_ALIASES } from '../source-aliases.js';

/**
 * What the UI browser tests share: @gatehouse-auth/ui bundled from its sources (esbuild, for the browser), a
 * real Gatehouse on loopback (SQLite, outbox mail), a page server on another origin whose `/confirm` and
 * `/reset` pages are where the mailed links point, and Debian's Chromium.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery staple';

/** The app whose new accounts confirm their email by link (links land on the page server). */
export const EMAIL_APP = 'ui-email-app';
/** The app that confirms at once. */
export const AUTO_APP = 'ui-auto-app';
/** An app whose only login is Google (accounts-ui's single-service mode). */
export const GOOGLE_APP = 'ui-google-app';
/** An app with passwordless sign-in (the `email-code` provider) and passwords, whose users may turn on two-factor. */
export const CODE_APP = 'ui-code-app';
/** An app with no login method a browser can use. */
export const NONE_APP = 'ui-none-app';

export interface UiWorld {
  gatehouse: LiveGatehouse;
  pagesUrl: string;
  browser: Browser;
  /** A fresh page (own storage) at 1024×768, or `width` wide. */
  newPage(width?: number): Promise<Page>;
  /** Opens `body` on `page` in `lang`, for `app`; resolves once the elements have rendered. */
  open(page: Page, body: string, options?: { lang?: string; app?: string; path?: string }): Promise<void>;
  /** The newest mailed link to `to` (after at least `count` mails). */
  mailedLink(to: string, count?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startUiWorld(): Promise<UiWorld> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const bundle = await build({
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
  const code = bundle.outputFiles[0]?.text ?? '';
  let gatehouseUrl = '';
  const bodies = new Map<string, { body: string; lang: string; app: string }>();
  const pages = await servePages(code, (path: string, query: URLSearchParams) => {
    // The mailed links land here: /confirm?token=…&tokenId=… and /reset?token=…&tokenId=…
    const linkPage: Record<string, string> = {
      '/confirm': '<main><gatehouse-confirm-email sign-in-href="/signin"></gatehouse-confirm-email></main>',
      '/reset':
        '<main><gatehouse-reset-password sign-in-href="/signin" forgot-password-href="/forgot"></gatehouse-reset-password></main>',
    };
    const stored = bodies.get(query.get('page') ?? '');
    const body = stored?.body ?? linkPage[path];
    if (body === undefined) return undefined;
    return pageHtml({
      lang: stored?.lang ?? query.get('lang') ?? 'en',
      appId: stored?.app ?? query.get('app') ?? EMAIL_APP,
      baseUrl: gatehouseUrl,
      body,
    });
  });
  // Two-factor secrets are sealed with the deployment's encryption keys.
  const start = (apps: Parameters<typeof startGatehouse>[1]) =>
    startGatehouse('sqlite', apps, { encryptionKeys: [generateEncryptionKey('ui')] });
  const gatehouse = await start({
    [EMAIL_APP]: {
      name: 'UI test (email)',
      providers: {
        'anon-user': {},
        'local-userpass': {
          confirmation: 'email',
          emailConfirmationUrl: `${pages.url}/confirm`,
          resetPasswordUrl: `${pages.url}/reset`,
        },
        'oauth2-google': { clientId: 'ui-test.apps.googleusercontent.com' },
      },
    },
    [AUTO_APP]: {
      name: 'UI test (auto)',
      providers: {
        'anon-user': {},
        'local-userpass': { confirmation: 'auto', resetPasswordUrl: `${pages.url}/reset` },
      },
    },
    [GOOGLE_APP]: { providers: { 'oauth2-google': { clientId: 'only-google.apps.googleusercontent.com' } } },
    [NONE_APP]: { providers: {} },
    [CODE_APP]: {
      name: 'UI test (codes)',
      accounts: { passwordless: true },
      providers: { 'local-userpass': { confirmation: 'auto' } },
    },
  });
  gatehouse.setClockOffset(0);
  gatehouseUrl = gatehouse.url;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  let n = 0;
  return {
    gatehouse,
    pagesUrl: pages.url,
    browser,
    async newPage(width = 1024) {
      const context = await browser.newContext({ viewport: { width, height: 768 } });
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      return page;
    },
    async open(page, body, { lang = 'en', app = EMAIL_APP, path = '/' } = {}) {
      const key = String(++n);
      bodies.set(key, { body, lang, app });
      await page.goto(`${pages.url}${path}?page=${key}`);
      await settle(page);
    },
    async mailedLink(to, count = 1) {
      for (let i = 0; i < 300; i++) {
        const mails = gatehouse.gatehouse.outbox?.list().filter((m) => m.to === to) ?? [];
        const match = mails.length >= count ? /(https?:\/\/\S+tokenId=[0-9a-f]{24})/.exec(mails[0]?.text ?? '') : null;
        if (match) return match[1] as string;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no mail to ${to}`);
    },
    async close() {
      await browser.close();
      await pages.close();
      await gatehouse.close();
    },
  };
}

/** Waits until every Gatehouse element on the page is defined and has rendered (catalogues loaded). */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const all = [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('gatehouse-'));
    return all.every((e) => customElements.get(e.localName) && (e as any).hasUpdated && !(e as any).isUpdatePending);
  });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
}

/** axe-core's violations on the page (WCAG 2.x A and AA plus best practices), as `rule: target` lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource() });
  const violations = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (v: any) => `${v.id}: ${v.nodes.map((n: any) => JSON.stringify(n.target)).join(', ')} — ${v.help}`,
    );
  });
  return violations as string[];
}

/** The focused element, looking into shadow roots: its tag, name attribute and text. */
export function focused(page: Page): Promise<{ tag: string; name: string | null; text: string; outline: string }> {
  return page.evaluate(() => {
    let element = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    const style = element ? getComputedStyle(element) : null;
    return {
      tag: element?.localName ?? '',
      name: element?.getAttribute('name') ?? null,
      text: (element?.textContent ?? '').replace(/\s+/g, ' ').trim(),
      outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '',
    };
  });
}

/** Presses Tab until the focused element matches; fails after `max` presses. */
export async function tabTo(
  page: Page,
  match: (f: { tag: string; name: string | null; text: string }) => boolean,
  max = 15,
): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (match(await focused(page))) return;
  }
  throw new Error(`Tab never reached the element; last focused: ${JSON.stringify(await focused(page))}`);
}

/** The text of the first `[role=alert]` / `[role=status]` inside `selector`'s element (through shadow DOM). */
export async function regionText(page: Page, selector: string, role: 'alert' | 'status'): Promise<string> {
  const text = await page.locator(`${selector} [role=${role}]`).first().textContent();
  return (text ?? '').trim();
}
