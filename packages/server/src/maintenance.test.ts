import { objectId } from '@gatehouse-auth/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from './testing/index.js';

/** Housekeeping: expired one-time tokens are deleted on a timer, live ones are kept. */
describe.each(['sqlite', 'postgres'] as const)('maintenance (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  it('deletes one-time tokens that expired unused, and keeps the live ones', async () => {
    t = await startTestGatehouse(dialect, { gatehouse: { maintenanceIntervalMs: 50 } });
    const storage = t.gatehouse.storage;
    const now = t.now();
    const token = (id: string, expiresAt: number) =>
      storage.createOneTimeToken({
        id,
        appId: t.appId,
        userId: null,
        purpose: 'oauth-state',
        tokenHash: `hash-${id}`,
        now,
        expiresAt,
      });
    const [expired, live] = [objectId(now), objectId(now + 1)];
    await token(expired, now + 1_000);
    await token(live, now + 600_000);
    t.advance(2_000);
    const consume = (id: string) =>
      storage.consumeOneTimeToken({
        appId: t.appId,
        id,
        tokenHash: `hash-${id}`,
        purpose: 'oauth-state',
        now: t.now(),
      });
    // After a few timer periods the expired row is gone: a delete now finds nothing left to delete (it would
    // find 1 had the timer not run); the live token still works.
    await new Promise((r) => setTimeout(r, 300));
    expect(await storage.deleteExpiredOneTimeTokens(t.now())).toBe(0);
    expect(await consume(live)).not.toBeNull();
  });
});
