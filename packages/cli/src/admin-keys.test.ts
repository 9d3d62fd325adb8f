import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { runCli, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('gatehouse admin-keys', () => {
  it('creates an app key and a global key (shown once), lists them and revokes one', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const cli = (...args: string[]) => runCli(['admin-keys', ...args, '--config', path], { cwd: dir });

    const created = await cli('create', '--app', appId, '--name', 'support');
    expect(created.code).toBe(0);
    const [, id] = /id ([0-9a-f]{24})/.exec(created.stdout) ?? [];
    const key = created.stdout.trim().split('\n').at(-1) as string;
    expect(key).toMatch(/^gha_[\w-]{43}$/);
    expect((await cli('create', '--global', '--name', 'ops')).stdout).toContain('every app');

    const list = await cli('list');
    expect(list.stdout).toContain(`${id}  support  app ${appId}  never used`);
    expect(list.stdout).toMatch(/ops {2}global/);
    expect(list.stdout).not.toContain(key.slice(4));

    expect((await cli('revoke', id as string)).stdout).toContain('revoked');
    expect((await cli('list')).stdout).toMatch(new RegExp(`${id}.*\\(revoked `));
    const again = await cli('revoke', id as string);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no active admin API key');

    expect((await cli('create', '--name', 'x')).code).toBe(2);
    expect((await cli('create', '--app', 'nope-app', '--name', 'x')).stderr).toContain("no app 'nope-app'");
  });
});
