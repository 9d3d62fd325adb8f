import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, type GatehouseProcess, logLines, PASSWORD, startGatehouseProcess, waitFor } from './harness.js';
import { type PrivateRedis, startPrivateRedis } from './services.js';

/**
 * Issue 14, item 6: a private `redis-server` stopped, then frozen (SIGSTOP), under a `gatehouse serve` that
 * shares its limits there. Down: the limits hold, counted per process. Hanging: a login waits at most one
 * bounded round trip, and after a few failures none at all (the breaker opens). Back: shared again.
 */
let dir: string;
let redis: PrivateRedis;
let gatehouse: GatehouseProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-faults-redis-'));
  redis = await startPrivateRedis();
  gatehouse = await startGatehouseProcess({
    database: { url: `sqlite:${join(dir, 'gatehouse.db')}` },
    redis: {
      url: redis.url,
      keyPrefix: 'faults:',
      commandTimeout: '200ms',
      breakerFailures: 3,
      breakerRetryAfter: '1s',
    },
    rateLimits: { failedLoginsPerAccountAndAddress: 3, failedLoginsPerAddress: 1_000 },
    apps: { [APP]: { providers: { 'local-userpass': { confirmation: 'auto' } } } },
  });
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await redis?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const provider = `/api/client/v2.0/app/${APP}/auth/providers/local-userpass`;
const post = (path: string, body: unknown) =>
  fetch(`${gatehouse.url}${provider}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
/** A failed login's status and how long it took. */
const failedLogin = async (username: string) => {
  const start = performance.now();
  const response = await post('/login', { username, password: 'not the password' });
  await response.text();
  return { status: response.status, ms: performance.now() - start };
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('Redis failing', () => {
  it('keeps counting failed logins per process while Redis is down, and says so in the log', async () => {
    const email = `redis-down-${Date.now()}@example.com`;
    expect((await post('/register', { email, password: PASSWORD })).status).toBe(201);
    await redis.stop();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await failedLogin(email)).status);
    console.log(`faults: Redis down: 4 failed logins for one account → ${statuses.join(', ')}`);
    // Limit 3: the fourth is refused although the shared counters are out of reach.
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(logLines(gatehouse.output(), 'rate limits now count per process')).toHaveLength(1);
    expect(gatehouse.exited()).toBeNull();

    await redis.start();
    // The breaker lets one round trip through after 1 s; the next login finds Redis and shares again.
    const backMs = await waitFor(
      'limits shared again',
      async () => {
        await failedLogin(`nobody-${Date.now()}@example.com`);
        return logLines(gatehouse.output(), 'Redis reachable again').length > 0;
      },
      10_000,
    );
    console.log(`faults: Redis back: limits shared again ${backMs} ms after redis-server restarted`);
  }, 30_000);

  it('waits one bounded round trip per check while Redis hangs, and none once the breaker is open', async () => {
    const healthy: number[] = [];
    for (let i = 0; i < 10; i++) healthy.push((await failedLogin(`hang-before-${i}-${Date.now()}@example.com`)).ms);
    redis.freeze();
    const hanging: number[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const { status, ms } = await failedLogin(`hang-${i}-${Date.now()}@example.com`);
        expect(status).toBe(401);
        hanging.push(ms);
      }
    } finally {
      redis.thaw();
    }
    console.log(
      `faults: Redis hanging: failed-login p50 ${median(healthy).toFixed(0)} ms before; while hanging the first ` +
        `${hanging
          .slice(0, 3)
          .map((ms) => ms.toFixed(0))
          .join(', ')} ms, then p50 ${median(hanging.slice(3)).toFixed(0)} ms (breaker open)`,
    );
    // Before the breaker opens: at most two 200 ms round trips per login (check, then count), not 2 × 1 s.
    for (const ms of hanging.slice(0, 2)) expect(ms).toBeLessThan(900);
    // Then Redis is not waited for at all.
    expect(median(hanging.slice(3))).toBeLessThan(median(healthy) + 150);
    expect(gatehouse.exited()).toBeNull();
  }, 30_000);
});
