import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { runCli, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('gatehouse services (external login services)', () => {
  it('sets a service with its secret from standard input, lists it without the secret, removes it', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    expect(JSON.parse(readFileSync(path, 'utf8')).encryptionKeys[0].key).toMatch(/^[\w-]{43}$/);
    const cli = (args: string[], stdin?: string) =>
      runCli(['services', ...args, '--app', appId, '--config', path], {
        cwd: dir,
        ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
      });

    expect((await cli(['list'])).stdout).toBe('No external services.\n');
    const set = await cli(
      ['set', 'github', '--settings', '{"clientId":"Iv1.abc","loginStyle":"redirect"}'],
      'gh-s3cret\n',
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('callback URL to register: http://localhost:8080/_oauth/github');
    const list = await cli(['list']);
    expect(list.stdout).toContain('github (database)');
    expect(list.stdout).toContain('clientId: Iv1.abc');
    expect(list.stdout).toContain('loginStyle: redirect');
    expect(list.stdout).not.toContain('gh-s3cret');
    // Encrypted at rest: not in the database file either.
    const db = readFileSync(join(dir, '.gatehouse', 'gatehouse.db')).toString('latin1');
    expect(db).toContain('Iv1.abc');
    expect(db).not.toContain('gh-s3cret');

    // A missing field is named; a secret on the command line is refused; an unknown service too.
    const missing = await cli(['set', 'twitter', '--settings', '{"clientId":"x"}'], 'tw');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("invalid settings for 'twitter': consumerKey:");
    const inline = await cli(['set', 'github', '--settings', '{"clientId":"x","secret":"y"}'], '');
    expect(inline.stderr).toContain('the secret never goes on the command line');
    expect((await cli(['set', 'myspace', '--settings', '{"clientId":"x"}'], 's')).stderr).toContain(
      "unknown service 'myspace'",
    );
    expect((await cli(['set', 'github', '--settings', '{"clientId":"x"}'], '')).stderr).toContain(
      'no secret on standard input',
    );

    expect((await cli(['remove', 'github'])).stdout).toBe("Removed service 'github'.\n");
    expect((await cli(['remove', 'github'])).stderr).toContain("no stored service 'github'");
  });

  it('imports the services of a Meteor settings file', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        public: {},
        packages: {
          'service-configuration': {
            google: { clientId: 'g.apps', secret: 'g-secret', loginStyle: 'popup' },
            twitter: { consumerKey: 'ck', secret: 'cs' },
            facebook: { appId: 'not-a-number', secret: 'fs' },
          },
        },
      }),
    );
    const imported = await runCli(['services', 'import', settings, '--app', appId, '--config', path], { cwd: dir });
    expect(imported.code).toBe(1);
    expect(imported.stdout).toContain("Imported 'google'");
    expect(imported.stdout).toContain("Imported 'twitter'");
    expect(imported.stdout).toContain('2 imported, 1 refused.');
    expect(imported.stderr).toContain(
      "Refused 'facebook': invalid settings for 'facebook': appId: expected the numeric Facebook app id",
    );
    const list = await runCli(['services', 'list', '--app', appId, '--config', path], { cwd: dir });
    expect(list.stdout).toContain('consumerKey: ck');
    expect(list.stdout).not.toMatch(/g-secret|cs\b/);
  });
});
