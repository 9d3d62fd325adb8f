import cluster from 'node:cluster';
import type { GatehouseOptions } from '@gatehouse-auth/server';
import { createLogger } from '@gatehouse-auth/server/primary';
import { parsePort } from '../args.js';
import { type ListeningMessage, resolveWorkers, SHUTDOWN_MESSAGE, serveCluster } from '../cluster.js';
import { defineCommand } from '../command.js';
import { displayPath, loadServerConfig, locateConfigFile, prepareSqliteDirectory, redactUrl } from '../config-file.js';

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'Run the server in production mode from a config file',
  description:
    'Loads the config (--config, else gatehouse.config.{mjs,js,json} in the current directory), applies ' +
    'environment overrides (DATABASE_URL, GATEHOUSE_PUBLIC_URL, GATEHOUSE_KEYS, GATEHOUSE_SMTP_URL, …), validates ' +
    'it — naming every bad field — and serves it. Migrations are applied at start. Development pages stay off ' +
    'unless the config sets dangerouslyEnableDevPages. SIGINT or SIGTERM shut down gracefully; a second one ' +
    'exits at once. With several workers (--workers, listen.workers; one per core by default) a primary process ' +
    'forks them, owns the one password-hashing pool, and replaces a worker that dies.',
  options: {
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
    port: { type: 'string', value: '<n>', description: 'Port to listen on (default: listen.port; 0 = any free port)' },
    host: { type: 'string', value: '<host>', description: 'Address to listen on (default: listen.host)' },
    workers: {
      type: 'string',
      value: '<n|auto>',
      description: 'Processes sharing the port (default: listen.workers, auto = one per CPU core)',
    },
  },
  examples: [
    'gatehouse serve',
    'gatehouse serve --workers 2',
    'DATABASE_URL=postgres://gatehouse@db/gatehouse gatehouse serve --host 0.0.0.0',
  ],
  async run(values, io) {
    const port = parsePort(values.port, 'serve');
    const path = locateConfigFile(values.config, io.cwd);
    let config = await loadServerConfig(path, io.env, io.cwd);
    if (values.host !== undefined || port !== undefined)
      config = Object.freeze({
        ...config,
        listen: Object.freeze({
          ...config.listen,
          host: values.host ?? config.listen.host,
          port: port ?? config.listen.port,
        }),
      });
    prepareSqliteDirectory(config.database.url);

    const workers = resolveWorkers(values.workers, config);
    const where = { publicUrl: config.publicUrl, apps: [...config.apps.keys()] };
    const describe = { ...where, database: redactUrl(config.database.url), config: displayPath(path, io.cwd) };

    if (cluster.isWorker) {
      // A worker of `serve --workers`: hashing, limits and news go through the primary; its logs say which worker.
      const { createClusterClient, createGatehouse, createPasswordHasher } = await import('@gatehouse-auth/server');
      const { serveUntilStopped, startServer } = await import('../run-server.js');
      const logger = createLogger(config.logLevel, io.stdout, { worker: cluster.worker?.id ?? 0 });
      const client = createClusterClient(process as Parameters<typeof createClusterClient>[0]);
      const options: GatehouseOptions = {
        logger,
        passwordHasher: createPasswordHasher(config.passwordHashing, {}, client.pool),
        hashingReported: 'elsewhere',
        ...(config.redis ? {} : { rateLimiter: client.limiter, userChanges: client.changes }),
      };
      // Metrics: the primary serves one listener for all workers and asks each for its figures at a scrape.
      const server = await startServer({
        ...config.listen,
        serveMetrics: false,
        async create() {
          const gatehouse = await createGatehouse(config, options);
          const metrics = gatehouse.metrics;
          if (metrics) client.reportMetrics(() => metrics.registry.getMetricsAsJSON());
          return gatehouse;
        },
      });
      // Drain on the primary's word, or when the primary is gone; a signal of our own (Ctrl+C reaches the whole
      // process group) drains too, through io.signal.
      const stop = new AbortController();
      process.on('message', (message) => {
        if ((message as typeof SHUTDOWN_MESSAGE)?.kind === SHUTDOWN_MESSAGE.kind) stop.abort('SIGTERM');
      });
      process.on('disconnect', () => stop.abort('SIGTERM'));
      logger.debug({ url: server.url, pid: process.pid }, 'worker listening');
      process.send?.({
        gatehouse: 1,
        kind: 'listening',
        url: server.url,
      } satisfies ListeningMessage);
      const signal = io.signal ? AbortSignal.any([io.signal, stop.signal]) : stop.signal;
      return serveUntilStopped(server, { ...io, signal }, (message) => logger.debug({}, message));
    }

    // One JSON log on stdout from the first line on: start-up, requests, shutdown.
    const logger = createLogger(config.logLevel, io.stdout);
    if (workers > 1) {
      const { host, port } = config.listen;
      const argv = ['serve', '--config', path, '--host', host, '--port', String(port)];
      return serveCluster({ config, workers, argv, io, logger, describe, onListening: () => warnings(logger) });
    }
    // Loaded here, not at the top: the primary of `--workers` above never serves requests (see serve-main.ts).
    const { createGatehouse } = await import('@gatehouse-auth/server');
    const { serveUntilStopped, startServer } = await import('../run-server.js');
    const server = await startServer({
      ...config.listen,
      create: () => createGatehouse(config, { logger }),
    });
    logger.info(
      { url: server.url, ...describe, ...(server.metrics ? { metrics: server.metrics.url } : {}) },
      'listening',
    );
    warnings(logger);
    return serveUntilStopped(server, io, (message) => logger.info({}, message));

    function warnings(logger: ReturnType<typeof createLogger>) {
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
    }
  },
});
