#!/usr/bin/env node
import { createHmac } from 'node:crypto';
// Screenshots of every screen of @gatehouse-auth/ui, at desktop width and at 375 px, into docs/screenshots/:
// a real Gatehouse (in memory) on loopback, the built browser bundle, Debian's Chromium.
//
//   npm run build && npm run screenshots            # or name screens: npm run screenshots -- email-code
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { App, memoryStorage } from '@gatehouse-auth/client';
import { enableUser2fa, generate2faActivationQrCode } from '@gatehouse-auth/client/passwordless';
import { createGatehouse, generateEncryptionKey, generateSigningKey, serveNode } from '@gatehouse-auth/server';
import { chromium } from 'playwright-core';
import { pageHtml, servePages } from './ui-pages.mjs';

const root = resolve(import.meta.dirname, '..');
const bundlePath = join(root, 'packages/ui/dist/browser/gatehouse-ui.js');
const out = join(root, 'docs/screenshots');
if (!existsSync(bundlePath)) {
  console.error('packages/ui/dist/browser/gatehouse-ui.js is missing: run `npm run build` first');
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const APP = 'demo-app';
/** The app with passwordless sign-in on (the code and two-factor screens). */
const CODES = 'demo-codes';
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'ada@example.com';
const CALLBACK = 'https://notes.example.com/auth/callback';
const port = await new Promise((r) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => r(free));
  });
});
const baseUrl = `http://127.0.0.1:${port}`;
const gatehouse = await createGatehouse({
  publicUrl: baseUrl,
  database: { url: 'sqlite::memory:' },
  keys: [await generateSigningKey('ES256')],
  passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  logLevel: 'silent',
  // The demo page of `gatehouse dev` is a screen too.
  dangerouslyEnableDevPages: true,
  admin: { console: true },
  encryptionKeys: [generateEncryptionKey('screenshots')],
  apps: {
    [CODES]: {
      name: 'Demo',
      accounts: { passwordless: true },
      providers: { 'local-userpass': { confirmation: 'auto' } },
    },
    [APP]: {
      name: 'Demo',
      // The hosted pages: where the sign-in page may return to, and the app's look.
      oauthRedirectUris: [CALLBACK],
      branding: { appUrl: 'https://notes.example.com/', colors: { primary: '#0f766e', page: '#eef2f1' } },
      providers: {
        'anon-user': {},
        'local-userpass': { confirmation: 'auto' },
        'oauth2-google': { clientId: 'demo.apps.googleusercontent.com' },
      },
    },
  },
});
const server = await serveNode(gatehouse, { host: '127.0.0.1', port });

const sdk = () => new App({ id: APP, baseUrl, storage: memoryStorage() });
await sdk().emailPasswordAuth.registerUser({ email: EMAIL, password: PASSWORD });
let people = 0;

const bodies = new Map();
const pages = await servePages(readFileSync(bundlePath, 'utf8'), (_path, query) => {
  const entry = bodies.get(query.get('s'));
  return entry && pageHtml({ title: 'Gatehouse UI', lang: entry.lang, appId: entry.app, baseUrl, body: entry.body });
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

const signIn = (page, email = EMAIL, id = APP) =>
  page.evaluate(
    async ({ email, password, id, url }) => {
      const app = window.gatehouseUi.appFor(id, url);
      await app.logIn(app.constructor.Credentials.emailPassword(email, password));
    },
    { email, password: PASSWORD, id, url: baseUrl },
  );
/** Someone new, signed in on two other devices already. */
async function personOnTwoDevices() {
  const email = `person${++people}@example.com`;
  await sdk().emailPasswordAuth.registerUser({ email, password: PASSWORD });
  for (let i = 0; i < 2; i++) await sdk().logIn(App.Credentials.emailPassword(email, PASSWORD));
  return email;
}
const deep = (page, selector) => page.locator(selector).first();

await new App({ id: CODES, baseUrl, storage: memoryStorage() }).emailPasswordAuth.registerUser({
  email: EMAIL,
  password: PASSWORD,
});

// A user of CODES with two-factor on (the first code computed here, RFC 6238), for the two-factor step.
const TOTP_USER = 'totp@example.com';
{
  const app = new App({ id: CODES, baseUrl, storage: memoryStorage() });
  await app.emailPasswordAuth.registerUser({ email: TOTP_USER, password: PASSWORD });
  const user = await app.logIn(App.Credentials.emailPassword(TOTP_USER, PASSWORD));
  const { secret } = await generate2faActivationQrCode(user);
  await enableUser2fa(user, totp(secret, Date.now()));
}

function totp(secret, timeMs) {
  let bits = '';
  for (const c of secret) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => Number.parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[19] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Every screen: a name, the page body, its language, what to do before the picture, and the app (default APP). */
const screens = [
  [
    'login-buttons',
    '<header><gatehouse-login-buttons align="right"></gatehouse-login-buttons></header>',
    'en',
    async (p) => {
      await deep(p, 'gatehouse-login-buttons [part~=toggle]').click();
      await deep(p, 'gatehouse-oauth-buttons button').waitFor();
    },
  ],
  [
    'login-buttons-create-account',
    '<header><gatehouse-login-buttons align="right"></gatehouse-login-buttons></header>',
    'en',
    async (p) => {
      await deep(p, 'gatehouse-login-buttons [part~=toggle]').click();
      await deep(p, 'gatehouse-login-buttons button:text("Create account")').click();
      await deep(p, 'gatehouse-sign-up [part~=rules]').waitFor();
    },
  ],
  [
    'login-buttons-signed-in',
    '<header><gatehouse-login-buttons align="right"></gatehouse-login-buttons></header>',
    'en',
    async (p) => {
      await signIn(p);
      await deep(p, 'gatehouse-login-buttons [part~=toggle]').click();
    },
  ],
  [
    'login-buttons-arabic',
    '<header><gatehouse-login-buttons align="right"></gatehouse-login-buttons></header>',
    'ar',
    async (p) => {
      await deep(p, 'gatehouse-login-buttons [part~=toggle]').click();
      await deep(p, 'gatehouse-oauth-buttons button').waitFor();
    },
  ],
  [
    'sign-in-error',
    '<main><gatehouse-sign-in sign-up-href="#" forgot-password-href="#"></gatehouse-sign-in></main>',
    'en',
    async (p) => {
      await deep(p, 'gatehouse-sign-in input[name=login]').fill(EMAIL);
      await deep(p, 'gatehouse-sign-in input[name=password]').fill('wrong password');
      await deep(p, 'gatehouse-sign-in input[name=password]').press('Enter');
      await p.waitForFunction(
        () => document.querySelector('gatehouse-sign-in').shadowRoot.querySelector('[role=alert]').textContent,
      );
    },
  ],
  [
    'sign-up',
    '<main><gatehouse-sign-up sign-in-href="#"></gatehouse-sign-up></main>',
    'en',
    async (p) => {
      await deep(p, 'gatehouse-sign-up [part~=rules]').waitFor();
      await deep(p, 'gatehouse-sign-up input[name=email]').fill('grace@example.com');
      await deep(p, 'gatehouse-sign-up input[name=password]').fill('a long passphrase');
    },
  ],
  // Spanish rather than Japanese: Debian's Chromium here has no CJK font (fonts-noto-cjk would give it one).
  [
    'sign-up-spanish',
    '<main><gatehouse-sign-up password-signup-fields="USERNAME_AND_EMAIL" sign-in-href="#"></gatehouse-sign-up></main>',
    'es',
    async (p) => deep(p, 'gatehouse-sign-up [part~=rules]').waitFor(),
  ],
  [
    'forgot-password',
    '<main><gatehouse-forgot-password sign-in-href="#"></gatehouse-forgot-password></main>',
    'en',
    async (p) => {
      await deep(p, 'gatehouse-forgot-password input[name=email]').fill(EMAIL);
      await deep(p, 'gatehouse-forgot-password input[name=email]').press('Enter');
      await p.waitForFunction(
        () => document.querySelector('gatehouse-forgot-password').shadowRoot.querySelector('[role=status]').textContent,
      );
    },
  ],
  [
    'reset-password',
    '<main><gatehouse-reset-password token="x" token-id="0123456789abcdef01234567"></gatehouse-reset-password></main>',
    'en',
    async (p) => deep(p, 'gatehouse-reset-password [part~=rules]').waitFor(),
  ],
  [
    'confirm-email',
    '<main><gatehouse-confirm-email token="x" token-id="0123456789abcdef01234567"></gatehouse-confirm-email></main>',
    'de',
    async () => {},
  ],
  [
    'change-password',
    '<main><gatehouse-change-password></gatehouse-change-password></main>',
    'en',
    async (p) => {
      await signIn(p);
      await deep(p, 'gatehouse-change-password [part~=rules]').waitFor();
    },
  ],
  [
    'user-menu',
    '<header><gatehouse-user-menu align="right" change-password-href="#" sessions-href="#"></gatehouse-user-menu></header>',
    'en',
    async (p) => {
      await signIn(p);
      await deep(p, 'gatehouse-user-menu [part~=toggle]').click();
    },
  ],
  [
    'sessions',
    '<main><gatehouse-sessions></gatehouse-sessions></main>',
    'en',
    async (p) => {
      await signIn(p, await personOnTwoDevices());
      await deep(p, 'gatehouse-sessions [part~=session]').waitFor();
    },
  ],
  [
    'guest',
    '<main><gatehouse-guest></gatehouse-guest></main>',
    'fr',
    async (p) => {
      await deep(p, 'gatehouse-guest button').click();
      await deep(p, 'gatehouse-guest form').waitFor();
    },
  ],
  [
    'email-code',
    '<main><gatehouse-sign-in></gatehouse-sign-in></main>',
    'en',
    async (p) => {
      await deep(p, 'gatehouse-sign-in input[name=login]').fill('grace@example.com');
      await deep(p, 'gatehouse-sign-in [part~=email-code]').click();
      await deep(p, 'gatehouse-email-code [part~=submit]').click();
      await deep(p, 'gatehouse-email-code input[name=code]').waitFor();
    },
    CODES,
  ],
  [
    'two-factor-step',
    '<main><gatehouse-sign-in></gatehouse-sign-in></main>',
    'en',
    async (p) => {
      await deep(p, 'gatehouse-sign-in input[name=login]').fill(TOTP_USER);
      await deep(p, 'gatehouse-sign-in input[name=password]').fill(PASSWORD);
      await deep(p, 'gatehouse-sign-in input[name=password]').press('Enter');
      await deep(p, 'gatehouse-two-factor-step input[name=totpCode]').waitFor();
    },
    CODES,
  ],
  [
    'two-factor-activation',
    '<main><gatehouse-two-factor app-name="Demo"></gatehouse-two-factor></main>',
    'en',
    async (p) => {
      await signIn(p, EMAIL, CODES);
      await deep(p, 'gatehouse-two-factor [part~=turn-on]').click();
      await deep(p, 'gatehouse-two-factor img[part~=qr]').waitFor();
    },
    CODES,
  ],
];

let n = 0;
const only = process.argv.slice(2);
for (const [name, body, lang, prepare, app = APP] of screens) {
  if (only.length > 0 && !only.includes(name)) continue;
  for (const [suffix, width] of [
    ['desktop', 1024],
    ['375', 375],
  ]) {
    const context = await browser.newContext({ viewport: { width, height: 120 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const key = String(++n);
    bodies.set(key, { body, lang, app });
    await page.goto(`${pages.url}/?s=${key}`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('*')]
        .filter((e) => e.localName.startsWith('gatehouse-'))
        .every((e) => e.hasUpdated && !e.isUpdatePending),
    );
    await prepare(page);
    await page.evaluate(() => document.activeElement?.blur?.());
    await page.waitForTimeout(100);
    const file = join(out, `${name}-${suffix}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`docs/screenshots/${name}-${suffix}.png`);
    await context.close();
  }
}

// The hosted pages and the demo page, served by Gatehouse itself (its own UI bundle, the app's colours).
const login = (query) => `${baseUrl}/app/${APP}/login?${new URLSearchParams({ redirect: CALLBACK, ...query })}`;
const token = 'token=x&tokenId=0123456789abcdef01234567';
const served = [
  ['hosted-login', login({}), async () => {}],
  ['hosted-login-arabic', login({ lang: 'ar' }), async () => {}],
  ['hosted-bad-redirect', login({ redirect: 'https://evil.example/' }), async () => {}],
  ['hosted-confirm', `${baseUrl}/app/${APP}/confirm?${token}`, async () => {}],
  [
    'hosted-reset',
    `${baseUrl}/app/${APP}/reset?${token}`,
    async (p) => deep(p, 'gatehouse-reset-password [part~=rules]').waitFor(),
  ],
  ['demo-page', `${baseUrl}/`, async (p) => deep(p, 'gatehouse-login-buttons [part~=toggle]').click()],
];
for (const [name, url, prepare] of served) {
  for (const [suffix, width] of [
    ['desktop', 1024],
    ['375', 375],
  ]) {
    const context = await browser.newContext({ viewport: { width, height: 120 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('*')]
        .filter((e) => e.localName.startsWith('gatehouse-'))
        .every((e) => e.hasUpdated && !e.isUpdatePending),
    );
    await prepare(page);
    await page.evaluate(() => document.activeElement?.blur?.());
    await page.waitForTimeout(100);
    const file = join(out, `${name}-${suffix}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`docs/screenshots/${name}-${suffix}.png`);
    await context.close();
  }
}

// The admin console (`/admin`): signed out, the user list, and one user.
{
  for (const name of ['grace', 'alan', 'edsger']) {
    const email = `${name}@example.com`;
    await sdk().emailPasswordAuth.registerUser({ email, password: PASSWORD });
    await sdk().logIn(App.Credentials.emailPassword(email, PASSWORD));
  }
  const { key } = await gatehouse.adminKeys.create({ appId: APP, name: 'support' });
  const context = await browser.newContext({ viewport: { width: 1100, height: 200 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const shot = async (name) => {
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(out, `admin-${name}.png`), fullPage: true });
    console.log(`docs/screenshots/admin-${name}.png`);
  };
  await page.goto(`${baseUrl}/admin`);
  await page.waitForSelector('#admin-key');
  await shot('sign-in');
  await page.fill('#admin-key', key);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#users tbody tr[data-user]');
  await shot('users');
  await page.fill('#search', 'grace');
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#users tbody tr[data-user]').length === 1);
  await page.click('#users tbody tr[data-user] a');
  await page.waitForSelector('#user-title');
  await shot('user');
  await context.close();
}

await browser.close();
await pages.close();
await server.close();
