import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What a user gets from the registry: every workspace package packed with `npm pack`, the tarballs installed
 * into an empty directory with no workspace around it (third-party dependencies from the registry), then the
 * installed `gatehouse` command run (`init`, `dev`) and the installed client used from Node and from a
 * browser bundle. The Dockerfile builds its image with the same script (scripts/pack-install.mjs); here it
 * reuses the better-sqlite3 binary this repository's install compiled, instead of compiling it again.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const APP_ID = 'packed-qwxyz';
const PACKAGES = ['core', 'storage', 'client', 'ui', 'react', 'server', 'cli'];

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(dir.length + 1),
    );
}

describe('the packed packages, installed from their tarballs', () => {
  let out: string;
  let app: string;
  let dev: ChildProcess | undefined;
  let devUrl = '';
  let devOutput = '';

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
    const printed = execFileSync('node', [join(ROOT, 'scripts/pack-install.mjs'), '--out', out, '--reuse-native'], {
      encoding: 'utf8',
      // No workspace around the installation: npm must not find this repository from there.
      cwd: out,
    });
    app = printed.trim().split('\n').at(-1) ?? '';
  }, 150_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill('SIGTERM');
      await new Promise((resolve) => dev?.once('exit', resolve));
    }
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('ships each package with its README, LICENSE, built code and types, and nothing of the tests', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    for (const name of PACKAGES) {
      const dir = join(app, 'node_modules', '@gatehouse-auth', name);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), `${name}/LICENSE`).toBe(license);
      expect(readFileSync(join(dir, 'README.md'), 'utf8'), `${name}/README.md`).toContain(`@gatehouse-auth/${name}`);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(manifest.license).toBe('Apache-2.0');
      expect(existsSync(join(dir, manifest.exports['.'].types)), `${name} types`).toBe(true);
      expect(existsSync(join(dir, manifest.exports['.'].default)), `${name} code`).toBe(true);
      for (const range of Object.values({ ...manifest.dependencies }) as string[])
        expect(range).not.toMatch(/^(file|workspace|link):/);
      // No tests, and test helpers only where the package exports them (the storage conformance suite).
      expect(
        filesUnder(dir).filter((f) => f.endsWith('.test.ts') || f.endsWith('.test.js')),
        name,
      ).toEqual([]);
      if (!manifest.exports['./testing']) expect(existsSync(join(dir, 'src', 'testing')), name).toBe(false);
    }
    // No second copy of a Gatehouse package nested anywhere: the ^0.1.0 ranges met the tarballs.
    expect(existsSync(join(app, 'node_modules/@gatehouse-auth/cli/node_modules/@gatehouse-auth'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/@gatehouse-auth/server/config.schema.json'))).toBe(true);
  });

  it('runs `gatehouse init`: a config that points its editor at the installed JSON Schema', () => {
    const output = execFileSync(join(app, 'node_modules/.bin/gatehouse'), ['init', '--app-id', APP_ID], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(output).toContain(`App id:     ${APP_ID}`);
    const path = join(app, 'gatehouse.config.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readFileSync(path, 'utf8'));
    expect(config.$schema).toBe('./node_modules/@gatehouse-auth/server/config.schema.json');
    expect(existsSync(join(app, config.$schema))).toBe(true);
  });

  it('runs `gatehouse dev`: it serves /healthz and the demo page', async () => {
    dev = spawn(join(app, 'node_modules/.bin/gatehouse'), ['dev', '--port', '0'], {
      cwd: app,
      env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout?.on('data', (chunk) => (devOutput += chunk));
    dev.stderr?.on('data', (chunk) => (devOutput += chunk));
    for (let i = 0; i < 300 && !devUrl; i++) {
      devUrl = /Demo page:\s+(http:\/\/\S+?)\/\s/.exec(devOutput)?.[1] ?? '';
      if (dev.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(devUrl, devOutput).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(devOutput).toContain(`new App({ id: '${APP_ID}', baseUrl: '${devUrl}' })`);
    const health = await fetch(`${devUrl}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${devUrl}/`)).status).toBe(200);
    // The demo page is the login UI: the installed server serves the installed @gatehouse-auth/ui bundle.
    const bundle = await fetch(`${devUrl}/ui/gatehouse-ui.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toContain('gatehouse-login-buttons');
  });

  it('imports the client in Node and signs up, confirms, logs in and out as a realm-web app does', async () => {
    expect(devUrl).not.toBe('');
    const script = join(app, 'node-client.mjs');
    writeFileSync(
      script,
      `import { App, Credentials } from '@gatehouse-auth/client';
import { fileStorage } from '@gatehouse-auth/client/node';
import * as react from '@gatehouse-auth/react';
import * as server from '@gatehouse-auth/server';

const [baseUrl, appId] = process.argv.slice(2);
const email = 'packed@example.com';
const password = 'a long passphrase';
const app = new App({ id: appId, baseUrl, storage: fileStorage('./.client-users.json') });
await app.emailPasswordAuth.registerUser({ email, password });
const outbox = await (await fetch(baseUrl + '/dev/outbox.json')).json();
const link = new URL(outbox.find((mail) => mail.to === email).text.match(/https?:\\/\\/\\S+/)[0]);
await app.emailPasswordAuth.confirmUser({ token: link.searchParams.get('token'), tokenId: link.searchParams.get('tokenId') });
const user = await app.logIn(Credentials.emailPassword(email, password));
const before = user.accessToken;
await user.refreshAccessToken();
const result = {
  email: user.profile.email,
  refreshed: user.accessToken !== before,
  providerType: user.providerType,
  react: typeof react.useUser,
  server: typeof server.createGatehouse,
};
await user.logOut();
result.state = user.state;
console.log(JSON.stringify(result));
`,
    );
    const output = execFileSync('node', [script, devUrl, APP_ID], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').at(-1) ?? '{}')).toEqual({
      email: 'packed@example.com',
      refreshed: true,
      providerType: 'local-userpass',
      react: 'function',
      server: 'function',
      state: 'logged-out',
    });
  });

  it('bundles the client for the browser with esbuild, and the bundle logs in from Chromium', async () => {
    expect(devUrl).not.toBe('');
    writeFileSync(
      join(app, 'browser-entry.js'),
      `import { App, Credentials } from '@gatehouse-auth/client';\nwindow.gatehouse = { App, Credentials };\n`,
    );
    const bundle = await build({
      absWorkingDir: app,
      entryPoints: ['./browser-entry.js'],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/node:(fs|path|crypto)/);

    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${devUrl}/healthz`);
      await page.addScriptTag({ content: code });
      const result = await page.evaluate(
        async ({ appId, baseUrl }) => {
          const { App, Credentials } = (window as any).gatehouse;
          const app = new App({ id: appId, baseUrl });
          const user = await app.logIn(Credentials.anonymous());
          return { id: user.id, state: user.state, stored: Object.keys(localStorage).length > 0 };
        },
        { appId: APP_ID, baseUrl: devUrl },
      );
      expect(result.id).toMatch(/^[0-9a-f]{24}$/);
      expect(result.state).toBe('active');
      expect(result.stored).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
