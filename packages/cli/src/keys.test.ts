import { readFileSync, writeFileSync } from 'node:fs';
import { createGatehouse } from '@gatehouse-auth/server';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { loadServerConfig } from './config-file.js';
import { runCli, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('gatehouse keys (server API keys)', () => {
  it('creates a key that logs in as the server user, lists, disables, enables and deletes it', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    // The app needs the api-key provider.
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    raw.apps[appId].providers['api-key'] = {};
    raw.passwordHashing = { memoryCost: 1024, timeCost: 1 };
    writeFileSync(path, JSON.stringify(raw));
    const cli = (...args: string[]) => runCli(['keys', ...args, '--app', appId, '--config', path], { cwd: dir });

    const created = await cli('create', '--name', 'backend');
    expect(created.code).toBe(0);
    const [, id] = /id ([0-9a-f]{24})/.exec(created.stdout) ?? [];
    const key = created.stdout.trim().split('\n').at(-1) as string;
    expect(key).toMatch(/^[\w-]{64}$/);
    expect((await cli('list')).stdout).toContain(`${id}  backend`);

    const gatehouse = await createGatehouse(await loadServerConfig(path, { GATEHOUSE_LOG_LEVEL: 'silent' }, dir));
    try {
      const login = async () =>
        gatehouse.fetch(
          new Request(`http://x/api/client/v2.0/app/${appId}/auth/providers/api-key/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ key }),
          }),
        );
      const res = await login();
      expect(res.status).toBe(200);
      const { access_token } = await res.json();
      const profile = await (
        await gatehouse.fetch(
          new Request('http://x/api/client/v2.0/auth/profile', {
            headers: { authorization: `Bearer ${access_token}` },
          }),
        )
      ).json();
      expect(profile.type).toBe('server');
      expect((await cli('disable', id as string)).code).toBe(0);
      expect((await cli('list')).stdout).toContain('(disabled)');
      expect((await login()).status).toBe(401);
      expect((await cli('enable', id as string)).code).toBe(0);
      expect((await login()).status).toBe(200);
      expect((await cli('delete', id as string)).code).toBe(0);
      expect((await login()).status).toBe(401);
    } finally {
      await gatehouse.close();
    }
    expect((await cli('delete', id as string)).stderr).toContain('no server API key');
    expect((await cli('create')).code).toBe(2);
    expect((await cli('list', id as string)).code).toBe(2);
    expect((await cli('rotate')).code).toBe(2);
  });

  it('gives each key its own server user, refuses duplicate names and apps without the provider', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const cli = (...args: string[]) => runCli(['keys', ...args, '--config', path], { cwd: dir });
    const off = await cli('create', '--app', appId, '--name', 'backend');
    expect([off.code, off.stderr]).toEqual([
      1,
      `gatehouse: app '${appId}' does not have the api-key provider on: add "api-key": {} to its providers first\n`,
    ]);
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    raw.apps[appId].providers['api-key'] = {};
    writeFileSync(path, JSON.stringify(raw));
    const userOf = (stdout: string) => /user ([0-9a-f]{24})/.exec(stdout)?.[1];
    const first = await cli('create', '--app', appId, '--name', 'backend');
    const second = await cli('create', '--app', appId, '--name', 'worker');
    expect(userOf(first.stdout)).toMatch(/^[0-9a-f]{24}$/);
    expect(userOf(second.stdout)).not.toBe(userOf(first.stdout));
    const duplicate = await cli('create', '--app', appId, '--name', 'backend');
    expect([duplicate.code, duplicate.stderr]).toEqual([1, 'gatehouse: API key already exists\n']);
    expect((await cli('create', '--app', appId, '--name', ' ')).stderr).toContain('API key names are 1 to 100');
    const list = (await cli('list', '--app', appId)).stdout;
    expect(list).toMatch(/^[0-9a-f]{24} {2}backend {2}user [0-9a-f]{24} {2}never used\n[0-9a-f]{24} {2}worker /);
    expect(list).not.toContain(first.stdout.trim().split('\n').at(-1));
    expect((await cli('list', '--app', 'no-such-app')).stderr).toContain("no app 'no-such-app'");
  });
});
