import { describe, expect, it } from 'vitest';
import { refreshedAtMostEvery } from './index.js';

describe('refreshedAtMostEvery', () => {
  it('loads at most once per interval, shares a load in flight, and keeps the last value when a load fails', async () => {
    let clock = 0;
    let loads = 0;
    let fail = false;
    const read = refreshedAtMostEvery(
      15_000,
      async () => {
        loads++;
        if (fail) throw new Error('database away');
        return loads;
      },
      () => clock,
    );
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    clock += 14_999;
    expect(await read()).toBe(1);
    expect(loads).toBe(1);
    clock += 1;
    expect(await read()).toBe(2);
    fail = true;
    clock += 15_000;
    expect(await read()).toBe(2);
    expect(loads).toBe(3);
    // The failed load counts as a load: the database is not asked again before the interval.
    expect(await read()).toBe(2);
    expect(loads).toBe(3);
  });
});
