import { createPostgresStorage, type Storage } from '@gatehouse-auth/storage';
import { createTestDatabase, openTestStorage } from '@gatehouse-auth/storage/testing';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GatehouseConfigInput } from '../config/schema.js';
import { createGatehouse } from '../gatehouse.js';
import { createLogger } from '../logger.js';
import { testSigningKey } from '../testing/index.js';
import { type MetricsServer, serveMetrics } from './metrics-server.js';
import { type NodeServer, serveNode } from './serve.js';

const appId = 'obs-app';
const EMAIL = 'ann.lee@example.com';
const PASSWORD = 'correct horse battery staple';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Line = Record<string, any>;

async function config(extra: Partial<GatehouseConfigInput> = {}): Promise<GatehouseConfigInput> {
  return {
    publicUrl: 'http://127.0.0.1:0',
    database: { url: 'sqlite::memory:' },
    keys: [await testSigningKey()],
    logLevel: 'info',
    passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    rateLimits: { failedLoginsPerAccountAndAddress: 2 },
    apps: { [appId]: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'email' } } } },
    ...extra,
  };
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A Gatehouse on a port, logging JSON lines into `lines`. */
async function start(
  dialect: 'sqlite' | 'postgres',
  extra: Partial<GatehouseConfigInput> = {},
  options: { activeSessionsRefreshMs?: number } = {},
) {
  const { storage, cleanup } = await openStorage(dialect);
  closers.push(cleanup);
  const text: string[] = [];
  const logger = createLogger('info', { write: (chunk: string) => text.push(chunk) });
  const gatehouse = await createGatehouse(await config(extra), { storage, logger, ...options });
  const server: NodeServer = await serveNode(gatehouse, { host: '127.0.0.1', port: 0 });
  closers.push(() => server.close({ graceMs: 0 }));
  const lines = (): Line[] =>
    text
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  const call = (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
  return { gatehouse, server, storage, lines, log: () => text.join(''), call };
}

/** SQLite in memory, or PostgreSQL opened as the server opens it (its pool reports its use). */
async function openStorage(dialect: 'sqlite' | 'postgres'): Promise<{ storage: Storage; cleanup(): Promise<void> }> {
  if (dialect === 'sqlite') return openTestStorage('sqlite');
  const database = await createTestDatabase();
  const storage = await createPostgresStorage({ connectionString: database.url });
  await storage.migrate();
  return {
    storage,
    async cleanup() {
      await storage.close().catch(() => {});
      await database.drop();
    },
  };
}

const appPath = (path: string) => `/api/client/v2.0/app/${appId}${path}`;

/** Waits until `check` passes (log lines are written when the response has been sent). */
async function eventually(check: () => void | Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await check();
      return;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('request logs', () => {
  it('write one line per request with its id, route, status, time and address — and no secret', async () => {
    const { lines, log, call } = await start('sqlite');

    const register = await call('POST', appPath('/auth/providers/local-userpass/register'), {
      body: { email: EMAIL, password: PASSWORD },
    });
    expect(register.status).toBe(201);
    const registerId = register.headers.get('x-request-id');
    expect(registerId).toMatch(UUID);

    // The confirmation link carries its token in the query string; following it must not log the token.
    await eventually(() => {
      const mail = lines().find((l) => l.msg?.startsWith('mail kept'));
      expect(mail).toBeDefined();
    });
    expect((await call('GET', `/app/${appId}/confirm?token=secret-token-value&tokenId=abc`)).status).toBe(200);
    const anon = await call('POST', appPath('/auth/providers/anon-user/login'), { body: {} });
    const { refresh_token: refresh, access_token: access } = await anon.json();
    const refreshed = await call('POST', '/api/client/v2.0/auth/session', {
      headers: { authorization: `Bearer ${refresh}` },
    });
    expect(refreshed.status).toBe(201);
    const unknown = await call('GET', `/no/such/${encodeURIComponent(EMAIL)}`);
    expect(unknown.status).toBe(404);
    await call('GET', '/healthz');

    await eventually(() => expect(lines().filter((l) => l.msg === 'request completed')).toHaveLength(5));
    const requests = lines().filter((l) => l.msg === 'request completed');
    const byRoute = Object.fromEntries(requests.map((l) => [l.route, l]));
    expect(byRoute['/api/client/v2.0/app/:appId/auth/providers/local-userpass/register']).toMatchObject({
      reqId: registerId,
      method: 'POST',
      status: 201,
      address: expect.stringMatching(/127\.0\.0\.1$/),
      durationMs: expect.any(Number),
      level: 30,
    });
    expect(byRoute['/api/client/v2.0/auth/session']).toMatchObject({
      reqId: refreshed.headers.get('x-request-id'),
      status: 201,
    });
    expect(byRoute.unmatched).toMatchObject({ status: 404, path: '/no/such/a***%40example.com' });
    const confirm = requests.find((l) => l.path === `/app/${appId}/confirm`);
    expect(confirm?.route).toMatch(/confirm$/);
    // /healthz is logged at debug, below this logger's level.
    expect(requests.some((l) => l.path === '/healthz')).toBe(false);
    // Every request id is different, and each appears on exactly one request line.
    expect(new Set(requests.map((l) => l.reqId)).size).toBe(5);

    // A line written while answering a request carries that request's id: the mail of the registration,
    // sent in the background after the response, too.
    const mail = lines().find((l) => l.msg?.startsWith('mail kept'));
    expect(mail?.reqId).toBe(registerId);
    expect(mail?.to).toBe('a***@example.com');

    const text = log();
    for (const secret of [PASSWORD, refresh, access, 'secret-token-value', EMAIL, encodeURIComponent(EMAIL)])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/authorization|user-agent|cookie/i);
  });

  it("take a trusted proxy's request id and client address, and ignore them from anyone else", async () => {
    // The leftmost address is the client's own claim; the proxy appended the address it saw.
    const headers = { 'x-request-id': 'edge-7f3a', 'x-forwarded-for': '6.6.6.6, 203.0.113.9' };
    const direct = await start('sqlite');
    const ignored = await direct.call('GET', appPath('/location'), {
      headers: { ...headers, origin: 'https://app.example.com' },
    });
    expect(ignored.headers.get('x-request-id')).toMatch(UUID);
    // A browser app may read it (to show in an error report).
    expect(ignored.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    await eventually(() => expect(direct.lines().find((l) => l.msg === 'request completed')).toBeDefined());
    expect(direct.lines().find((l) => l.msg === 'request completed')?.address).toMatch(/127\.0\.0\.1$/);

    const proxied = await start('sqlite', { trustProxy: true });
    const taken = await proxied.call('GET', appPath('/location'), { headers });
    expect(taken.headers.get('x-request-id')).toBe('edge-7f3a');
    await eventually(() => expect(proxied.lines().find((l) => l.msg === 'request completed')).toBeDefined());
    expect(proxied.lines().find((l) => l.msg === 'request completed')).toMatchObject({
      reqId: 'edge-7f3a',
      address: '203.0.113.9',
      route: '/api/client/v2.0/app/:appId/location',
    });
    // An id that could break a log line is replaced, even from a trusted proxy.
    const odd = await proxied.call('GET', '/healthz', { headers: { 'x-request-id': 'a"b\\nc' } });
    expect(odd.headers.get('x-request-id')).toMatch(UUID);

    // With a list of proxies, only a request whose peer is on it may name its id.
    const listed = await start('sqlite', { trustProxy: ['127.0.0.1/32'] });
    expect((await listed.call('GET', '/healthz', { headers })).headers.get('x-request-id')).toBe('edge-7f3a');
    const elsewhere = await start('sqlite', { trustProxy: ['10.0.0.0/8'] });
    expect((await elsewhere.call('GET', '/healthz', { headers })).headers.get('x-request-id')).toMatch(UUID);
  });
});

describe.each(['sqlite', 'postgres'] as const)('metrics (%s)', (dialect) => {
  async function scrape(metrics: MetricsServer): Promise<string> {
    const response = await fetch(metrics.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  }
  const value = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('are off by default: no registry, and no /metrics on the public port', async () => {
    const { gatehouse, call } = await start(dialect);
    expect(gatehouse.metrics).toBeNull();
    expect((await call('GET', '/metrics')).status).toBe(404);
  });

  it('count requests by route and status, hashing, refusals, DDP connections, the pool and the event loop', async () => {
    const { gatehouse, server, call } = await start(dialect, { metrics: { enabled: true } });
    const metrics = await serveMetrics(gatehouse.metrics!, { host: '127.0.0.1', port: 0 });
    closers.push(() => metrics.close());
    expect((await call('GET', '/metrics')).status).toBe(404); // only on the metrics listener

    await call('POST', appPath('/auth/providers/local-userpass/register'), {
      body: { email: EMAIL, password: PASSWORD },
    });
    const login = appPath('/auth/providers/local-userpass/login');
    for (let i = 0; i < 3; i++) await call('POST', login, { body: { username: EMAIL, password: 'wrong password!' } });
    expect((await call('POST', appPath('/auth/providers/anon-user/login'), { body: {} })).status).toBe(200);
    const ddp = new WebSocket(`${server.url.replace('http', 'ws')}/websocket`);
    await new Promise((resolve, reject) => ddp.once('open', resolve).once('error', reject));
    closers.push(async () => ddp.close());

    const text = await scrape(metrics);
    const route = '/api/client/v2.0/app/:appId/auth/providers/:provider';
    const register = `${route.replace(':provider', 'local-userpass')}/register`;
    expect(value(text, `gatehouse_http_requests_total{method="POST",route="${register}",status="201"}`)).toBe(1);
    expect(value(text, `gatehouse_http_requests_total{method="POST",route="${route}/login",status="401"}`)).toBe(2);
    expect(value(text, `gatehouse_http_requests_total{method="POST",route="${route}/login",status="429"}`)).toBe(1);
    expect(value(text, `gatehouse_http_requests_total{method="GET",route="unmatched",status="404"}`)).toBe(1);
    expect(
      value(text, `gatehouse_http_request_duration_seconds_count{method="POST",route="${register}",status="201"}`),
    ).toBe(1);
    expect(value(text, 'gatehouse_rate_limit_refusals_total{limit="login"}')).toBe(1);
    // From the account core's events: the third wrong password was refused before it was checked.
    expect(value(text, 'gatehouse_logins_total{provider="anon-user",via="http"}')).toBe(1);
    expect(value(text, 'gatehouse_login_failures_total{provider="local-userpass",reason="wrong-password"}')).toBe(2);
    // One hash for the registration, one check per wrong password that got past the limit.
    expect(value(text, 'gatehouse_password_hash_wait_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(value(text, 'gatehouse_password_hash_queue_depth')).toBe(0);
    expect(value(text, 'gatehouse_ddp_connections')).toBe(1);
    expect(value(text, 'gatehouse_database_available')).toBe(1);
    expect(value(text, 'gatehouse_mail_queue_pending')).toBe(0);
    expect(value(text, 'gatehouse_mail_queue_oldest_due_seconds')).toBe(0);
    expect(text).not.toMatch(/^gatehouse_redis_limits\{/m);
    expect(value(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^gatehouse_build_info\{version="\d+\.\d+\.\d+.*"\} 1$/m);
    if (dialect === 'postgres') {
      expect(value(text, 'gatehouse_db_pool_connections{state="max"}')).toBe(10);
      expect(value(text, 'gatehouse_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(1);
      expect(value(text, 'gatehouse_db_pool_waiting')).toBe(0);
    } else expect(text).not.toContain('gatehouse_db_pool_connections{');
    // Labels hold patterns, never what a request carried.
    expect(text).not.toContain(appId);
    expect(text).not.toContain('example.com');
  });

  it('count active sessions from the database and mail by outcome', async () => {
    // Counted at every scrape here; 15 s apart by default.
    const { gatehouse, call } = await start(dialect, { metrics: { enabled: true } }, { activeSessionsRefreshMs: 0 });
    const metrics = await serveMetrics(gatehouse.metrics!, { host: '127.0.0.1', port: 0 });
    closers.push(() => metrics.close());
    expect(value(await scrape(metrics), 'gatehouse_active_sessions{kind="refresh"}')).toBe(0);

    const logins = [];
    for (let i = 0; i < 3; i++) {
      const res = await call('POST', appPath('/auth/providers/anon-user/login'), { body: {} });
      logins.push((await res.json()) as { refresh_token: string });
    }
    expect(value(await scrape(metrics), 'gatehouse_active_sessions{kind="refresh"}')).toBe(3);
    const logout = await call('DELETE', '/api/client/v2.0/auth/session', {
      headers: { authorization: `Bearer ${logins[0]?.refresh_token}` },
    });
    expect(logout.status).toBe(204);
    let text = await scrape(metrics);
    expect(value(text, 'gatehouse_active_sessions{kind="refresh"}')).toBe(2);
    expect(value(text, 'gatehouse_active_sessions{kind="resume"}')).toBe(0);

    // A registration mails a confirmation link: one sent.
    expect(
      (
        await call('POST', appPath('/auth/providers/local-userpass/register'), {
          body: { email: EMAIL, password: PASSWORD },
        })
      ).status,
    ).toBe(201);
    await eventually(() => expect(gatehouse.outbox?.list()).toHaveLength(1));
    await eventually(async () => {
      text = await scrape(metrics);
      expect(value(text, 'gatehouse_mail_deliveries_total{outcome="sent",kind="confirm-email"}')).toBe(1);
    });
    expect(text).not.toMatch(/^gatehouse_mail_deliveries_total\{outcome="(failed|dropped|retried)"/m);
  });
});
