import { createGatehouse, createLogger, serverApiKeys } from '@gatehouse/server';
import { CliError, defineCommand, EXIT_OK, UsageError } from '../command.js';
import { loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';

export const keysCommand = defineCommand({
  name: 'keys',
  summary: 'Manage server API keys (create, list, enable, disable, delete)',
  description:
    'Server API keys log in with `Credentials.apiKey(key)` as the app\'s server user (profile type "server"). ' +
    '`create` prints the key once — only its SHA-256 is stored. `list` shows ids, names and whether disabled. ' +
    '`enable`, `disable` and `delete` take a key id; a disabled or deleted key cannot log in.',
  options: {
    app: { type: 'string', value: '<id>', description: 'The app (must be in the config)' },
    name: { type: 'string', value: '<name>', description: 'For create: the key name' },
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
  },
  arguments: [
    { name: '<action>', description: 'create | list | enable | disable | delete' },
    { name: '[keyId]', description: 'For enable, disable and delete' },
  ],
  examples: [
    'gatehouse keys create --app myapp-abcde --name backend',
    'gatehouse keys list --app myapp-abcde',
    'gatehouse keys disable --app myapp-abcde 6b02c4…',
  ],
  async run(values, io, [action, keyId]) {
    const actions = ['create', 'list', 'enable', 'disable', 'delete'];
    if (!actions.includes(action as string))
      throw new UsageError(`unknown action '${action}': ${actions.join(', ')}`, 'keys');
    if (!values.app) throw new UsageError('option --app <id> is required', 'keys');
    if (action === 'create' && !values.name) throw new UsageError('create needs --name <name>', 'keys');
    if (['enable', 'disable', 'delete'].includes(action as string) && !keyId)
      throw new UsageError(`${action} needs a key id`, 'keys');
    const config = await loadServerConfig(locateConfigFile(values.config, io.cwd), io.env, io.cwd);
    if (!config.apps.has(values.app)) throw new CliError(`no app '${values.app}' in the config`);
    prepareSqliteDirectory(config.database.url);
    const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
    try {
      const keys = await serverApiKeys(gatehouse.storage, values.app, Date.now());
      if (action === 'create') {
        const created = await keys.create(values.name as string);
        io.stdout.write(
          `Created server API key '${created.name}' (id ${created._id}). The key, shown only now:\n${created.key}\n`,
        );
      } else if (action === 'list') {
        const list = await keys.list();
        if (list.length === 0) io.stdout.write('No server API keys.\n');
        for (const k of list) io.stdout.write(`${k._id}  ${k.name}${k.disabled ? '  (disabled)' : ''}\n`);
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
