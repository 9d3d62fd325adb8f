import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatehouse, createLogger, loadConfig } from '@gatehouse-auth/server';
import { createStorage } from '@gatehouse-auth/storage';
import { createTestDatabase } from '@gatehouse-auth/storage/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { loadServerConfig } from './config-file.js';
import { runCli, TEST_PASSWORD_HASHING, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

/** A real export's shape: realm_config.json, auth/providers.json, auth/custom_user_data.json, functions/. */
const EXPORT = new URL('../test-fixtures/app-services-export', import.meta.url).pathname;
/** The Admin API's user list, and a mongoexport of the custom user data collection (relaxed Extended JSON). */
const USERS = new URL('../test-fixtures/app-services-users.json', import.meta.url).pathname;
const CUSTOM_DATA = new URL('../test-fixtures/app-services-custom-data.jsonl', import.meta.url).pathname;
const APP = 'tasks-qzxkv';
const id = (n: number) => `64b7f0c2a1b2c3d4e5f6000${n}`;

describe.each(['sqlite', 'postgres'] as const)('gatehouse import app-services (%s)', (dialect) => {
  it('writes the providers, imports the users through the core, and mails a set-your-password link', async () => {
    const dir = dirs.make();
    const db = dialect === 'postgres' ? await createTestDatabase() : null;
    try {
      const { path } = await initConfig({ dir, ...(db ? { databaseUrl: db.url } : {}) });
      const initial = JSON.parse(readFileSync(path, 'utf8'));
      initial.passwordHashing = TEST_PASSWORD_HASHING;
      writeFileSync(path, JSON.stringify(initial, null, 2));

      const first = await runCli(
        ['import', 'app-services', EXPORT, '--config', path, '--users', USERS, '--custom-data', CUSTOM_DATA],
        { cwd: dir },
      );
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);

      // The settings, merged into the file under the export's app id, and accepted by the server.
      const config = JSON.parse(readFileSync(path, 'utf8'));
      expect(Object.keys(config.apps)).toHaveLength(2);
      const app = config.apps[APP];
      expect(app.name).toBe('tasks');
      expect(app.providers).toEqual({
        'anon-user': { enabled: true },
        'api-key': { enabled: false },
        'custom-function': { enabled: false, function: 'authFunc' },
        'custom-token': {
          enabled: true,
          algorithms: ['RS256'],
          audience: ['tasks'],
          metadataFields: [{ path: 'user.name', field: 'name', required: false }],
          jwksUrl: 'https://login.example.com/.well-known/jwks.json',
        },
        'local-userpass': {
          enabled: true,
          confirmation: 'email',
          emailConfirmationUrl: 'https://tasks.example.com/confirm',
          resetPasswordUrl: 'https://tasks.example.com/reset',
        },
        'oauth2-apple': { enabled: true, clientIds: ['com.example.tasks'] },
        'oauth2-google': { enabled: true, clientId: '1234-tasks.apps.googleusercontent.com' },
      });
      expect(app.oauthRedirectUris).toEqual([
        'https://tasks.example.com/auth/apple',
        'https://tasks.example.com/auth/facebook',
        'https://tasks.example.com/auth/google',
      ]);
      await loadConfig(path, {});
      // What could not come across is said, with what to do.
      expect(first.stdout).toContain('oauth2-facebook: not written — its app secret is an App Services secret');
      expect(first.stdout).toContain('"appId": "1234567890123456"');
      expect(first.stdout).toContain("port the App Services function 'authFunc'");
      expect(first.stdout).toContain('tasks.user_profiles (field user_id = user id)');
      expect(first.stdout).toContain("'onUserCreated' becomes an onCreateUser hook");

      // The users: four imported; anonymous, server and a second account of ada's address are not.
      expect(first.stdout).toContain('Imported 4 users; 0 already present; 3 skipped or failed.');
      expect(first.stdout).toContain(`record 5 (${id(5)}): an anonymous user`);
      expect(first.stdout).toContain(`record 6 (${id(6)}): a server user (API key)`);
      expect(first.stdout).toContain(`record 7 (${id(7)}): Email already exists.`);
      expect(first.stdout).toContain('2 email/password users have no password yet');
      expect(first.stdout).not.toContain('No SMTP is configured');
      // Custom user data, by the export's user_id_field, for the users that are here.
      expect(first.stdout).toContain("Custom user data (by 'user_id'): 1 user set; 2 skipped.");
      expect(first.stdout).toContain(`document 2 (${id(5)}): no such user here`);
      expect(first.stdout).toContain("document 3: no user id (24 hex digits) in 'user_id'");

      const storage = await createStorage(db ? db.url : config.database.url.replace('sqlite:./', `sqlite:${dir}/`));
      try {
        const ada = await storage.getUser(APP, id(1));
        expect(ada).toMatchObject({
          emails: [{ address: 'ada@example.com', verified: true }],
          identities: [
            { providerType: 'local-userpass', providerId: 'local-userpass', subject: '64b7f0c2a1b2c3d4e5f6a001' },
          ],
          createdAt: 1689776322_000,
          disabled: false,
        });
        expect(await storage.getPasswordHash(APP, id(1))).toBeNull();
        expect(ada?.customData).toEqual({
          _id: { $oid: '64b7f0c2a1b2c3d4e5f6c001' },
          user_id: id(1),
          plan: 'pro',
          seats: 3,
          since: { $date: '2023-07-19T14:18:42Z' },
        });
        const grace = await storage.getUser(APP, id(2));
        expect(grace?.profile).toEqual({ name: 'Grace Hopper', picture: 'https://example.com/grace.png' });
        expect(grace?.identities.map((i) => [i.providerType, i.subject])).toEqual([
          ['local-userpass', '64b7f0c2a1b2c3d4e5f6a002'],
          ['oauth2-google', '109876543210987654321'],
        ]);
        // An Apple user's address stays profile data, as App Services showed it; it owns no email.
        const linus = await storage.getUser(APP, id(3));
        expect(linus).toMatchObject({ emails: [], profile: { email: 'linus@privaterelay.appleid.com' } });
        expect(await storage.getUser(APP, id(4))).toMatchObject({ disabled: true });
        expect(await storage.getUser(APP, id(5))).toBeNull();
        expect(await storage.getUser(APP, id(6))).toBeNull();
        const audit = await storage.listAuditEvents(APP, { userId: id(1) });
        expect(audit.map((e) => [e.type, e.detail])).toContainEqual([
          'user-created',
          { provider: 'local-userpass', origin: 'import' },
        ]);
      } finally {
        await storage.close();
      }

      // Again, mailing the users still without a password (not the disabled one): the import is idempotent.
      const again = await runCli(
        ['import', 'app-services', EXPORT, '--config', path, '--users', USERS, '--send-reset'],
        { cwd: dir },
      );
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Imported 0 users; 4 already present; 3 skipped or failed.');
      expect(again.stdout).toContain('Mailed 2 email/password users a link to choose a password');
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(config);
      const mails = [...again.stdout.matchAll(/^To: (.+)$/gm)].map((m) => m[1]);
      expect(mails.sort()).toEqual(['ada@example.com', 'grace@example.com']);

      // Ada follows her link, chooses a password and logs in with it, keeping her App Services user id.
      const link = new URL(
        (again.stdout.split('To: ada@example.com')[1]?.match(/https:\/\/tasks\.example\.com\/reset\?\S+/) ?? [''])[0],
      );
      const token = link.searchParams.get('token') ?? '';
      const tokenId = link.searchParams.get('tokenId') ?? '';
      const gatehouse = await createGatehouse(await loadServerConfig(path, {}, dir), {
        logger: createLogger('silent'),
      });
      try {
        const call = (p: string, body: unknown) =>
          gatehouse.fetch(
            new Request(`http://localhost${p}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            }),
          );
        const base = `/api/client/v2.0/app/${APP}/auth/providers/local-userpass`;
        const reset = await call(`${base}/reset`, { token, tokenId, password: 'a new passphrase for ada' });
        expect(reset.status).toBe(200);
        const login = await call(`${base}/login`, {
          username: 'ada@example.com',
          password: 'a new passphrase for ada',
        });
        expect(login.status).toBe(200);
        const tokens = (await login.json()) as { user_id: string; access_token: string };
        expect(tokens.user_id).toBe(id(1));
        // Her custom data travels in the token as App Services put it: canonical Extended JSON.
        const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString());
        expect(claims.user_data).toMatchObject({
          _id: { $oid: '64b7f0c2a1b2c3d4e5f6c001' },
          plan: 'pro',
          seats: { $numberInt: '3' },
        });
      } finally {
        await gatehouse.close();
      }

      // Once she has a password, she is not mailed again.
      const third = await runCli(
        ['import', 'app-services', EXPORT, '--config', path, '--users', USERS, '--send-reset'],
        { cwd: dir },
      );
      expect(third.stdout).toContain('Mailed 1 email/password user a link');
      expect([...third.stdout.matchAll(/^To: (.+)$/gm)].map((m) => m[1])).toEqual(['grace@example.com']);
    } finally {
      await db?.drop();
    }
  });
});

describe('gatehouse import app-services: refusals', () => {
  it('names what is wrong and leaves the config as it was', async () => {
    const dir = dirs.make();
    const { path } = await initConfig({ dir });
    const before = readFileSync(path, 'utf8');
    const missing = await runCli(['import', 'app-services', join(dir, 'nope'), '--config', path], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such directory');
    const notExport = await runCli(['import', 'app-services', dir, '--config', path], { cwd: dir });
    expect(notExport.stderr).toContain('neither auth/providers.json nor auth_providers/');
    const noUsers = await runCli(['import', 'app-services', EXPORT, '--config', path, '--send-reset'], { cwd: dir });
    expect(noUsers.stderr).toContain('--send-reset needs --users');
    const noUsersData = await runCli(
      ['import', 'app-services', EXPORT, '--config', path, '--custom-data', CUSTOM_DATA],
      { cwd: dir },
    );
    expect(noUsersData.stderr).toContain('--custom-data needs --users');
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});
