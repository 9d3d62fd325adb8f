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

/** Audit retention: events older than `audit.retentionDays` are deleted by the same housekeeping. */
describe.each(['sqlite', 'postgres'] as const)('audit retention (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  it('deletes audit events older than audit.retentionDays and keeps newer ones', async () => {
    t = await startTestGatehouse(dialect, {
      config: { audit: { retentionDays: 30 } },
      gatehouse: { maintenanceIntervalMs: 50 },
    });
    const storage = t.gatehouse.storage;
    const day = 86_400_000;
    await storage.recordAuditEvent({ appId: t.appId, type: 'login', now: t.now() - 31 * day });
    await storage.recordAuditEvent({ appId: t.appId, type: 'logout', now: t.now() - 29 * day });
    await new Promise((r) => setTimeout(r, 300));
    // The timer ran: nothing older than 30 days is left to delete, and the newer event is still there.
    expect(await storage.deleteAuditEventsBefore(t.now() - 30 * day)).toBe(0);
    expect((await storage.listAuditEvents(t.appId)).map((e) => e.type)).toContain('logout');
    expect((await storage.listAuditEvents(t.appId)).map((e) => e.type)).not.toContain('login');
  });
});
