import { join } from 'node:path';
import { createStorage } from '@gatehouse/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { runCli, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('gatehouse users', () => {
  it('shows a user without secrets and sets its custom data', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const storage = await createStorage(`sqlite:${join(dir, '.gatehouse/gatehouse.db')}`);
    await storage.migrate();
    await storage.createUser({
      id: '0123456789abcdef01234567',
      appId,
      username: 'ann',
      emails: [{ address: 'ann@example.com', verified: true }],
      passwordHash: '$argon2id$secret',
      now: Date.UTC(2026, 0, 1),
    });
    await storage.close();

    const shown = await runCli(['users', 'show', '--app', appId, '--config', path, '0123456789abcdef01234567'], {
      cwd: dir,
    });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: '0123456789abcdef01234567',
      username: 'ann',
      emails: [{ address: 'ann@example.com', verified: true }],
      customData: {},
      apiKeys: [],
    });
    expect(shown.stdout).not.toContain('argon2');

    const set = await runCli(
      ['users', 'set-custom-data', '--app', appId, '--config', path, '0123456789abcdef01234567', '{"plan":"pro"}'],
      { cwd: dir },
    );
    expect(set.code).toBe(0);
    const again = await runCli(['users', 'show', '--app', appId, '--config', path, '0123456789abcdef01234567'], {
      cwd: dir,
    });
    expect(JSON.parse(again.stdout).customData).toEqual({ plan: 'pro' });

    expect(
      (
        await runCli(
          ['users', 'set-custom-data', '--app', appId, '--config', path, '0123456789abcdef01234567', '[1]'],
          { cwd: dir },
        )
      ).stderr,
    ).toContain('must be a JSON object');
    expect(
      (await runCli(['users', 'show', '--app', appId, '--config', path, 'nobody'], { cwd: dir })).stderr,
    ).toContain("no user 'nobody'");
    expect((await runCli(['users', 'delete', '--app', appId, '--config', path, 'x'], { cwd: dir })).code).toBe(2);
  });
});
