import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '@gatehouse-auth/server';
import { afterEach, describe, expect, it } from 'vitest';
import { newAppId } from './commands/init.js';
import { runCli, tempDirs } from './test-cli.js';
import { version } from './version.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const readConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'gatehouse.config.json'), 'utf8'));
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('gatehouse init', () => {
  it('writes a config the server accepts, with a new key, app id, SQLite, both providers and the outbox', async () => {
    const dir = dirs.make();
    const result = await runCli(['init', '--dir', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const path = join(dir, 'gatehouse.config.json');
    const config = readConfig(dir);
    const appId = Object.keys(config.apps)[0];
    expect(appId).toMatch(/^myapp-[a-z]{5}$/);
    expect(result.stdout).toContain(path);
    expect(result.stdout).toContain(`App id:     ${appId}`);
    expect(result.stdout).toContain('Next steps');
    expect(result.stdout).toContain(`new App({ id: '${appId}', baseUrl: 'http://localhost:8080' })`);
    expect(result.stdout).toContain(`new Realm.App({ id: '${appId}', baseUrl: 'http://localhost:8080' })`);

    expect(config.database.url).toBe('sqlite:./.gatehouse/gatehouse.db');
    expect(config.email).toEqual({ transport: 'outbox' });
    expect(config.keys).toHaveLength(1);
    expect(config.keys[0].alg).toBe('ES256');
    expect(typeof config.keys[0].privateJwk.d).toBe('string');
    expect(config.apps[appId].providers).toEqual({
      'anon-user': { enabled: true },
      'local-userpass': { enabled: true, confirmation: 'email' },
    });

    const resolved = resolveConfig(config);
    expect([...resolved.apps.keys()]).toEqual([appId]);
    expect(resolved.apps.get(appId as string)?.providers['local-userpass']?.confirmation).toBe('email');
    expect(resolved.dangerouslyEnableDevPages).toBe(false);
  });

  it('creates the file readable by its owner only, since it holds the private key', async () => {
    const dir = dirs.make();
    expect((await runCli(['init', '--dir', dir])).code).toBe(0);
    expect(modeOf(join(dir, 'gatehouse.config.json'))).toBe(0o600);
  });

  it('refuses to overwrite an existing config without --force, and replaces it (still 0600) with it', async () => {
    const dir = dirs.make();
    const path = join(dir, 'gatehouse.config.json');
    await runCli(['init', '--dir', dir]);
    const before = readFileSync(path, 'utf8');

    const refused = await runCli(['init', '--dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already exists');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(path, 'utf8')).toBe(before);

    chmodSync(path, 0o644);
    const forced = await runCli(['init', '--dir', dir, '--force']);
    expect(forced.code).toBe(0);
    const after = readFileSync(path, 'utf8');
    expect(after).not.toBe(before);
    expect(JSON.parse(after).keys[0].kid).not.toBe(JSON.parse(before).keys[0].kid);
    expect(modeOf(path)).toBe(0o600);
  });

  it('refuses when another config file (a module) is there too', async () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'gatehouse.config.mjs'), 'export default {};\n');
    const refused = await runCli(['init', '--dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gatehouse.config.mjs');
  });

  it('keeps an App Services app id, public URL and database URL as given', async () => {
    const dir = dirs.make();
    const result = await runCli([
      'init',
      '--dir',
      join(dir, 'nested'),
      '--app-id',
      'notes-qwxyz',
      '--public-url',
      'https://auth.example.com/',
      '--database-url',
      'postgres://gatehouse@db.internal/gatehouse',
    ]);
    expect(result.code).toBe(0);
    const config = readConfig(join(dir, 'nested'));
    expect(Object.keys(config.apps)).toEqual(['notes-qwxyz']);
    expect(config.apps['notes-qwxyz'].name).toBe('notes');
    expect(config.publicUrl).toBe('https://auth.example.com');
    expect(config.database.url).toBe('postgres://gatehouse@db.internal/gatehouse');
    expect(() => resolveConfig(config)).not.toThrow();
  });

  it("points $schema at the installed server's config schema, else at the published one", async () => {
    const root = dirs.make();
    const installed = join(root, 'node_modules', '@gatehouse-auth', 'server');
    mkdirSync(installed, { recursive: true });
    writeFileSync(join(installed, 'config.schema.json'), '{}');
    expect((await runCli(['init', '--dir', root])).code).toBe(0);
    expect(readConfig(root).$schema).toBe('./node_modules/@gatehouse-auth/server/config.schema.json');
    const nested = join(root, 'services', 'auth');
    expect((await runCli(['init', '--dir', nested])).code).toBe(0);
    expect(readConfig(nested).$schema).toBe('../../node_modules/@gatehouse-auth/server/config.schema.json');

    const alone = dirs.make(); // no node_modules above it (an `npx` run)
    expect((await runCli(['init', '--dir', alone])).code).toBe(0);
    expect(readConfig(alone).$schema).toBe(`https://unpkg.com/@gatehouse-auth/server@${version()}/config.schema.json`);
  });

  it('rejects a malformed app id or public URL as a usage error (exit 2)', async () => {
    const dir = dirs.make();
    const badId = await runCli(['init', '--dir', dir, '--app-id', 'my app!']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('--app-id');
    const badUrl = await runCli(['init', '--dir', dir, '--public-url', 'ftp://x']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--public-url');
  });
});

describe('newAppId', () => {
  it('makes <name>-<5 lowercase letters> ids, different each time', () => {
    const ids = Array.from({ length: 200 }, () => newAppId('myapp'));
    for (const id of ids) expect(id).toMatch(/^myapp-[a-z]{5}$/);
    expect(new Set(ids).size).toBeGreaterThan(195);
  });
});
