import { randomSecret } from '@gatehouse-auth/core';
import { createTestDatabase } from '@gatehouse-auth/storage/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createGatehouse, type Gatehouse } from '../gatehouse.js';
import { createLogger } from '../logger.js';
import { type NodeServer, serveNode } from '../node/serve.js';
import { testSigningKey } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';
import { createRedisShared } from './redis.js';

/**
 * Several instances sharing Redis, against the real Redis on 127.0.0.1:6379. Each test
 * uses its own key prefix and deletes its keys afterwards: no state is shared between runs.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefixes: string[] = [];
const newPrefix = () => {
  const prefix = `gatehouse-test-${randomSecret(6)}:`;
  prefixes.push(prefix);
  return prefix;
};

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
});

const silent = createLogger('silent');
const API = '/api/client/v2.0';
const APP = 'scaled-app';
const PASSWORD = 'correct horse battery';

describe('the Redis rate limiter', () => {
  it('counts across instances in windows that expire, resets, and keeps its keys under the prefix', async () => {
    const prefix = newPrefix();
    const a = createRedisShared({ url: REDIS_URL, prefix, logger: silent });
    const b = createRedisShared({ url: REDIS_URL, prefix, logger: silent });
    await Promise.all([a.ready(), b.ready()]);
    try {
      const check = [{ key: 'login:x', limit: 3 }];
      await a.limiter.count(['login:x', 'login-addr:1'], 400, 0);
      await b.limiter.count(['login:x'], 400, 0);
      expect(await a.limiter.blocked(check, 0)).toBeNull();
      await a.limiter.count(['login:x'], 400, 0);
      const blocked = await b.limiter.blocked([{ key: 'other', limit: 1 }, ...check], 0);
      expect(blocked?.key).toBe('login:x');
      expect(blocked?.retryAfterMs).toBeGreaterThan(0);
      expect(blocked?.retryAfterMs).toBeLessThanOrEqual(400);

      const redis = new Redis(REDIS_URL);
      expect(await redis.get(`${prefix}login:x`)).toBe('3');
      expect(await redis.pttl(`${prefix}login-addr:1`)).toBeGreaterThan(0);
      await redis.quit();

      await b.limiter.reset('login:x');
      expect(await a.limiter.blocked(check, 0)).toBeNull();
      await a.limiter.count(['login:x', 'login:x', 'login:x'], 200, 0);
      expect(await a.limiter.blocked(check, 0)).not.toBeNull();
      await new Promise((r) => setTimeout(r, 300));
      expect(await a.limiter.blocked(check, 0)).toBeNull();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('counts per process when Redis cannot be reached, says so in the log once, and shows it in its state', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const down = createRedisShared({ url: 'redis://127.0.0.1:1', prefix: newPrefix(), logger, breakerFailures: 2 });
    await down.ready(300);
    try {
      const check = [{ key: 'k', limit: 2 }];
      expect(await down.limiter.blocked(check, 0)).toBeNull();
      await down.limiter.count(['k'], 1000, 0);
      expect(await down.limiter.blocked(check, 0)).toBeNull();
      await down.limiter.count(['k'], 1000, 0);
      // Limits still hold, counted in this process: never "unlimited" because Redis is away.
      expect(await down.limiter.blocked(check, 10)).toEqual({ key: 'k', retryAfterMs: 990 });
      await down.limiter.reset('k');
      expect(await down.limiter.blocked(check, 10)).toBeNull();
      down.changes.userChanged('someone');
      expect(down.state()).toMatchObject({ limits: 'per-process', breaker: 'open' });
      expect(down.state().degradedSince).toBeGreaterThan(0);
      const warnings = lines.filter((l) => l.includes('Redis unavailable'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('rate limits now count per process');
    } finally {
      await down.close();
    }
  });

  it('shares limits again when Redis comes back after the breaker opened', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const prefix = newPrefix();
    const shared = createRedisShared({ url: REDIS_URL, prefix, logger, breakerFailures: 1, breakerRetryAfterMs: 50 });
    await shared.ready();
    try {
      expect(shared.state()).toEqual({ limits: 'shared', breaker: 'closed', failures: 0, degradedSince: null });
      // A command Redis refuses counts as a failed round trip, like a lost connection.
      await shared.limiter.count(['k'], 1000, 0);
      const redis = new Redis(REDIS_URL);
      await redis.set(`${prefix}broken`, 'not a number');
      await shared.limiter.count(['broken'], 1000, 0);
      expect(shared.state()).toMatchObject({ limits: 'per-process', breaker: 'open' });
      await redis.del(`${prefix}broken`);
      await redis.quit();
      await new Promise((r) => setTimeout(r, 60));
      expect(await shared.limiter.blocked([{ key: 'k', limit: 5 }], 0)).toBeNull();
      expect(shared.state()).toEqual({ limits: 'shared', breaker: 'closed', failures: 0, degradedSince: null });
      expect(lines.some((l) => l.includes('Redis reachable again'))).toBe(true);
    } finally {
      await shared.close();
    }
  });
});

describe('two instances on one PostgreSQL and one Redis', () => {
  it('share failed-login limits, and a change on one reaches DDP connections on the other at once', async () => {
    const database = await createTestDatabase();
    const prefix = newPrefix();
    const instances: Gatehouse[] = [];
    let server: NodeServer | undefined;
    try {
      for (let i = 0; i < 2; i++) {
        instances.push(
          await createGatehouse({
            publicUrl: 'http://127.0.0.1:0',
            database: { url: database.url },
            redis: { url: REDIS_URL, keyPrefix: prefix },
            keys: [await testSigningKey()],
            logLevel: 'silent',
            passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
            rateLimits: { failedLoginsPerAccountAndAddress: 4 },
            apps: { [APP]: { providers: { 'local-userpass': { confirmation: 'auto' } } } },
          }),
        );
      }
      const [a, b] = instances as [Gatehouse, Gatehouse];
      const call = (g: Gatehouse, method: string, path: string, body?: unknown, token?: string) =>
        g
          .fetch(
            new Request(`http://127.0.0.1${path}`, {
              method,
              headers: {
                'content-type': 'application/json',
                ...(token ? { authorization: `Bearer ${token}` } : {}),
              },
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            }),
            { address: '198.51.100.7' },
          )
          .then(async (r) => ({ status: r.status, json: await r.json().catch(() => undefined) }));
      const login = (g: Gatehouse, password: string) =>
        call(g, 'POST', `${API}/app/${APP}/auth/providers/local-userpass/login`, { username: 'ann', password });

      expect(
        (
          await call(a, 'POST', `${API}/app/${APP}/auth/providers/local-userpass/register`, {
            username: 'ann',
            password: PASSWORD,
          })
        ).status,
      ).toBe(201);
      // Four wrong passwords, alternating instances: the fifth try is refused on either, even a right one.
      for (const g of [a, b, a, b]) expect((await login(g, 'wrong password!')).status).toBe(401);
      expect((await login(b, PASSWORD)).status).toBe(429);
      expect((await login(a, PASSWORD)).status).toBe(429);

      // A DDP connection on B; the session it resumes is ended through A: B closes it without waiting for the sweep.
      const redis = new Redis(REDIS_URL);
      // Ann's counters (the account's from this address and from everywhere) are cleared, as a success would.
      const counters = await redis.keys(`${prefix}fail:${APP}:*`);
      expect(counters.length).toBeGreaterThanOrEqual(2);
      await redis.del(...counters);
      await redis.quit();
      const session = (await login(a, PASSWORD)).json;
      server = await serveNode(b, { port: 0 });
      const ddp = await RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`);
      const { result } = await ddp.call('login', { user: { username: 'ann' }, password: PASSWORD });
      expect(result.id).toBe(session.user_id);
      await ddp.next((m) => m.msg === 'added');

      const edited = await call(
        a,
        'PATCH',
        `${API}/auth/user`,
        { $set: { 'profile.city': 'Oslo' } },
        session.access_token,
      );
      expect(edited.status).toBe(200);
      const started = Date.now();
      expect(await ddp.next((m) => m.msg === 'changed', 3000)).toMatchObject({ fields: { profile: { city: 'Oslo' } } });
      const others = await call(a, 'POST', `${API}/auth/sessions/logout-others`, undefined, session.access_token);
      expect(others.json).toEqual({ revoked: 1 });
      expect((await ddp.closed).code).toBe(1000);
      // Well under the 10 s sweep: the news came through Redis.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await server?.close();
      for (const g of instances) await g.close();
      await database.drop();
    }
  });
});
