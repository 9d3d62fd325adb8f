import { createGatehouse } from '@gatehouse-auth/server';
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

    const server = await startServer({ ...config.listen, create: () => createGatehouse(config) });
    io.stdout.write(
      `Gatehouse listening on ${server.url} (public URL ${config.publicUrl}; ` +
        `apps: ${[...config.apps.keys()].join(', ')}; database: ${redactUrl(config.database.url)}; ` +
        `config: ${displayPath(path, io.cwd)})\n`,
    );
    if (config.dangerouslyEnableDevPages)
      io.stderr.write(
        'warning: dangerouslyEnableDevPages is on: the demo page and the mail outbox (every confirmation and reset ' +
          'link) are served to anyone who can reach this server.\n',
      );
    if (config.email.transport === 'outbox')
      io.stderr.write(
        'warning: email.transport is "outbox": no mail leaves this server. Set GATEHOUSE_SMTP_URL (or email in the ' +
          'config) for confirmation and reset mails.\n',
      );
    return serveUntilStopped(server, io);
  },
});
