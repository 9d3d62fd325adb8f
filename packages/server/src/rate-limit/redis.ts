import { randomSecret } from '@gatehouse-auth/core';
import { Redis } from 'ioredis';
import type { UserChanges } from '../events/changes.js';
import type { Logger } from '../logger.js';
import { createMemoryRateLimiter, type RateLimiter } from './index.js';

/**
 * What several Gatehouse instances behind a load balancer share through Redis: the
 * rate-limit counters, and the news that a user changed — so a session revoked or a profile edited on one
 * instance reaches the DDP connections on every other one at once, not at their next 10 s sweep.
 *
 * Redis is a helper here, never the source of truth. Every limit is also counted in this process; when Redis
 * cannot be reached or does not answer within `commandTimeoutMs`, the limits are enforced from those
 * per-process counts (so N instances allow up to N times the attempts, never unlimited), the log says so
 * once, and {@link RedisShared.state} shows it. After `breakerFailures` failed round trips in a row the
 * circuit opens: Redis is not asked at all for `breakerRetryAfterMs`, then one round trip tries it again.
 */
export interface RedisShared {
  limiter: RateLimiter;
  changes: UserChanges;
  /**
   * Resolves once both connections are up — or, if Redis does not answer within `timeoutMs`, after a warning
   * (the instance then runs degraded until Redis comes back, as after any outage).
   */
  ready(timeoutMs?: number): Promise<void>;
  /** Whether limits are shared right now, for metrics and health pages. */
  state(): RedisState;
  /** Closes both Redis connections. */
  close(): Promise<void>;
}

/** Where the Redis connection stands. */
export interface RedisState {
  /** `shared`: counted in Redis across instances; `per-process`: Redis is away and each process counts alone. */
  limits: 'shared' | 'per-process';
  /** `closed`: Redis is asked; `open`: not asked until the retry time; `half-open`: one round trip is trying. */
  breaker: 'closed' | 'open' | 'half-open';
  /** Failed round trips in a row. */
  failures: number;
  /** Since when limits have been per process (ms since the epoch), or `null`. */
  degradedSince: number | null;
}

export interface RedisSharedOptions {
  url: string;
  prefix: string;
  logger: Logger;
  /** Longest wait for one round trip (default 250 ms). */
  commandTimeoutMs?: number;
  /** Failed round trips in a row that open the circuit (default 3). */
  breakerFailures?: number;
  /** How long the circuit stays open before one round trip tries Redis again (default 5 s). */
  breakerRetryAfterMs?: number;
}

/** Increments a counter, starting its window (expiry) with the first event — atomically, on any Redis version. */
const COUNT_SCRIPT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return c`;

/** What {@link RedisShared}'s round trips return instead of an answer when Redis was not asked or failed. */
const UNAVAILABLE = Symbol('redis unavailable');

/**
 * Connects to Redis at `url` (`redis://…` or `rediss://…`). Keys and the change channel start with `prefix`,
 * so several deployments (or test runs) can share one Redis.
 *
 * @example
 * ```ts
 * const shared = createRedisShared({ url: 'redis://127.0.0.1:6379', prefix: 'gatehouse:', logger });
 * await shared.limiter.count(['login-addr:203.0.113.7'], 900_000, Date.now());
 * ```
 */
export function createRedisShared(options: RedisSharedOptions): RedisShared {
  const { prefix, logger } = options;
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  const breakerFailures = options.breakerFailures ?? 3;
  const breakerRetryAfterMs = options.breakerRetryAfterMs ?? 5_000;
  const connect = () =>
    new Redis(options.url, {
      // Fail fast instead of queueing commands while Redis is away, and never retry one: the caller falls back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: commandTimeoutMs,
      lazyConnect: false,
    });
  const commands = connect();
  const subscriber = connect();
  // Connection errors are reported through the round trips below; ioredis retries connecting on its own.
  commands.on('error', () => {});
  subscriber.on('error', () => {});

  // Every limit is counted here too, so that losing Redis means per-process limits, not none.
  const local = createMemoryRateLimiter();
  let failures = 0;
  let openUntil = 0;
  let probing = false;
  let degradedSince: number | null = null;

  const failed = (what: string, error: unknown) => {
    failures++;
    if (degradedSince === null) {
      degradedSince = Date.now();
      logger.warn(
        { err: error instanceof Error ? error.message : String(error), what },
        'Redis unavailable: rate limits now count per process, and DDP connections check the database every 10 s',
      );
    }
    if (failures >= breakerFailures) openUntil = Date.now() + breakerRetryAfterMs;
  };
  const succeeded = () => {
    if (degradedSince !== null)
      logger.info({ downForMs: Date.now() - degradedSince }, 'Redis reachable again: rate limits shared again');
    failures = 0;
    openUntil = 0;
    degradedSince = null;
  };

  /** One round trip to Redis, bounded by `commandTimeoutMs`, unless the circuit is open. */
  async function roundTrip<T>(what: string, run: () => Promise<T>): Promise<T | typeof UNAVAILABLE> {
    const probe = failures >= breakerFailures;
    if (probe) {
      // Open: do not wait for Redis. Once the retry time has come, one caller tries it (half-open).
      if (Date.now() < openUntil || probing) return UNAVAILABLE;
      probing = true;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${commandTimeoutMs} ms`)), commandTimeoutMs);
      });
      const answer = run();
      answer.catch(() => {}); // a late failure has nobody to tell
      const result = await Promise.race([answer, late]);
      succeeded();
      return result;
    } catch (error) {
      failed(what, error);
      return UNAVAILABLE;
    } finally {
      clearTimeout(timer);
      if (probe) probing = false;
    }
  }

  const limiter: RateLimiter = {
    async blocked(checks, now) {
      if (checks.length === 0) return null;
      const shared = await roundTrip('rate-limit check', async () => {
        const pipeline = commands.pipeline();
        for (const { key } of checks) pipeline.get(prefix + key).pttl(prefix + key);
        const results = (await pipeline.exec()) ?? [];
        for (const [i, { key, limit }] of checks.entries()) {
          const [countError, count] = results[i * 2] ?? [];
          const [ttlError, ttl] = results[i * 2 + 1] ?? [];
          if (countError || ttlError) throw countError ?? ttlError;
          if (Number(count ?? 0) >= limit) return { key, retryAfterMs: Math.max(0, Number(ttl)) };
        }
        return null;
      });
      return shared === UNAVAILABLE ? local.blocked(checks, now) : shared;
    },
    async count(keys, windowMs, now) {
      if (keys.length === 0) return;
      await local.count(keys, windowMs, now);
      await roundTrip('rate-limit count', async () => {
        const pipeline = commands.pipeline();
        for (const key of keys) pipeline.eval(COUNT_SCRIPT, 1, prefix + key, String(windowMs));
        const results = (await pipeline.exec()) ?? [];
        const failure = results.find(([error]) => error);
        if (failure) throw failure[0];
      });
    },
    async reset(key) {
      await local.reset(key);
      await roundTrip('rate-limit reset', () => commands.del(prefix + key));
    },
    // The connections belong to the shared object; `close()` below ends them.
    async close() {},
  };

  // Changes: every instance publishes "<instance>:<userId>" and hears the others'.
  const channel = `${prefix}user-changed`;
  const instance = randomSecret(9);
  const listeners = new Set<(userId: string) => void>();
  const notify = (userId: string) => {
    for (const listener of listeners) {
      try {
        listener(userId);
      } catch {
        // A listener's failure is its own.
      }
    }
  };
  // Subscribed at each (re)connection: commands are not queued while Redis is away (SUBSCRIBE is idempotent).
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).catch((error: unknown) => failed('subscribe', error));
  });
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const colon = text.indexOf(':');
    if (colon < 1 || text.slice(0, colon) === instance) return;
    notify(text.slice(colon + 1));
  });
  const changes: UserChanges = {
    userChanged(userId) {
      notify(userId);
      // News for the other instances; when Redis is away they catch the change at their next 10 s sweep.
      void roundTrip('publish', () => commands.publish(channel, `${instance}:${userId}`));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const up = (client: Redis) =>
    client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', resolve));
  return {
    limiter,
    changes,
    async ready(timeoutMs = 3_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs);
      });
      const outcome = await Promise.race([Promise.all([up(commands), up(subscriber)]), late]);
      clearTimeout(timer);
      if (outcome === 'late') failed('connect', new Error(`no answer from Redis within ${timeoutMs} ms`));
    },
    state() {
      return {
        limits: degradedSince === null ? 'shared' : 'per-process',
        breaker: failures < breakerFailures ? 'closed' : probing ? 'half-open' : 'open',
        failures,
        degradedSince,
      };
    },
    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
