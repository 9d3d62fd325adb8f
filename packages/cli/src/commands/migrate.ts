import { createGatehouse, createLogger } from '@gatehouse-auth/server';
import { defineCommand, EXIT_OK } from '../command.js';
import { displayPath, loadServerConfig, locateConfigFile, prepareSqliteDirectory, redactUrl } from '../config-file.js';

export const migrateCommand = defineCommand({
  name: 'migrate',
  summary: 'Apply database migrations',
  description:
    'Opens the database named by the config (or DATABASE_URL) and applies pending migrations, then exits. ' +
    'Safe to run while other instances start: PostgreSQL migrations take a lock. `gatehouse serve` also migrates ' +
    'at start; run this first to migrate as a separate deployment step.',
  options: {
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
  },
  examples: ['gatehouse migrate', 'DATABASE_URL=postgres://gatehouse@db/gatehouse gatehouse migrate'],
  async run(values, io) {
    const path = locateConfigFile(values.config, io.cwd);
    const config = await loadServerConfig(path, io.env, io.cwd);
    prepareSqliteDirectory(config.database.url);
    io.stdout.write(`Migrating ${redactUrl(config.database.url)} (config: ${displayPath(path, io.cwd)})…\n`);
    // createGatehouse opens the database, applies the migrations and records the config's apps: what the
    // server does at start, without serving. Only warnings reach the log.
    const gatehouse = await createGatehouse(config, {
      migrate: true,
      logger: createLogger(config.logLevel === 'silent' ? 'silent' : 'warn'),
    });
    const dialect = gatehouse.storage.dialect;
    await gatehouse.close();
    io.stdout.write(
      `Done: the ${dialect} schema is up to date; apps recorded: ${[...config.apps.keys()].join(', ')}.\n`,
    );
    return EXIT_OK;
  },
});
