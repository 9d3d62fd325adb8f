import { createGatehouse, createLogger } from '@gatehouse/server';
import { CliError, defineCommand, EXIT_OK, UsageError } from '../command.js';
import { loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';

export const usersCommand = defineCommand({
  name: 'users',
  summary: "Look at a user, or set a user's custom data",
  description:
    '`gatehouse users show <userId>` prints a user (profile, emails, identities, custom data, API key names — ' +
    'never secrets). ' +
    "`gatehouse users set-custom-data <userId> '<json object>'` replaces the user's stored custom data: access " +
    'tokens carry it as user_data from the next refresh on (realm-web: user.refreshCustomData()), unless the ' +
    'config module has a customData hook.',
  options: {
    app: { type: 'string', value: '<id>', description: 'The app (must be in the config)' },
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
  },
  arguments: [
    { name: '<action>', description: 'show | set-custom-data' },
    { name: '<userId>', description: 'The user id' },
    { name: '[json]', description: 'For set-custom-data: a JSON object' },
  ],
  examples: [
    'gatehouse users show --app myapp-abcde 6b02c4464…',
    `gatehouse users set-custom-data --app myapp-abcde 6b02c4464… '{"plan":"pro"}'`,
  ],
  async run(values, io, [action, userId, json]) {
    if (action !== 'show' && action !== 'set-custom-data')
      throw new UsageError(`unknown action '${action}': show or set-custom-data`, 'users');
    if (!values.app) throw new UsageError('option --app <id> is required', 'users');
    let customData: Record<string, unknown> | undefined;
    if (action === 'set-custom-data') {
      if (json === undefined) throw new UsageError('set-custom-data needs a JSON object: \'{"plan":"pro"}\'', 'users');
      try {
        customData = JSON.parse(json);
      } catch {
        throw new UsageError('the custom data is not valid JSON', 'users');
      }
      if (customData === null || typeof customData !== 'object' || Array.isArray(customData))
        throw new UsageError('the custom data must be a JSON object', 'users');
      if (JSON.stringify(customData).length > 16_384)
        throw new UsageError('the custom data is larger than 16 KiB', 'users');
    }
    const config = await loadServerConfig(locateConfigFile(values.config, io.cwd), io.env, io.cwd);
    if (!config.apps.has(values.app)) throw new CliError(`no app '${values.app}' in the config`);
    prepareSqliteDirectory(config.database.url);
    const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
    try {
      const user = await gatehouse.storage.getUser(values.app, userId as string);
      if (!user) throw new CliError(`no user '${userId}' in app '${values.app}'`);
      if (customData) {
        await gatehouse.storage.setUserCustomData(values.app, user.id, customData as never, Date.now());
        io.stdout.write(`Custom data of ${user.id} set; tokens carry it from the next refresh.\n`);
      } else {
        const { id, username, type, disabled, profile, customData: data, emails, identities, createdAt } = user;
        const shown = {
          id,
          username,
          type,
          disabled,
          createdAt: new Date(createdAt).toISOString(),
          emails,
          identities: identities.map((i) => ({ provider: i.providerType, id: i.id })),
          profile,
          customData: data,
          // Names and states only: a key's secret was shown once at creation and only its hash is stored.
          apiKeys: (await gatehouse.storage.listApiKeys(user.id)).map((k) => ({
            id: k.id,
            name: k.name,
            kind: k.kind,
            disabled: k.disabled,
            lastUsedAt: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
          })),
        };
        io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      }
      return EXIT_OK;
    } finally {
      await gatehouse.close();
    }
  },
});
