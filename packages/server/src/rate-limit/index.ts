/**
 * Counting events (failed logins, mails sent) in fixed windows, per key. In process for now (one node); the interface is the seam for
 * a shared (Redis) implementation, so nothing else changes when several instances share limits.
 */
export interface RateLimiter {
  /** True when `key` has reached `limit` events in the current window (the caller should refuse). */
  isLimited(key: string, limit: number, now: number): boolean;
  /** Counts one event for `key`; returns the count in the current window. */
  count(key: string, windowMs: number, now: number): number;
  /** Forgets `key` (after a success). */
  reset(key: string): void;
  /** Milliseconds until `key`'s window ends (for `Retry-After`); 0 if none. */
  retryAfterMs(key: string, now: number): number;
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * An in-memory limiter with a bounded number of keys: when full, expired windows are swept and, if still
 * full, the oldest keys are dropped, so an attacker cycling through keys cannot grow memory without bound.
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
    // Map iteration is insertion order: the first keys are the oldest.
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(key);
    }
  };

  return {
    isLimited: (key, limit, now) => (current(key, now)?.count ?? 0) >= limit,
    count(key, windowMs, now) {
      const w = current(key, now);
      if (w) return ++w.count;
      makeRoom(now);
      windows.set(key, { count: 1, resetAt: now + windowMs });
      return 1;
    },
    reset: (key) => void windows.delete(key),
    retryAfterMs: (key, now) => Math.max(0, (current(key, now)?.resetAt ?? now) - now),
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
