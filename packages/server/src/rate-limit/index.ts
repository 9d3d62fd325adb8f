/**
 * Counting events (failed logins, mails sent) in fixed windows, per key. In process by default; with Redis
 * (`redis.url`) every instance behind a load balancer shares the same counts (`./redis.ts`). Asynchronous, so
 * either can stand behind it; each method is one round trip, whatever the number of keys.
 */
export interface RateLimiter {
  /**
   * The first of `checks` whose key has reached its `limit` in the current window, with the milliseconds until
   * that window ends (for `Retry-After`); `null` when none has (the caller may go on).
   */
  blocked(checks: readonly RateCheck[], now: number): Promise<{ key: string; retryAfterMs: number } | null>;
  /** Counts one event for each of `keys`; a key's window starts at its first event and lasts `windowMs`. */
  count(keys: readonly string[], windowMs: number, now: number): Promise<void>;
  /** Forgets `key` (after a success). */
  reset(key: string): Promise<void>;
  /** Lets go of connections, if any. */
  close(): Promise<void>;
}

export interface RateCheck {
  key: string;
  limit: number;
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * An in-memory limiter with a bounded number of keys. When full, expired windows are swept first; if it is
 * still full, the least-hit tenth of the keys is dropped — never simply the oldest: an attacker cycling through
 * fresh keys (one failure each) would otherwise push out a victim's counter that sits near its limit, and
 * reset it. Fresh keys have the fewest hits, so flooding evicts the flood.
 */
export function createMemoryRateLimiter(options: { maxKeys?: number } = {}): RateLimiter {
  const maxKeys = options.maxKeys ?? 100_000;
  const windows = new Map<string, Window>();

  const current = (key: string, now: number): Window | undefined => {
    const w = windows.get(key);
    if (w && w.resetAt <= now) {
      windows.delete(key);
      return undefined;
    }
    return w;
  };

  const makeRoom = (now: number) => {
    if (windows.size < maxKeys) return;
    for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key);
    if (windows.size < maxKeys) return;
    const byHits = [...windows].sort(([, a], [, b]) => a.count - b.count);
    const drop = Math.max(1, Math.ceil(maxKeys / 10));
    for (const [key] of byHits.slice(0, drop)) windows.delete(key);
  };

  return {
    async blocked(checks, now) {
      for (const { key, limit } of checks) {
        const w = current(key, now);
        if (w && w.count >= limit) return { key, retryAfterMs: Math.max(0, w.resetAt - now) };
      }
      return null;
    },
    async count(keys, windowMs, now) {
      for (const key of keys) {
        const w = current(key, now);
        if (w) w.count++;
        else {
          makeRoom(now);
          windows.set(key, { count: 1, resetAt: now + windowMs });
        }
      }
    },
    async reset(key) {
      windows.delete(key);
    },
    async close() {},
  };
}

/**
 * The rate-limit key for a client address: IPv6 addresses are grouped by their /64 (one subscriber usually
 * holds a whole /64), IPv4 (and IPv4-mapped IPv6) by the address.
 */
export function addressKey(address: string | null): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
