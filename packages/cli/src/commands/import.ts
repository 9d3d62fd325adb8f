import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createGatehouse, createLogger, importMeteorUsers, parseMongoExport } from '@gatehouse-auth/server';
import { CliError, defineCommand, EXIT_FAILURE, EXIT_OK, type Io, UsageError } from '../command.js';
import { loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';
import { importAppServices } from './import-app-services.js';

export const importCommand = defineCommand({
  name: 'import',
  summary: 'Import users from another system (meteor, app-services)',
  description:
    '`import app-services <export-dir>` reads an Atlas App Services app export (auth/providers.json, ' +
    'auth/custom_user_data.json), writes the providers into the app of gatehouse.config.json and prints what it ' +
    'could not carry (secrets, functions); with --users it imports the Admin API user list with ids, identities, ' +
    'emails and disabled state, and with --custom-data a mongoexport of the custom user data collection as each ' +
    "user's custom data — without passwords, which never leave App Services: --send-reset mails each " +
    'email/password user still without a password a link to choose one (run it again later: only those still ' +
    'without one get a mail). `import meteor <file>` imports a mongoexport of a Meteor `users` collection (JSON lines or --jsonArray; Extended JSON) into an app. ' +
    'Ids, usernames, emails with their verified flags, profiles and creation dates are kept; bcrypt and argon2 ' +
    'password hashes verify at the next login and are upgraded to argon2id then; unexpired resume tokens become ' +
    'sessions; OAuth services become identities (their access tokens are dropped). Users already imported are ' +
    'left as they are, so running it again is safe. A bad record is reported and skipped.',
  options: {
    app: {
      type: 'string',
      value: '<id>',
      description: 'App to import into (meteor: must be in the config; app-services: default the export’s app id)',
    },
    users: { type: 'string', value: '<file>', description: 'app-services: the users export (JSON array)' },
    'custom-data': {
      type: 'string',
      value: '<file>',
      description: 'app-services: a mongoexport of the custom user data collection, stored per user',
    },
    'send-reset': {
      type: 'boolean',
      description: 'app-services: mail a set-your-password link to imported email/password users',
    },
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
    'login-expiration-days': {
      type: 'string',
      value: '<n>',
      description: "Meteor's loginExpirationInDays (default 90)",
    },
  },
  arguments: [
    { name: '<source>', description: 'What the data comes from: meteor | app-services' },
    { name: '<file>', description: 'meteor: the mongoexport file; app-services: the export directory' },
  ],
  examples: [
    'mongoexport -d meteor -c users -o users.json && gatehouse import meteor --app myapp-abcde users.json',
    'gatehouse import app-services ./myapp-export --users users.json --send-reset',
  ],
  async run(values, io, [source, file]) {
    if (source === 'app-services') return importAppServices(values, io as Io, file as string);
    if (source !== 'meteor')
      throw new UsageError(`unknown source '${source}': gatehouse imports from meteor or app-services`, 'import');
    if (!values.app) throw new UsageError('option --app <id> is required', 'import');
    const days = values['login-expiration-days'] === undefined ? 90 : Number(values['login-expiration-days']);
    if (!Number.isFinite(days) || days <= 0)
      throw new UsageError('--login-expiration-days expects a positive number', 'import');
    const config = await loadServerConfig(locateConfigFile(values.config, io.cwd), io.env, io.cwd);
    if (!config.apps.has(values.app)) {
      throw new CliError(`no app '${values.app}' in the config (apps: ${[...config.apps.keys()].join(', ')})`);
    }
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, file as string), 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    prepareSqliteDirectory(config.database.url);
    const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
    try {
      const parsed = parseMongoExport(text);
      const report = await importMeteorUsers(gatehouse.storage, values.app, parsed.records, {
        loginExpirationMs: days * 86_400_000,
      });
      const failed = [...parsed.failed, ...report.failed];
      io.stdout.write(
        `Imported ${report.imported} user${report.imported === 1 ? '' : 's'} (${report.sessions} session${report.sessions === 1 ? '' : 's'}); ` +
          `${report.unchanged} already present; ${failed.length} failed.\n`,
      );
      for (const f of failed) io.stdout.write(`  record ${f.record}${f.id ? ` (${f.id})` : ''}: ${f.reason}\n`);
      return failed.length > 0 && report.imported + report.unchanged === 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      await gatehouse.close();
    }
  },
});
