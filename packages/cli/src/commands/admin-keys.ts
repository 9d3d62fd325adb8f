import { isGatehouseError } from '@gatehouse-auth/core';
import { createGatehouse, createLogger } from '@gatehouse-auth/server';
import { CliError, defineCommand, EXIT_OK, UsageError } from '../command.js';
import { loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';

const ACTIONS = ['create', 'list', 'revoke'] as const;

export const adminKeysCommand = defineCommand({
  name: 'admin-keys',
  summary: 'Manage admin API keys (create, list, revoke)',
  description:
    'Admin API keys authenticate the admin API (`/api/admin/v1`) and the admin console as ' +
    '`Authorization: Bearer gha_…`; user tokens never do. `create` prints the key once — only its SHA-256 is ' +
    'stored. With --app the key administers that app only (another app answers 403); with --global, every app. ' +
    '`list` shows ids, names, scope, when last used and whether revoked. `revoke` takes a key id: its next ' +
    'request answers 401.',
  options: {
    app: { type: 'string', value: '<id>', description: 'For create: the one app the key administers' },
    global: { type: 'boolean', description: 'For create: the key administers every app' },
    name: { type: 'string', value: '<name>', description: 'For create: what the key is for' },
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
  },
  arguments: [
    { name: '<action>', description: ACTIONS.join(' | ') },
    { name: '[keyId]', description: 'For revoke' },
  ],
  examples: [
    'gatehouse admin-keys create --app myapp-abcde --name support',
    'gatehouse admin-keys create --global --name ops',
    'gatehouse admin-keys list',
    'gatehouse admin-keys revoke 6b02c4…',
  ],
  async run(values, io, [action, keyId]) {
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number]))
      throw new UsageError(`unknown action '${action}': ${ACTIONS.join(', ')}`, 'admin-keys');
    if (action === 'create') {
      if (!values.name) throw new UsageError('create needs --name <name>', 'admin-keys');
      if (Boolean(values.app) === Boolean(values.global))
        throw new UsageError('create needs either --app <id> or --global', 'admin-keys');
    }
    if (action === 'revoke' && !keyId) throw new UsageError('revoke needs a key id', 'admin-keys');
    if (action !== 'revoke' && keyId) throw new UsageError(`${action} takes no key id`, 'admin-keys');
    const config = await loadServerConfig(locateConfigFile(values.config, io.cwd), io.env, io.cwd);
    if (values.app && !config.apps.has(values.app)) throw new CliError(`no app '${values.app}' in the config`);
    prepareSqliteDirectory(config.database.url);
    const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
    try {
      const keys = gatehouse.adminKeys;
      if (action === 'create') {
        const created = await keys
          .create({ appId: values.global ? null : (values.app as string), name: values.name as string })
          .catch((error: unknown) => {
            throw isGatehouseError(error) ? new CliError(error.message) : error;
          });
        const scope = created.appId === null ? 'every app' : `app ${created.appId}`;
        io.stdout.write(
          `Created admin API key '${created.name}' (id ${created.id}, ${scope}). The key, shown only now:\n${created.key}\n`,
        );
      } else if (action === 'list') {
        const list = await keys.list();
        if (list.length === 0) io.stdout.write('No admin API keys.\n');
        for (const k of list) {
          const used = k.lastUsedAt === null ? 'never used' : `last used ${new Date(k.lastUsedAt).toISOString()}`;
          const scope = k.appId === null ? 'global' : `app ${k.appId}`;
          const revoked = k.revokedAt === null ? '' : `  (revoked ${new Date(k.revokedAt).toISOString()})`;
          io.stdout.write(`${k.id}  ${k.name}  ${scope}  ${used}${revoked}\n`);
        }
      } else {
        if (!(await keys.revoke(keyId as string))) throw new CliError(`no active admin API key '${keyId}'`);
        io.stdout.write(`Admin API key ${keyId} revoked.\n`);
      }
      return EXIT_OK;
    } finally {
      await gatehouse.close();
    }
  },
});
