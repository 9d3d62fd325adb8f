import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { runCli, startCli, TEST_PASSWORD_HASHING, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const DEMO = /Demo page:\s+(http:\/\/\S+?)\/\s/;

describe('gatehouse dev', () => {
  it('in an empty directory, creates the config and the SQLite database and serves the demo page and outbox', async () => {
    const dir = dirs.make();
    const dev = await startCli(['dev', '--dir', dir, '--port', '0'], DEMO);
    try {
      const config = JSON.parse(readFileSync(join(dir, 'gatehouse.config.json'), 'utf8'));
      const appId = Object.keys(config.apps)[0] as string;
      expect(statSync(join(dir, 'gatehouse.config.json')).mode & 0o777).toBe(0o600);
      expect(existsSync(join(dir, '.gatehouse', 'gatehouse.db'))).toBe(true);

      const out = dev.stdout();
      expect(out).toContain("ran 'gatehouse init'");
      expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out).toContain(`App id:       ${appId}`);
      expect(out).toContain(`Mail outbox:  ${dev.url}/dev/outbox`);
      // Gatehouse's own SDK first; a realm-web app works unchanged too.
      const sdk = out.indexOf(`new App({ id: '${appId}', baseUrl: '${dev.url}' })`);
      expect(sdk).toBeGreaterThan(-1);
      expect(out.indexOf(`new Realm.App({ id: '${appId}', baseUrl: '${dev.url}' })`)).toBeGreaterThan(sdk);

      const demo = await fetch(`${dev.url}/`);
      expect(demo.status).toBe(200);
      expect(demo.headers.get('content-type')).toContain('text/html');
      const html = await demo.text();
      expect(html).toContain(appId);
      expect(html).toContain(dev.url); // publicUrl is where dev listens
      const outbox = await fetch(`${dev.url}/dev/outbox`);
      expect(outbox.status).toBe(200);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
  });

  it('applies its overrides in memory: outbox mail, both providers, dev pages, its own publicUrl', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir, publicUrl: 'https://auth.example.com' });
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.passwordHashing = TEST_PASSWORD_HASHING;
    config.email = { transport: 'smtp', url: 'smtp://127.0.0.1:1', from: 'Notes <no-reply@example.com>' };
    config.apps[appId].providers = {
      'anon-user': { enabled: false },
      'local-userpass': { enabled: false, confirmation: 'email' },
    };
    const written = JSON.stringify(config);
    writeFileSync(path, written);

    const dev = await startCli(['dev', '--port', '0'], DEMO, { cwd: dir });
    try {
      const api = `${dev.url}/api/client/v2.0/app/${appId}/auth/providers`;
      const anon = await fetch(`${api}/anon-user/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(anon.status).toBe(200);
      const register = await fetch(`${api}/local-userpass/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com', password: 'correct horse battery staple' }),
      });
      expect(register.status).toBe(201);

      let mails: { to: string; from: string; text: string }[] = [];
      for (let i = 0; i < 100 && mails.length === 0; i++) {
        mails = (await (await fetch(`${dev.url}/dev/outbox.json`)).json()) as typeof mails;
        if (mails.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(mails).toHaveLength(1);
      expect(mails[0]?.to).toBe('ada@example.com');
      expect(mails[0]?.from).toBe('Notes <no-reply@example.com>');
      expect(mails[0]?.text).toContain(`${dev.url}/app/${appId}/confirm`);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
    expect(readFileSync(path, 'utf8')).toBe(written);
  });

  it('uses GATEHOUSE_PUBLIC_URL when it is set', async () => {
    const dir = dirs.make();
    const dev = await startCli(['dev', '--dir', dir, '--port', '0'], /Listening on: (http:\/\/\S+)/, {
      env: { GATEHOUSE_PUBLIC_URL: 'https://tunnel.example.com' },
    });
    try {
      expect(dev.stdout()).toContain('Demo page:    https://tunnel.example.com/');
      expect(dev.stdout()).toContain("baseUrl: 'https://tunnel.example.com'");
      const html = await (await fetch(`${dev.url}/`)).text();
      expect(html).toContain('https://tunnel.example.com');
    } finally {
      expect(await dev.stop()).toBe(0);
    }
  });

  it('honours DATABASE_URL', async () => {
    const dir = dirs.make();
    const envDb = join(dir, 'elsewhere', 'dev.db');
    const dev = await startCli(['dev', '--dir', dir, '--port', '0'], DEMO, {
      env: { DATABASE_URL: `sqlite:${envDb}` },
    });
    try {
      expect(existsSync(envDb)).toBe(true);
      expect(existsSync(join(dir, '.gatehouse', 'gatehouse.db'))).toBe(false);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
  });

  it('says the port is taken rather than silently picking another', async () => {
    const dir = dirs.make();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['dev', '--dir', dir, '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(result.stdout).not.toContain('Demo page');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('names the bad field when the config is invalid even under its overrides', async () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'gatehouse.config.json'), JSON.stringify({ keys: [{ kid: 'k' }], apps: { 'x-y': {} } }));
    const result = await runCli(['dev', '--dir', dir, '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('keys.0.privateJwk');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
