import { type Gatehouse, type MetricsServer, type NodeServer, serveMetrics, serveNode } from '@gatehouse-auth/server';
import { EXIT_FAILURE, EXIT_OK, type Io } from './command.js';
import { listenError } from './listen-error.js';

/** Where to listen, and how to build the Gatehouse once the port is known. */
export interface StartOptions {
  host: string;
  port: number;
  /** Builds the Gatehouse; `port` is the port actually bound (meaningful when 0 was asked for). */
  create(listening: { port: number }): Promise<Gatehouse>;
  /**
   * Whether this process serves its own metrics listener when `metrics.enabled` (default true). A worker of
   * `serve --workers` does not: the primary serves the whole cluster's.
   */
  serveMetrics?: boolean;
}

/** A started server, with the metrics listener when `metrics.enabled`. */
export interface StartedServer extends NodeServer {
  metrics: MetricsServer | null;
}

/**
 * Binds the port first, then builds the Gatehouse. Binding first means a taken port is reported at once,
 * before keys are imported and migrations run, and `--port 0` yields a real port that `gatehouse dev` can put
 * into `publicUrl` (the issuer of its tokens and the demo page's `baseUrl`). Requests arriving in between
 * wait for the Gatehouse to be ready.
 *
 * Throws a {@link CliError} when the port is taken or not permitted; whatever `create` throws otherwise (after
 * releasing the port).
 */
export async function startServer(options: StartOptions): Promise<StartedServer> {
  let settle!: { resolve(g: Gatehouse): void; reject(error: unknown): void };
  const built = new Promise<Gatehouse>((resolve, reject) => (settle = { resolve, reject }));
  built.catch(() => {}); // a failed build is reported by startServer itself
  let server: NodeServer;
  try {
    server = await serveNode(built, { host: options.host, port: options.port });
  } catch (error) {
    throw listenError(error, options.host, options.port);
  }
  let metrics: MetricsServer | null = null;
  try {
    const gatehouse = await options.create({ port: server.port });
    settle.resolve(gatehouse);
    if (gatehouse.metrics && options.serveMetrics !== false) {
      const { host, port } = gatehouse.config.metrics;
      try {
        metrics = await serveMetrics(gatehouse.metrics, { host, port });
      } catch (error) {
        throw listenError(error, host, port, 'metrics.port');
      }
    }
  } catch (error) {
    settle.reject(error);
    await server.close({ graceMs: 0 });
    throw error;
  }
  return {
    ...server,
    metrics,
    async close(closeOptions) {
      await server.close(closeOptions);
      await metrics?.close();
    },
  };
}

/**
 * Waits until `io.signal` aborts, then shuts the server down gracefully (in-flight requests finish, then the
 * database and hashing pool close). Returns the exit code.
 */
export async function serveUntilStopped(
  server: NodeServer,
  io: Io,
  say: (message: string) => void = (message) => io.stdout.write(`${message}\n`),
): Promise<number> {
  const signal = io.signal;
  if (!signal)
    await new Promise(() => {}); // no way to be stopped: serve until the process ends
  else if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  const reason = signal?.reason;
  say(`${typeof reason === 'string' ? `Received ${reason}: s` : 'S'}hutting down (waiting for requests in flight)…`);
  try {
    await server.close();
  } catch (error) {
    io.stderr.write(`gatehouse: error while shutting down: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  say('Stopped.');
  return EXIT_OK;
}

/** A host fit for a browser's address bar: wildcard addresses become `localhost`, IPv6 gets brackets. */
export function browserHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return 'localhost';
  if (host.includes(':') && !host.startsWith('[')) return `[${host}]`;
  return host;
}
