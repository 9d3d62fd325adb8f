import { isGatehouseError } from '@gatehouse-auth/core';
import { createGatehouse, createLogger, serverApiKeys } from '@gatehouse-auth/server';
import { CliError, defineCommand, EXIT_OK, UsageError } from '../command.js';
import { loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';

const ACTIONS = ['create', 'list', 'enable', 'disable', 'delete'] as const;

export const keysCommand = defineCommand({
  name: 'keys',
  summary: 'Manage server API keys (create, list, enable, disable, delete)',
  description:
    'Server API keys log in with `Credentials.apiKey(key)`; each key has its own user of type "server" (its ' +
    'profile says `type: "server"`). `create` prints the key once — only its SHA-256 is stored. `list` shows ' +
    'ids, names, user ids, whether disabled and when last used. `enable`, `disable` and `delete` take a key ' +
    'id; a disabled or deleted key cannot log in, and the sessions it opened end. Deleting a key deletes its ' +
    'server user. The app must have the api-key provider on.',
  options: {
    app: { type: 'string', value: '<id>', description: 'The app (must be in the config)' },
    name: { type: 'string', value: '<name>', description: 'For create: the key name (unique in the app)' },
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
  },
  arguments: [
    { name: '<action>', description: ACTIONS.join(' | ') },
    { name: '[keyId]', description: 'For enable, disable and delete' },
  ],
  examples: [
    'gatehouse keys create --app myapp-abcde --name backend',
    'gatehouse keys list --app myapp-abcde',
    'gatehouse keys disable --app myapp-abcde 6b02c4…',
  ],
  async run(values, io, [action, keyId]) {
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number]))
      throw new UsageError(`unknown action '${action}': ${ACTIONS.join(', ')}`, 'keys');
    if (!values.app) throw new UsageError('option --app <id> is required', 'keys');
    if (action === 'create' && !values.name) throw new UsageError('create needs --name <name>', 'keys');
    if (action !== 'create' && action !== 'list' && !keyId) throw new UsageError(`${action} needs a key id`, 'keys');
    if ((action === 'create' || action === 'list') && keyId)
      throw new UsageError(`${action} takes no key id (did you mean --name?)`, 'keys');
    const config = await loadServerConfig(locateConfigFile(values.config, io.cwd), io.env, io.cwd);
    const app = config.apps.get(values.app);
    if (!app) throw new CliError(`no app '${values.app}' in the config`);
    if (action === 'create' && !app.providers['api-key']?.enabled)
      throw new CliError(
        `app '${values.app}' does not have the api-key provider on: add "api-key": {} to its providers first`,
      );
    prepareSqliteDirectory(config.database.url);
    const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
    try {
      const keys = serverApiKeys(gatehouse.storage, app, Date.now());
      if (action === 'create') {
        const created = await keys.create(values.name as string).catch((error: unknown) => {
          // A refused name or a full app is the operator's to fix: the message, no stack hint.
          throw isGatehouseError(error) ? new CliError(error.message) : error;
        });
        io.stdout.write(
          `Created server API key '${created.name}' (id ${created._id}, user ${created.userId}). ` +
            `The key, shown only now:\n${created.key}\n`,
        );
      } else if (action === 'list') {
        const list = await keys.list();
        if (list.length === 0) io.stdout.write('No server API keys.\n');
        for (const k of list) {
          const used = k.lastUsedAt === null ? 'never used' : `last used ${new Date(k.lastUsedAt).toISOString()}`;
          io.stdout.write(`${k._id}  ${k.name}  user ${k.userId}  ${used}${k.disabled ? '  (disabled)' : ''}\n`);
        }
      } else {
        const done =
          action === 'delete'
            ? await keys.remove(keyId as string)
            : await keys.setDisabled(keyId as string, action === 'disable');
        if (!done) throw new CliError(`no server API key '${keyId}' in app '${values.app}'`);
        io.stdout.write(`Server API key ${keyId} ${action === 'delete' ? 'deleted' : `${action}d`}.\n`);
      }
      return EXIT_OK;
    } finally {
      await gatehouse.close();
    }
  },
});
