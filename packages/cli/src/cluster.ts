import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  createClusterHub,
  createHashPool,
  createHubRateLimiter,
  type Logger,
  loadClusterMetrics,
  type MetricsServer,
  type ResolvedConfig,
  serveMetrics,
} from '@gatehouse-auth/server/primary';
import { CliError, EXIT_FAILURE, EXIT_OK, type Io } from './command.js';
import { listenError } from './listen-error.js';

/**
 * How many processes `serve` runs: `--workers` (a number or `auto`), else `listen.workers`. `auto` is one per
 * CPU core. An in-memory SQLite database lives in one process, so it always gets one.
 */
export function resolveWorkers(option: string | undefined, config: ResolvedConfig): number {
  let wanted: number | 'auto' = config.listen.workers;
  if (option !== undefined) {
    if (option === 'auto') wanted = 'auto';
    else if (/^\d+$/.test(option) && Number(option) >= 1 && Number(option) <= 64) wanted = Number(option);
    else throw new CliError(`serve: --workers must be a number from 1 to 64, or auto; got '${option}'`);
  }
  const url = config.database.url;
  if (url === 'sqlite::memory:' || url === 'sqlite:') return 1;
  return wanted === 'auto' ? availableParallelism() : wanted;
}

/** What a worker tells the primary once its server is listening. */
export interface ListeningMessage {
  gatehouse: 1;
  kind: 'listening';
  url: string;
}

/** What the primary tells a worker to drain and stop (a signal would be taken for a second Ctrl+C). */
export const SHUTDOWN_MESSAGE = { gatehouse: 1, kind: 'shutdown' } as const;

const isListening = (message: unknown): message is ListeningMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as ListeningMessage).gatehouse === 1 &&
  (message as ListeningMessage).kind === 'listening';

/**
 * The script a worker runs: this package's `bin.js` beside the compiled commands; from the sources (under the
 * tests) the built one.
 */
function binPath(): string {
  for (const candidate of ['../bin.js', '../dist/bin.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new CliError('serve: cannot find bin.js to start workers (run `npm run build`)');
}

/**
 * The V8 heap settings a worker starts with, each unless node was given its own (on the command line or in
 * `NODE_OPTIONS`, which win):
 *
 * - `--max-semi-space-size=4` (MiB; V8's default is 16): under load the young generation fills to its
 *   maximum, 3 × the semi-space, so this caps ~48 MB of mostly-garbage room per worker at ~12 MB;
 * - `--heap-growing-percent=50`: after a major collection the old generation may grow to 1.5 × what
 *   survived before the next one, instead of V8's adaptive factor of up to 4 ×. A worker's live heap under
 *   load is ~30 MB; without this its old generation filled to ~85 MB of mostly garbage between collections.
 *
 * Measured with `bench/run.mjs --workers 2` at 50 connections (bench/README.md, "Where the memory goes"): a
 * worker's peak RSS 189 MB before, 164–167 with the first, 117 with both; throughput within the run-to-run
 * noise of a loaded 2-core machine. Neither caps the heap: a worker that needs more memory still gets it.
 */
export const WORKER_V8_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=50'] as const;

/** The node flags a worker starts with: the primary's, plus each of {@link WORKER_V8_FLAGS} not already given. */
export function workerExecArgv(env: Record<string, string | undefined>, execArgv = process.execArgv): string[] {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map((flag) =>
    flag.split('=')[0]?.replaceAll('_', '-'),
  );
  return [...execArgv, ...WORKER_V8_FLAGS.filter((flag) => !given.includes(flag.split('=')[0]))];
}

/**
 * The primary of `serve --workers <n>`: forks `n` workers that share the port (`node:cluster`), owns what
 * they share (the hashing pool, and without Redis the rate limits and the news of changed users: see
 * `createClusterHub`), replaces a worker that dies, and on `io.signal` asks every worker to drain and waits
 * for them. Worker logs go to `io.stdout`/`io.stderr` line by line. Returns the exit code.
 */
export async function serveCluster(options: {
  config: ResolvedConfig;
  workers: number;
  /** The arguments of a worker's `gatehouse` command (`serve --config <abs> --host … --port …`). */
  argv: string[];
  io: Io;
  logger: Logger;
  /** Fields of the `listening` log line besides the URL. */
  describe: Record<string, unknown>;
  /** Called once every worker listens, after the `listening` line. */
  onListening?: () => void;
}): Promise<number> {
  const { config, workers, io, logger } = options;
  // The hashing pool is here, so its metrics are too; each worker sends the rest at every scrape.
  const metrics = config.metrics.enabled ? (await loadClusterMetrics()).createClusterMetrics(() => pool.stats()) : null;
  const pool = createHashPool(
    { maxThreads: config.passwordHashing.maxThreads, maxQueue: config.passwordHashing.maxQueue },
    { onWait: metrics?.observeHashWait },
  );
  const hub = createClusterHub({
    pool,
    limiter: config.redis ? null : createHubRateLimiter(),
    relayChanges: !config.redis,
  });
  cluster.setupPrimary({
    exec: binPath(),
    args: options.argv,
    cwd: io.cwd,
    silent: true,
    execArgv: workerExecArgv(io.env),
  });

  const live = new Set<Worker>();
  let stopping = false;
  let failedStart: string | null = null;
  let startFailed: () => void = () => {};
  const startFailure = new Promise<void>((resolve) => (startFailed = resolve));

  function fork(): Promise<ListeningMessage | null> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(io.env)) if (value !== undefined) env[name] = value;
    const worker = cluster.fork(env);
    live.add(worker);
    const detach = hub.attach(worker);
    forwardLines(worker.process.stdout, io.stdout);
    forwardLines(worker.process.stderr, io.stderr);
    let ready = false;
    return new Promise((resolve) => {
      worker.on('message', (message) => {
        if (!isListening(message)) return;
        ready = true;
        resolve(message);
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        detach();
        if (!ready) {
          resolve(null);
          if (!stopping) {
            failedStart ??= `a worker exited while starting (${signal ?? `code ${code}`})`;
            startFailed();
          }
        } else if (!stopping) {
          logger.warn({ worker: worker.id, code, signal }, 'worker exited: starting another');
          fork().catch(() => {});
        }
      });
    });
  }

  async function stopAll(): Promise<boolean> {
    stopping = true;
    const exits = [...live].map(
      (worker) =>
        new Promise<boolean>((resolve) => {
          if (worker.isDead()) return resolve(worker.process.exitCode === 0);
          worker.once('exit', (code) => resolve(code === 0));
          try {
            worker.send(SHUTDOWN_MESSAGE);
          } catch {
            worker.process.kill('SIGTERM');
          }
        }),
    );
    const clean = (await Promise.all(exits)).every(Boolean);
    await hub.close();
    return clean;
  }

  const started = Promise.all(Array.from({ length: workers }, () => fork()));
  const first = await Promise.race([started, startFailure.then(() => null)]);
  if (first === null || first.some((message) => message === null)) {
    await stopAll();
    io.stderr.write(`gatehouse: ${failedStart ?? 'a worker did not start'}\n`);
    return EXIT_FAILURE;
  }
  const [listening] = first as ListeningMessage[];
  let metricsServer: MetricsServer | null = null;
  if (metrics) {
    const { host, port } = config.metrics;
    try {
      metricsServer = await serveMetrics(
        { contentType: metrics.contentType, text: async () => metrics.text(await hub.collectMetrics()) },
        { host, port },
      );
    } catch (error) {
      await stopAll();
      throw listenError(error, host, port, 'metrics.port');
    }
  }
  logger.info(
    {
      url: listening?.url,
      ...options.describe,
      workers,
      ...(metricsServer ? { metrics: metricsServer.url } : {}),
    },
    'listening',
  );
  options.onListening?.();

  const signal = io.signal;
  if (!signal) await new Promise(() => {});
  else if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  const reason = signal?.reason;
  logger.info(
    {},
    `${typeof reason === 'string' ? `Received ${reason}: s` : 'S'}hutting down (waiting for requests in flight)…`,
  );
  const clean = await stopAll();
  await metricsServer?.close();
  if (!clean) {
    io.stderr.write('gatehouse: a worker did not shut down cleanly\n');
    return EXIT_FAILURE;
  }
  logger.info({}, 'Stopped.');
  return EXIT_OK;
}

/** Copies a worker's output to `out` a whole line at a time, so lines of several workers never interleave. */
function forwardLines(from: NodeJS.ReadableStream | null | undefined, out: { write(text: string): unknown }) {
  if (!from) return;
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    pending += chunk;
    const end = pending.lastIndexOf('\n');
    if (end < 0) return;
    const lines = pending.slice(0, end + 1);
    pending = pending.slice(end + 1);
    out.write(lines);
  });
  from.on('end', () => {
    if (pending) out.write(`${pending}\n`);
    pending = '';
  });
}
