/**
 * What the processes of `gatehouse serve --workers <n>` share through the cluster's primary process, over the
 * IPC channel `node:cluster` opens to each worker:
 *
 * - **Password hashing.** One pool of argon2id threads per machine, sized to its cores, in the primary; workers
 *   send it jobs. A pool per worker would run `workers × cores` hashing threads of 19 MiB each, and logins
 *   would still be bounded by the same cores.
 * - **Rate limits** (without Redis): counted once, in the primary, so N workers allow the same attempts as one
 *   process. With Redis every worker counts there, as separate instances do.
 * - **News of changed users** (without Redis): relayed by the primary to every other worker, so a DDP
 *   connection held by one worker hears at once of a session revoked through another. With Redis the news
 *   goes through Redis, as between instances.
 * - **Metrics**: the primary serves one `/metrics` for the machine; at each scrape it asks every worker for its
 *   figures and merges them, so a scrape never sees one worker's counters only.
 *
 * Every message carries `gatehouse: 1`, so the channel stays usable for anything else.
 *
 * @module
 */
import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { createUserChanges, type UserChanges } from '../events/changes.js';
import type { HashPool, HashTask } from '../passwords/index.js';
import { createMemoryRateLimiter, type RateLimiter } from '../rate-limit/index.js';

/** One end of an IPC channel: a cluster `Worker` in the primary, `process` in a worker. */
export interface IpcEndpoint {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

type Call =
  | { op: 'hash'; task: HashTask }
  | { op: 'blocked'; checks: { key: string; limit: number }[]; now: number }
  | { op: 'count'; keys: string[]; windowMs: number; now: number }
  | { op: 'reset'; key: string };

type Message =
  | { gatehouse: 1; kind: 'call'; id: number; call: Call }
  | { gatehouse: 1; kind: 'reply'; id: number; ok: true; value: unknown }
  | { gatehouse: 1; kind: 'reply'; id: number; ok: false; code: string; message: string }
  | { gatehouse: 1; kind: 'changed'; userId: string }
  | { gatehouse: 1; kind: 'metrics-request'; id: number }
  | { gatehouse: 1; kind: 'metrics'; id: number; metrics: unknown[] | null };

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && (value as { gatehouse?: unknown }).gatehouse === 1;

/** The primary's side: the shared hashing pool, limiter and change relay, serving every attached worker. */
export interface ClusterHub {
  /** Serves the calls of one worker and sends it the news of the others; returns the function that detaches it. */
  attach(worker: IpcEndpoint): () => void;
  /**
   * Every attached worker's metrics (prom-client's `getMetricsAsJSON()`), asked for now. A worker that does not
   * answer within `timeoutMs` (busy, or starting) is left out of this scrape rather than holding it up.
   */
  collectMetrics(timeoutMs?: number): Promise<unknown[][]>;
  /** Stops the hashing pool once its jobs are done (after every worker has exited). */
  close(): Promise<void>;
}

/**
 * Creates the primary's hub. `limiter` is `null` when workers count in Redis; `relayChanges` is false when the
 * news goes through Redis.
 *
 * @example
 * ```ts
 * const hub = createClusterHub({ pool: createHashPool({}), limiter: createMemoryRateLimiter(), relayChanges: true });
 * cluster.on('fork', (worker) => hub.attach(worker));
 * ```
 */
export function createClusterHub(options: {
  pool: HashPool;
  limiter: RateLimiter | null;
  relayChanges: boolean;
}): ClusterHub {
  const { pool, limiter, relayChanges } = options;
  const workers = new Set<IpcEndpoint>();
  let nextMetricsId = 1;
  const metricsWaiting = new Map<number, (metrics: unknown[] | null) => void>();
  const send = (worker: IpcEndpoint, message: Message) => {
    try {
      worker.send(message);
    } catch {
      // The worker is gone (its channel closed): nobody is waiting for the answer any more.
    }
  };

  async function answer(call: Call): Promise<unknown> {
    switch (call.op) {
      case 'hash':
        return pool.run(call.task);
      case 'blocked':
        return needLimiter().blocked(call.checks, call.now);
      case 'count':
        return needLimiter().count(call.keys, call.windowMs, call.now);
      case 'reset':
        return needLimiter().reset(call.key);
    }
  }
  function needLimiter(): RateLimiter {
    if (!limiter) throw new Error('rate limits are counted in Redis, not in the primary');
    return limiter;
  }

  return {
    attach(worker) {
      workers.add(worker);
      worker.on('message', (message) => {
        if (!isMessage(message)) return;
        if (message.kind === 'metrics') {
          metricsWaiting.get(message.id)?.(message.metrics);
          return;
        }
        if (message.kind === 'changed') {
          if (!relayChanges) return;
          for (const other of workers) if (other !== worker) send(other, message);
          return;
        }
        if (message.kind !== 'call') return;
        const { id } = message;
        answer(message.call).then(
          (value) => send(worker, { gatehouse: 1, kind: 'reply', id, ok: true, value: value ?? null }),
          (error: unknown) =>
            send(worker, {
              gatehouse: 1,
              kind: 'reply',
              id,
              ok: false,
              code: isGatehouseError(error) ? error.code : 'ServiceBusy',
              message: error instanceof Error ? error.message : String(error),
            }),
        );
      });
      return () => workers.delete(worker);
    },
    async collectMetrics(timeoutMs = 2_000) {
      const answers = [...workers].map(
        (worker) =>
          new Promise<unknown[] | null>((resolve) => {
            const id = nextMetricsId++;
            const done = (metrics: unknown[] | null) => {
              clearTimeout(timer);
              metricsWaiting.delete(id);
              resolve(metrics);
            };
            const timer = setTimeout(() => done(null), timeoutMs);
            metricsWaiting.set(id, done);
            send(worker, { gatehouse: 1, kind: 'metrics-request', id });
          }),
      );
      return (await Promise.all(answers)).filter((metrics): metrics is unknown[] => Array.isArray(metrics));
    },
    async close() {
      await Promise.allSettled([pool.close(), limiter?.close()]);
    },
  };
}

/** A worker's side: stand-ins for the hashing pool, limiter and change news that ask the primary. */
export interface ClusterClient {
  pool: HashPool;
  limiter: RateLimiter;
  changes: UserChanges;
  /** Answers the primary's metrics requests with `collect()` (this worker's `getMetricsAsJSON()`). */
  reportMetrics(collect: () => Promise<unknown[]>): void;
}

/**
 * Creates a worker's stand-ins, talking to the primary over `channel` (`process` in a cluster worker). When
 * the channel closes (the primary is gone), waiting calls and later ones reject with `ServiceBusy`.
 *
 * @example
 * ```ts
 * const client = createClusterClient(process);
 * const gatehouse = await createGatehouse(config, {
 *   passwordHasher: createPasswordHasher(config.passwordHashing, {}, client.pool),
 *   rateLimiter: client.limiter,
 *   userChanges: client.changes,
 * });
 * ```
 */
export function createClusterClient(
  channel: IpcEndpoint & { on(event: 'disconnect', listener: () => void): unknown },
): ClusterClient {
  let nextId = 1;
  let disconnected = false;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  const local = createUserChanges();
  let hashing = 0;
  let closed = false;
  let collectMetrics: (() => Promise<unknown[]>) | null = null;

  channel.on('message', (message) => {
    if (!isMessage(message)) return;
    if (message.kind === 'changed') return local.userChanged(message.userId);
    if (message.kind === 'metrics-request') return answerMetrics(message.id);
    if (message.kind !== 'reply') return;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new GatehouseError(message.code as 'ServiceBusy', message.message));
  });
  channel.on('disconnect', () => {
    disconnected = true;
    for (const pending of waiting.values())
      pending.reject(new GatehouseError('ServiceBusy', 'the server is restarting, try again'));
    waiting.clear();
  });

  function answerMetrics(id: number): void {
    const reply = (metrics: unknown[] | null) => {
      try {
        channel.send({ gatehouse: 1, kind: 'metrics', id, metrics } satisfies Message);
      } catch {
        // The primary is gone: nobody is scraping any more.
      }
    };
    if (collectMetrics) collectMetrics().then(reply, () => reply(null));
    else reply(null);
  }

  function call(body: Call): Promise<unknown> {
    if (disconnected) return Promise.reject(new GatehouseError('ServiceBusy', 'the server is restarting, try again'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      try {
        channel.send({ gatehouse: 1, kind: 'call', id, call: body } satisfies Message);
      } catch (error) {
        waiting.delete(id);
        reject(new GatehouseError('ServiceBusy', `the server is restarting, try again (${(error as Error).message})`));
      }
    });
  }

  return {
    pool: {
      async run(task) {
        if (closed) throw new GatehouseError('ServiceBusy', 'server is shutting down, try again');
        hashing++;
        try {
          return (await call({ op: 'hash', task })) as string | boolean;
        } finally {
          hashing--;
        }
      },
      // This worker's jobs; which of them run and which wait is known only to the primary.
      stats: () => ({ running: hashing, queued: 0 }),
      async close() {
        closed = true;
      },
    },
    limiter: {
      async blocked(checks, now) {
        return (await call({ op: 'blocked', checks: [...checks], now })) as {
          key: string;
          retryAfterMs: number;
        } | null;
      },
      async count(keys, windowMs, now) {
        await call({ op: 'count', keys: [...keys], windowMs, now });
      },
      async reset(key) {
        await call({ op: 'reset', key });
      },
      async close() {},
    },
    changes: {
      userChanged(userId) {
        local.userChanged(userId);
        if (disconnected) return;
        try {
          channel.send({ gatehouse: 1, kind: 'changed', userId } satisfies Message);
        } catch {
          // The primary is gone; the other workers' DDP connections catch up at their next sweep.
        }
      },
      subscribe: (listener) => local.subscribe(listener),
    },
    reportMetrics(collect) {
      collectMetrics = collect;
    },
  };
}

/** The primary's limiter for {@link createClusterHub}: one in-memory count for every worker. */
export const createHubRateLimiter = (): RateLimiter => createMemoryRateLimiter();
