import { createGatehouse, createLogger } from '@gatehouse-auth/server';
import { parsePort } from '../args.js';
import { defineCommand } from '../command.js';
import { displayPath, loadServerConfig, locateConfigFile, prepareSqliteDirectory, redactUrl } from '../config-file.js';
import { serveUntilStopped, startServer } from '../run-server.js';

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'Run the server in production mode from a config file',
  description:
    'Loads the config (--config, else gatehouse.config.{mjs,js,json} in the current directory), applies ' +
    'environment overrides (DATABASE_URL, GATEHOUSE_PUBLIC_URL, GATEHOUSE_KEYS, GATEHOUSE_SMTP_URL, …), validates ' +
    'it — naming every bad field — and serves it. Migrations are applied at start. Development pages stay off ' +
    'unless the config sets dangerouslyEnableDevPages. SIGINT or SIGTERM shut down gracefully; a second one ' +
    'exits at once.',
  options: {
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
    port: { type: 'string', value: '<n>', description: 'Port to listen on (default: listen.port; 0 = any free port)' },
    host: { type: 'string', value: '<host>', description: 'Address to listen on (default: listen.host)' },
  },
  examples: ['gatehouse serve', 'DATABASE_URL=postgres://gatehouse@db/gatehouse gatehouse serve --host 0.0.0.0'],
  async run(values, io) {
    const port = parsePort(values.port, 'serve');
    const path = locateConfigFile(values.config, io.cwd);
    let config = await loadServerConfig(path, io.env, io.cwd);
    if (values.host !== undefined || port !== undefined)
      config = Object.freeze({
        ...config,
        listen: Object.freeze({ host: values.host ?? config.listen.host, port: port ?? config.listen.port }),
      });
    prepareSqliteDirectory(config.database.url);

    // One JSON log on stdout from the first line on: start-up, requests, shutdown.
    const logger = createLogger(config.logLevel, io.stdout);
    const server = await startServer({
      ...config.listen,
      create: () => createGatehouse(config, { logger }),
    });
    logger.info(
      {
        url: server.url,
        publicUrl: config.publicUrl,
        apps: [...config.apps.keys()],
        database: redactUrl(config.database.url),
        config: displayPath(path, io.cwd),
        ...(server.metrics ? { metrics: server.metrics.url } : {}),
      },
      'listening',
    );
    if (config.dangerouslyEnableDevPages)
      logger.warn(
        { setting: 'dangerouslyEnableDevPages' },
        'dangerouslyEnableDevPages is on: the demo page and the mail outbox (every confirmation and reset link) ' +
          'are served to anyone who can reach this server',
      );
    if (config.email.transport === 'outbox')
      logger.warn(
        { setting: 'email.transport' },
        'email.transport is "outbox": no mail leaves this server. Set GATEHOUSE_SMTP_URL (or email in the config) ' +
          'for confirmation and reset mails',
      );
    return serveUntilStopped(server, io, (message) => logger.info({}, message));
  },
});
