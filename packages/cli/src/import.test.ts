import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage } from '@gatehouse-auth/storage';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { runCli, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

describe('gatehouse import meteor', () => {
  it('imports a mongoexport into the app, reports counts and bad records, and is idempotent', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const users = [
      {
        _id: 'QwkSmTCZiw5KDx3L6',
        username: 'ada',
        emails: [{ address: 'ada@example.com', verified: true }],
        services: { password: { bcrypt: bcrypt.hashSync(sha256Hex('analytical'), 4) } },
      },
      { _id: 'not valid!', username: 'bad' },
    ];
    const file = join(dir, 'users.json');
    writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n'));

    const first = await runCli(['import', 'meteor', '--app', appId, '--config', path, file], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Imported 1 user (0 sessions); 0 already present; 1 failed.');
    expect(first.stdout).toContain('record 2 (not valid!): _id must be a string of letters and digits');

    const again = await runCli(['import', 'meteor', '--app', appId, '--config', path, file], { cwd: dir });
    expect(again.stdout).toContain('Imported 0 users (0 sessions); 1 already present; 1 failed.');

    const config = JSON.parse(readFileSync(path, 'utf8'));
    const storage = await createStorage(config.database.url.replace('sqlite:./', `sqlite:${dir}/`));
    try {
      expect(await storage.getUser(appId, 'QwkSmTCZiw5KDx3L6')).toMatchObject({ username: 'ada' });
      expect(await storage.getPasswordHash(appId, 'QwkSmTCZiw5KDx3L6')).toMatch(/^meteor-sha256:\$2[ab]\$04\$/);
    } finally {
      await storage.close();
    }
  });

  it('refuses a wrong source, a missing app, an unknown app and a missing file clearly', async () => {
    const dir = dirs.make();
    const { path } = await initConfig({ dir });
    expect(
      (await runCli(['import', 'parse', '--app', 'x', '--config', path, 'f.json'], { cwd: dir })).stderr,
    ).toContain("unknown source 'parse'");
    expect((await runCli(['import', 'meteor', '--config', path, 'f.json'], { cwd: dir })).stderr).toContain(
      '--app <id> is required',
    );
    const unknown = await runCli(['import', 'meteor', '--app', 'nope', '--config', path, 'f.json'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no app 'nope'");
    expect((await runCli(['import', 'meteor'], { cwd: dir })).code).toBe(2);
  });
});
