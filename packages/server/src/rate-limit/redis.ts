import { randomSecret } from '@gatehouse-auth/core';
import { Redis } from 'ioredis';
import type { UserChanges } from '../events/changes.js';
import type { Logger } from '../logger.js';
import type { RateLimiter } from './index.js';

/**
 * What several Gatehouse instances behind a load balancer share through Redis: the
 * rate-limit counters, and the news that a user changed — so a session revoked or a profile edited on one
 * instance reaches the DDP connections on every other one at once, not at their next 10 s sweep.
 *
 * Redis is a helper here, never the source of truth: when it cannot be reached, limits fall back to "not
 * limited" and changes to the sweep, with a warning in the log, rather than refusing every login.
 */
export interface RedisShared {
  limiter: RateLimiter;
  changes: UserChanges;
  /**
   * Resolves once both connections are up — or, if Redis does not answer within `timeoutMs`, after a warning
   * (the instance then runs degraded until Redis comes back, as after any outage).
   */
  ready(timeoutMs?: number): Promise<void>;
  /** Closes both Redis connections. */
  close(): Promise<void>;
}

/** How long a Redis command may take before the caller goes on without it. */
const COMMAND_TIMEOUT_MS = 1_000;

/** Increments a counter, starting its window (expiry) with the first event — atomically, on any Redis version. */
const COUNT_SCRIPT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return c`;

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
export function createRedisShared(options: { url: string; prefix: string; logger: Logger }): RedisShared {
  const { prefix, logger } = options;
  const connect = () =>
    new Redis(options.url, {
      // Fail fast instead of queueing commands while Redis is away: the caller falls back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      lazyConnect: false,
    });
  const commands = connect();
  const subscriber = connect();
  // Connection errors are reported through `degraded`; ioredis retries connecting on its own.
  commands.on('error', () => {});
  subscriber.on('error', () => {});

  let lastWarning = 0;
  const degraded = (what: string, error: unknown) => {
    // One warning a minute at most: an outage must not flood the log.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    logger.warn({ err: error instanceof Error ? error.message : String(error), what }, 'Redis unavailable');
  };

  const limiter: RateLimiter = {
    async blocked(checks, _now) {
      if (checks.length === 0) return null;
      try {
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
      } catch (error) {
        degraded('rate-limit check', error);
        return null;
      }
    },
    async count(keys, windowMs, _now) {
      if (keys.length === 0) return;
      try {
        const pipeline = commands.pipeline();
        for (const key of keys) pipeline.eval(COUNT_SCRIPT, 1, prefix + key, String(windowMs));
        const results = (await pipeline.exec()) ?? [];
        const failed = results.find(([error]) => error);
        if (failed) throw failed[0];
      } catch (error) {
        degraded('rate-limit count', error);
      }
    },
    async reset(key) {
      try {
        await commands.del(prefix + key);
      } catch (error) {
        degraded('rate-limit reset', error);
      }
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
    subscriber.subscribe(channel).catch((error: unknown) => degraded('subscribe', error));
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
      commands.publish(channel, `${instance}:${userId}`).catch((error: unknown) => degraded('publish', error));
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
      if (outcome === 'late') degraded('connect', new Error(`no answer from Redis within ${timeoutMs} ms`));
    },
    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
