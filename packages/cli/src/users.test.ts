import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage } from '@gatehouse-auth/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { runCli, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('gatehouse users', () => {
  it('lists a user’s passkeys and removes one, then all (a lost device)', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const storage = await createStorage(`sqlite:${join(dir, '.gatehouse/gatehouse.db')}`);
    await storage.migrate();
    const userId = '0123456789abcdef01234567';
    await storage.createUser({ id: userId, appId, username: 'ann', now: Date.UTC(2026, 0, 1) });
    const passkey = (id: string, name: string, at: number) =>
      storage.createPasskey({
        id,
        appId,
        userId,
        credentialId: `cred-${id}`,
        publicKey: 'secret-looking-public-key',
        counter: 3,
        transports: ['internal'],
        name,
        deviceType: 'multiDevice',
        backedUp: true,
        now: Date.UTC(2026, 0, at),
      });
    await passkey('aaaaaaaaaaaaaaaaaaaaaaaa', 'Laptop', 2);
    await passkey('bbbbbbbbbbbbbbbbbbbbbbbb', 'Phone', 3);
    await passkey('cccccccccccccccccccccccc', 'Key', 4);
    await storage.close();
    const cli = (...args: string[]) => runCli(['users', ...args, '--app', appId, '--config', path], { cwd: dir });

    const listed = await cli('passkeys', userId);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        id: 'aaaaaaaaaaaaaaaaaaaaaaaa',
        name: 'Laptop',
        createdAt: '2026-01-02T00:00:00.000Z',
      }),
      expect.objectContaining({ id: 'bbbbbbbbbbbbbbbbbbbbbbbb', name: 'Phone', lastUsedAt: null }),
      expect.objectContaining({ id: 'cccccccccccccccccccccccc', name: 'Key' }),
    ]);
    expect(listed.stdout).not.toContain('secret-looking-public-key');
    expect(JSON.parse((await cli('show', userId)).stdout).passkeys).toHaveLength(3);

    const removed = await cli('remove-passkey', userId, 'aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(removed.stdout).toContain('Removed passkey aaaaaaaaaaaaaaaaaaaaaaaa');
    const again = await cli('remove-passkey', userId, 'aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('passkey not found');
    expect((await cli('remove-passkey', userId, 'all')).stdout).toContain('Removed 2 passkeys');
    expect(JSON.parse((await cli('passkeys', userId)).stdout)).toEqual([]);
    expect((await cli('passkeys', 'nobody')).stderr).toContain("no user 'nobody' in app");
  });

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

    // disable / enable go through the same core as the admin API, and are audited as the CLI's.
    const cli = (...args: string[]) =>
      runCli(['users', ...args, '--app', appId, '--config', path, '0123456789abcdef01234567'], { cwd: dir });
    expect((await cli('disable')).stdout).toContain('disabled');
    expect(JSON.parse((await cli('show')).stdout).disabled).toBe(true);
    expect((await cli('enable')).code).toBe(0);
    expect(JSON.parse((await cli('show')).stdout).disabled).toBe(false);
    const audit = await createStorage(`sqlite:${join(dir, '.gatehouse/gatehouse.db')}`);
    const trail = await audit.listAuditEvents(appId, { userId: '0123456789abcdef01234567' });
    await audit.close();
    expect(trail.map((e) => [e.type, e.actor])).toEqual([
      ['user-enabled', 'cli'],
      ['user-disabled', 'cli'],
      ['custom-data-set', 'cli'],
    ]);

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

describe('gatehouse users: the server side of Accounts', () => {
  it('creates a user, mails the enrollment link (printed without SMTP), sets a password from stdin, edits emails and the username', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const cli = (args: string[], stdin?: string) =>
      runCli(['users', ...args, '--app', appId, '--config', path], {
        cwd: dir,
        ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
      });

    const created = await cli(['create', 'ada@example.com', '{"name":"Ada"}']);
    expect(created.code).toBe(0);
    const id = /Created user ([0-9a-f]{24})/.exec(created.stdout)?.[1] as string;
    expect(created.stdout).toContain('It has no password yet');

    const enrolled = await cli(['send-enrollment', id]);
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toContain('Enrollment mail sent to ada@example.com.');
    expect(enrolled.stdout).toContain('No SMTP is configured, so the mail is shown here instead');
    expect(enrolled.stdout).toMatch(/\/reset\?token=[^&\s]+&tokenId=[0-9a-f]{24}/);

    // The password never comes from the command line.
    expect((await cli(['set-password', id])).stderr).toContain('--password-stdin');
    expect((await cli(['set-password', id, '--password-stdin'], 'short\n')).stderr).toMatch(/password/i);
    const set = await cli(['set-password', id, '--password-stdin'], 'a long enough passphrase\n');
    expect(set.code).toBe(0);
    expect(set.stdout).not.toContain('passphrase');

    expect((await cli(['add-email', id, 'ada@lovelace.example', '--verified'])).code).toBe(0);
    expect((await cli(['replace-email', id, 'ada@example.com', 'ada@engine.example'])).code).toBe(0);
    expect((await cli(['remove-email', id, 'ada@lovelace.example'])).code).toBe(0);
    expect((await cli(['set-username', id, 'ada'])).code).toBe(0);
    const other = /Created user ([0-9a-f]{24})/.exec((await cli(['create', 'babbage'])).stdout)?.[1] as string;
    const taken = await cli(['set-username', other, 'ADA']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('Username already exists.');

    const found = await cli(['find', 'ADA@ENGINE.example']);
    expect(found.stdout.trim()).toBe(`${id}  ada  ada@engine.example`);
    expect((await cli(['find', 'Ada'])).stdout).toContain(id);
    expect((await cli(['find', 'nobody'])).stderr).toContain("no user 'nobody'");
    const shown = JSON.parse((await cli(['show', id])).stdout);
    expect(shown).toMatchObject({
      username: 'ada',
      emails: [{ address: 'ada@engine.example', verified: false }],
      profile: { name: 'Ada' },
    });
    expect((await cli(['remove-email', id, 'nobody@example.com'])).stderr).toContain('No such email for user.');
    expect((await cli(['set-username', id])).code).toBe(2);
    expect((await cli(['frobnicate', id])).code).toBe(2);
  });
  it('shows whether a user has two-factor on, and 2fa-reset turns it off through the core', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const storage = await createStorage(`sqlite:${join(dir, '.gatehouse/gatehouse.db')}`);
    await storage.migrate();
    const userId = '0123456789abcdef01234568';
    await storage.createUser({ id: userId, appId, username: 'lost-phone', now: Date.UTC(2026, 0, 1) });
    await storage.setPendingSecondFactor(appId, userId, 'sealed', Date.UTC(2026, 0, 1));
    await storage.enableSecondFactor(appId, userId, {
      step: 1,
      recoveryCodeHashes: ['a', 'b'],
      now: Date.UTC(2026, 0, 1),
    });
    await storage.close();
    const cli = (...args: string[]) => runCli(['users', ...args, '--app', appId, '--config', path], { cwd: dir });

    expect(JSON.parse((await cli('show', userId)).stdout).twoFactor).toEqual({ enabled: true, recoveryCodesLeft: 2 });
    const reset = await cli('2fa-reset', userId);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('Two-factor sign-in of 0123456789abcdef01234568 turned off');
    expect(JSON.parse((await cli('show', userId)).stdout).twoFactor).toEqual({ enabled: false, recoveryCodesLeft: 0 });
    expect((await cli('2fa-reset', userId)).stdout).toContain('had no two-factor sign-in set up');
    expect((await cli('2fa-reset', 'nobody')).stderr).toContain("no user 'nobody' in app");
  });

  it('send-login-token mails a passwordless code (printed without SMTP) in an app that has passwordless on', async () => {
    const dir = dirs.make();
    const { path, appId } = await initConfig({ dir });
    const storage = await createStorage(`sqlite:${join(dir, '.gatehouse/gatehouse.db')}`);
    await storage.migrate();
    const userId = '0123456789abcdef01234569';
    await storage.createUser({
      id: userId,
      appId,
      emails: [{ address: 'cy@example.com', verified: false }],
      now: Date.UTC(2026, 0, 1),
    });
    await storage.close();
    const cli = (...args: string[]) => runCli(['users', ...args, '--app', appId, '--config', path], { cwd: dir });
    expect((await cli('send-login-token', userId)).stderr).toContain('unsupported');

    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.apps[appId].accounts = { ...config.apps[appId].accounts, passwordless: true };
    writeFileSync(path, JSON.stringify(config));
    const sent = await cli('send-login-token', userId);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('Subject: Your sign-in code for');
    expect(sent.stdout).toMatch(/loginToken=[0-9A-F]{6}&selector=cy%40example.com/);
  });
});
