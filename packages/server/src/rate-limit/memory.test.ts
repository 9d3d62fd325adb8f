import { describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from './index.js';

describe('in-memory rate limiter', () => {
  it('counts per key in fixed windows and forgets a key on reset', async () => {
    const limiter = createMemoryRateLimiter();
    const check = [{ key: 'a', limit: 2 }];
    await limiter.count(['a'], 1000, 0);
    expect(await limiter.blocked(check, 10)).toBeNull();
    await limiter.count(['a'], 1000, 20);
    expect(await limiter.blocked(check, 30)).toEqual({ key: 'a', retryAfterMs: 970 });
    expect(await limiter.blocked(check, 1000)).toBeNull();
    await limiter.count(['a', 'a'], 1000, 1000);
    await limiter.reset('a');
    expect(await limiter.blocked(check, 1001)).toBeNull();
  });

  it('a flood of fresh keys does not evict a counter near its limit (regression: oldest-first eviction)', async () => {
    const limiter = createMemoryRateLimiter({ maxKeys: 100 });
    for (let i = 0; i < 9; i++) await limiter.count(['victim'], 60_000, i);
    for (let i = 0; i < 5_000; i++) await limiter.count([`flood-${i}`], 60_000, 10);
    await limiter.count(['victim'], 60_000, 20);
    expect(await limiter.blocked([{ key: 'victim', limit: 10 }], 30)).toMatchObject({ key: 'victim' });
  });
});
