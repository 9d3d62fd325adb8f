import { dirname, join, resolve } from 'node:path';
import {
  applyEnvironment,
  createGatehouse,
  createLogger,
  findConfigFile,
  type ResolvedConfig,
  readConfigFile,
  resolveConfig,
} from '@gatehouse-auth/server';
import { parsePort } from '../args.js';
import { defineCommand } from '../command.js';
import { displayPath, prepareSqliteDirectory, redactUrl, resolveSqliteUrl, sqliteFile } from '../config-file.js';
import { browserHost, serveUntilStopped, startServer } from '../run-server.js';
import { initConfig } from './init.js';

/** What `gatehouse dev` lays over the config file, in memory. */
export interface DevOverrides {
  publicUrl: string;
  databaseUrl: string;
  host?: string;
  port?: number;
}

/**
 * The development configuration: the file's settings (with environment overrides already applied) plus the
 * outbox for mail, the dev pages, and anonymous and email/password sign-in in the first app. The file itself
 * is never rewritten. Validation happens afterwards, on the result, so bad fields are still named.
 *
 * @example
 * ```ts
 * resolveConfig(devConfig(raw, { publicUrl: 'http://127.0.0.1:8080', databaseUrl: 'sqlite:/app/.gatehouse/gatehouse.db' }));
 * ```
 */
export function devConfig(raw: Record<string, unknown>, overrides: DevOverrides): Record<string, unknown> {
  const listen = { ...record(raw.listen) };
  if (overrides.host !== undefined) listen.host = overrides.host;
  if (overrides.port !== undefined) listen.port = overrides.port;
  const email = record(raw.email);
  let apps = raw.apps;
  const appsRecord = record(apps);
  const [firstId] = Object.keys(appsRecord);
  if (firstId !== undefined) {
    const app = record(appsRecord[firstId]);
    const providers = record(app.providers);
    apps = {
      ...appsRecord,
      [firstId]: {
        ...app,
        providers: {
          ...providers,
          'anon-user': { ...record(providers['anon-user']), enabled: true },
          'local-userpass': { ...record(providers['local-userpass']), enabled: true },
        },
      },
    };
  }
  return {
    ...raw,
    publicUrl: overrides.publicUrl,
    listen,
    database: { ...record(raw.database), url: overrides.databaseUrl },
    email: { transport: 'outbox', ...(typeof email.from === 'string' ? { from: email.from } : {}) },
    dangerouslyEnableDevPages: true,
    apps,
  };
}

/** The SDK the start-up text suggests (a constant, so the import checker does not take the text for an import). */
const CLIENT_PACKAGE = '@gatehouse-auth/client';

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

export const devCommand = defineCommand({
  name: 'dev',
  summary: 'Run a development server: demo page, mail outbox, SQLite',
  description:
    'Starts Gatehouse for development from the config in --dir (running `gatehouse init` there first if there ' +
    'is none), with overrides applied in memory (the file is not changed): SQLite in ./.gatehouse unless the ' +
    'config names a database, mail kept in the outbox at /dev/outbox, the demo page at /, anonymous and ' +
    'email/password sign-in enabled in the first app, and publicUrl http://<host>:<port> unless ' +
    'GATEHOUSE_PUBLIC_URL is set. Other environment overrides (DATABASE_URL, …) apply as usual.',
  options: {
    dir: { type: 'string', value: '<dir>', description: 'Directory of the config (default: the current one)' },
    port: {
      type: 'string',
      value: '<n>',
      description: 'Port to listen on (default: listen.port, else 8080; 0 = any free port)',
    },
    host: {
      type: 'string',
      value: '<host>',
      description: 'Address to listen on (default: listen.host, else 127.0.0.1)',
    },
  },
  examples: ['gatehouse dev', 'gatehouse dev --port 3000', 'DATABASE_URL=postgres://localhost/gatehouse gatehouse dev'],
  async run(values, io) {
    const portFlag = parsePort(values.port, 'dev');
    const dir = resolve(io.cwd, values.dir ?? '.');
    let path = findConfigFile(dir);
    if (!path) {
      const created = await initConfig({ dir });
      path = created.path;
      io.stdout.write(
        `No config in ${dir === resolve(io.cwd) ? 'this directory' : displayPath(dir, io.cwd)}: ran 'gatehouse init', which created ${displayPath(path, io.cwd)}\n` +
          `(app id ${created.appId}; it holds your private signing key, mode 0600: keep it out of version control).\n\n`,
      );
    }

    const raw = applyEnvironment(await readConfigFile(path), io.env);
    const fileDatabase = record(raw.database).url;
    const databaseUrl =
      typeof fileDatabase === 'string'
        ? resolveSqliteUrl(fileDatabase, io.env.DATABASE_URL ? io.cwd : dirname(path))
        : `sqlite:${join(dirname(path), '.gatehouse', 'gatehouse.db')}`;
    const envPublicUrl = io.env.GATEHOUSE_PUBLIC_URL || undefined;
    const build = (publicUrl: string): ResolvedConfig =>
      resolveConfig(devConfig(raw, { publicUrl, databaseUrl, host: values.host, port: portFlag }));

    // Validate before binding the port, with a provisional publicUrl: a bad field is reported first.
    const provisional = build(envPublicUrl ?? `http://${browserHost(values.host ?? '127.0.0.1')}:${portFlag || 8080}`);
    const { host, port } = provisional.listen;
    prepareSqliteDirectory(databaseUrl);

    let config = provisional;
    const logger = createLogger(provisional.logLevel, io.stdout);
    const server = await startServer({
      host,
      port,
      create: async (listening) => {
        config = build(envPublicUrl ?? `http://${browserHost(host)}:${listening.port}`);
        return createGatehouse(config, { logger });
      },
    });

    const base = config.publicUrl;
    const apps = [...config.apps.keys()];
    const appId = apps[0] ?? '';
    const sqlite = sqliteFile(config.database.url);
    const lines = [
      'Gatehouse is running in development mode.',
      '',
      `  Demo page:    ${base}/`,
      `  Mail outbox:  ${base}/dev/outbox`,
      `  App id:       ${appId}${apps.length > 1 ? `   (other apps: ${apps.slice(1).join(', ')})` : ''}`,
    ];
    if (server.url !== base) lines.push(`  Listening on: ${server.url}`);
    if (server.metrics) lines.push(`  Metrics:      ${server.metrics.url}`);
    lines.push(
      `  Config:       ${displayPath(path, io.cwd)} (with development overrides in memory; the file is unchanged)`,
      `  Database:     ${sqlite ? displayPath(sqlite, io.cwd) : redactUrl(config.database.url)}`,
      '',
      `Connect your app with Gatehouse's SDK (npm install ${CLIENT_PACKAGE}):`,
      `  import { App, Credentials } from '${CLIENT_PACKAGE}';`,
      `  const app = new App({ id: '${appId}', baseUrl: '${base}' });`,
      `  const user = await app.logIn(Credentials.anonymous());`,
      `or leave a realm-web app as it is and point it here: new Realm.App({ id: '${appId}', baseUrl: '${base}' })`,
      '',
      'Press Ctrl+C to stop.',
      '',
    );
    io.stdout.write(lines.join('\n'));
    if (!isLoopback(host))
      io.stderr.write(
        `warning: listening on ${host}: the dev pages (the outbox shows every confirmation and reset link) are ` +
          'reachable from the network. Use --host 127.0.0.1 unless you mean it.\n',
      );
    return serveUntilStopped(server, io);
  },
});
