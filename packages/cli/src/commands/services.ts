import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isGatehouseError } from '@gatehouse-auth/core';
import { createGatehouse, createLogger, type ServiceView } from '@gatehouse-auth/server';
import { CliError, defineCommand, EXIT_OK, type Io, UsageError } from '../command.js';
import { loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';

const ACTIONS = ['list', 'set', 'remove', 'import'] as const;

export const servicesCommand = defineCommand({
  name: 'services',
  summary: 'Manage external login services (list, set, remove, import)',
  description:
    'External services users log in with (Meteor’s `loginWith<Service>`): google, facebook, github, twitter, ' +
    'meetup, weibo, meteor-developer, or any OpenID Connect issuer (`"type": "oidc"`). `list` shows each ' +
    'service’s public settings and the callback URL to register at the service — never a secret. `set` stores ' +
    'a service in the database: its settings as JSON with `--settings`, its secret from standard input (never ' +
    'an argument); a missing or bad field is named. `remove` deletes a stored service. `import` reads a Meteor ' +
    'settings file and stores each service of its `packages["service-configuration"]`. Services in the config ' +
    'file are changed there. Stored secrets are encrypted with the config’s `encryptionKeys`.',
  options: {
    app: { type: 'string', value: '<id>', description: 'The app (must be in the config)' },
    settings: { type: 'string', value: '<json>', description: 'For set: the settings, e.g. {"clientId":"…"}' },
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
  },
  arguments: [
    { name: '<action>', description: ACTIONS.join(' | ') },
    { name: '[service|file]', description: 'For set and remove: the service name; for import: the settings file' },
  ],
  examples: [
    'gatehouse services list --app myapp-abcde',
    `printf %s "$GITHUB_SECRET" | gatehouse services set --app myapp-abcde github --settings '{"clientId":"Iv1.8a…","loginStyle":"popup"}'`,
    'gatehouse services remove --app myapp-abcde github',
    'gatehouse services import --app myapp-abcde settings.json',
  ],
  async run(values, io, [action, target]) {
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number]))
      throw new UsageError(`unknown action '${action}': ${ACTIONS.join(', ')}`, 'services');
    if (!values.app) throw new UsageError('option --app <id> is required', 'services');
    if (action !== 'list' && !target)
      throw new UsageError(`${action} needs ${action === 'import' ? 'a settings file' : 'a service name'}`, 'services');
    if (action === 'list' && target) throw new UsageError('list takes no argument', 'services');
    let settings: Record<string, unknown> | undefined;
    if (action === 'set') {
      if (!values.settings)
        throw new UsageError('set needs --settings <json> (the secret comes on standard input)', 'services');
      settings = parseObject(values.settings);
      if ('secret' in settings)
        throw new UsageError('the secret never goes on the command line: pipe it to standard input', 'services');
      settings.secret = await readSecret(io);
    }
    const meteorSettings = action === 'import' ? readJsonFile(resolve(io.cwd, target as string)) : undefined;
    const config = await loadServerConfig(locateConfigFile(values.config, io.cwd), io.env, io.cwd);
    if (!config.apps.get(values.app)) throw new CliError(`no app '${values.app}' in the config`);
    prepareSqliteDirectory(config.database.url);
    const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
    try {
      const services = gatehouse.services(values.app);
      const refusal = (error: unknown) => {
        throw isGatehouseError(error) ? new CliError(error.message) : error;
      };
      if (action === 'list') {
        const list = await services.list();
        if (list.length === 0) io.stdout.write('No external services.\n');
        for (const s of list) io.stdout.write(describe(s));
      } else if (action === 'set') {
        const stored = await services.set(target as string, settings as Record<string, unknown>).catch(refusal);
        io.stdout.write(`Stored service '${target}'.\n${describe(stored as ServiceView)}`);
      } else if (action === 'remove') {
        const removed = await services.remove(target as string).catch(refusal);
        if (!removed) throw new CliError(`no stored service '${target}' in app '${values.app}'`);
        io.stdout.write(`Removed service '${target}'.\n`);
      } else {
        const { stored, refused } = (await services.importMeteorSettings(meteorSettings).catch(refusal)) as Awaited<
          ReturnType<typeof services.importMeteorSettings>
        >;
        for (const s of stored) io.stdout.write(`Imported '${s.service}'.\n${describe(s)}`);
        for (const r of refused) io.stderr.write(`Refused '${r.service}': ${r.reason}\n`);
        io.stdout.write(`${stored.length} imported, ${refused.length} refused.\n`);
        if (refused.length > 0) return 1;
      }
      return EXIT_OK;
    } finally {
      await gatehouse.close();
    }
  },
});

function describe(s: ServiceView): string {
  const settings = Object.entries(s.settings)
    .map(([k, v]) => `    ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
  return `${s.service} (${s.source})\n    callback URL to register: ${s.callbackUrl}\n${settings}\n`;
}

function parseObject(json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new UsageError('--settings is not valid JSON', 'services');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError('--settings must be a JSON object', 'services');
  return value as Record<string, unknown>;
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON`);
  }
}

/** The secret from standard input, without one trailing newline. */
async function readSecret(io: Io): Promise<string> {
  if (!io.readStdin) throw new CliError('standard input cannot be read here');
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
  if (text.length === 0) throw new CliError('no secret on standard input');
  return text;
}
