import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AccountEvent } from '../events/index.js';
import type { RateLimiter } from '../rate-limit/index.js';
import { serverVersion } from '../version.js';

/** Connection-pool figures of the database (PostgreSQL); `null` for SQLite's single connection. */
export interface PoolUse {
  /** Connections open (in use and idle). */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  /** The pool's size (`database.poolSize`). */
  max: number;
}

/** Where the gauges read their values from, at each scrape. */
export interface MetricSources {
  /**
   * Password hashes running on a thread and waiting for one. Absent in a worker of `serve --workers`, whose
   * hashing runs in the primary: the primary reports it (`createClusterMetrics`).
   */
  hashing?(): { running: number; queued: number };
  /** Open DDP (WebSocket) connections. */
  ddpConnections(): number;
  /** The database pool's use, or `null` when there is no pool. */
  databasePool(): PoolUse | null;
  /** Whether the database answers (false during an outage: requests get 503). */
  databaseAvailable?(): boolean;
  /** The mail outbox: mails waiting and how long the oldest has been due; `null` when it cannot be read. */
  mailQueue?(): Promise<{ pending: number; oldestDueForMs: number } | null>;
  /** With Redis: whether limits are shared through it (`true`) or counted per process; `null` without Redis. */
  redisShared?(): boolean | null;
  /**
   * Active sessions by app and kind, from storage — cached ({@link refreshedAtMostEvery}): a scrape never
   * costs more than one counting query per interval. `null` when they cannot be read (the last figures stay).
   */
  activeSessions?(): Promise<{ appId: string; kind: string; count: number }[] | null>;
}

/** What became of one mail delivery attempt (or of a mail refused before it was written). */
export type MailOutcome = 'sent' | 'retried' | 'failed' | 'dropped';

/**
 * Gatehouse's Prometheus metrics, in a registry of its own (two Gatehouses in one process never mix). Off
 * unless `metrics.enabled`; served on a listener of their own by `serveMetrics` (see docs/operations/observability.md).
 */
export interface GatehouseMetrics {
  readonly registry: Registry;
  /** The metrics in Prometheus' text format. */
  text(): Promise<string>;
  /** The content type of {@link GatehouseMetrics.text}. */
  readonly contentType: string;
  /** One HTTP request answered: its method, route pattern, status and time to answer. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** How long one password hash waited for a hashing thread. */
  observeHashWait(seconds: number): void;
  /** One request refused by a rate limit (`limit`: which family of limits). */
  rateLimitRefused(limit: string): void;
  /** An account event of the core (`ctx.events`): logins and failed logins are counted by provider. */
  observeAccountEvent(event: AccountEvent): void;
  /** One mail's delivery attempt ended (`kind`: confirm-email, reset-password, enroll, …). */
  observeMail(outcome: MailOutcome, kind: string): void;
}

/** Latency buckets (seconds): token refreshes answer in milliseconds, password logins in tens to hundreds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Hash-queue wait buckets (seconds): zero while threads are free, up to seconds in a login burst. */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The password-hashing metrics, registered where the hashing pool is: in the one process, or in the primary
 * of `serve --workers`. Returns the wait histogram, which the pool's `onWait` feeds.
 */
export function registerHashingMetrics(registers: Registry[], hashing: () => { running: number; queued: number }) {
  new Gauge({
    name: 'gatehouse_password_hash_queue_depth',
    help: 'Password hashes and checks waiting for a hashing thread (past passwordHashing.maxQueue: 503).',
    registers,
    collect() {
      this.set(hashing().queued);
    },
  });
  new Gauge({
    name: 'gatehouse_password_hash_running',
    help: 'Password hashes and checks running on a hashing thread.',
    registers,
    collect() {
      this.set(hashing().running);
    },
  });
  return new Histogram({
    name: 'gatehouse_password_hash_wait_seconds',
    help: 'Time a password hash or check waited for a hashing thread.',
    buckets: WAIT_BUCKETS,
    registers,
  });
}

/** The version gauge (always 1), in every process's registry. */
export function registerBuildInfo(registers: Registry[]): void {
  new Gauge({
    name: 'gatehouse_build_info',
    help: 'The running Gatehouse version (always 1).',
    labelNames: ['version'],
    registers,
    aggregator: 'first',
  }).set({ version: serverVersion() }, 1);
}

/**
 * Creates the metrics of one Gatehouse. Under `serve --workers` the primary merges every process's figures
 * (`createClusterMetrics`): counters, histograms and per-process gauges are summed; a gauge that reads what
 * all processes share — the database, the outbox — says so with its `aggregator` (`max`, or `min` for
 * "is the database available"), so N workers do not multiply it. Besides the ones below, Node's standard
 * process metrics (`process_*`, `nodejs_*`, among them the event-loop lag `nodejs_eventloop_lag_seconds` and
 * its percentiles).
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ hashing: () => hasher.stats(), ddpConnections: () => 0, databasePool: () => null });
 * metrics.observeRequest('POST', '/api/client/v2.0/auth/session', 201, 0.004);
 * console.log(await metrics.text());
 * ```
 */
export function createMetrics(sources: MetricSources): GatehouseMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  registerBuildInfo(registers);

  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (until the response head), by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const hashWait = sources.hashing ? registerHashingMetrics(registers, sources.hashing) : null;
  const refusals = new Counter({
    name: 'gatehouse_rate_limit_refusals_total',
    help: 'Rate-limit checks that found their limit reached (a 429; for mail, a message not sent), by limit: login (per account, and per account and address), login-addr (per address), new-account, mail, oauth-start.',
    labelNames: ['limit'],
    registers,
  });
  new Gauge({
    name: 'gatehouse_ddp_connections',
    help: 'Open DDP (Meteor WebSocket) connections.',
    registers,
    collect() {
      this.set(sources.ddpConnections());
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'Database pool connections by state (PostgreSQL; absent on SQLite).',
    labelNames: ['state'],
    registers,
    collect() {
      const pool = sources.databasePool();
      if (!pool) return;
      this.set({ state: 'in_use' }, pool.total - pool.idle);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'max' }, pool.max);
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_waiting',
    help: 'Database queries waiting for a pool connection (PostgreSQL; absent on SQLite).',
    registers,
    collect() {
      const pool = sources.databasePool();
      if (pool) this.set(pool.waiting);
    },
  });

  // ---- What Gatehouse depends on (docs/operations/when-things-fail.md) ----------------------------------------
  new Gauge({
    name: 'gatehouse_database_available',
    help: '1 while the database answers; 0 during an outage (requests that need it get 503).',
    registers,
    aggregator: 'min',
    collect() {
      if (sources.databaseAvailable) this.set(sources.databaseAvailable() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gatehouse_mail_queue_pending',
    help: 'Mails waiting in the outbox for delivery (all instances share the queue).',
    registers,
    aggregator: 'max',
    async collect() {
      const queue = await sources.mailQueue?.();
      if (queue) this.set(queue.pending);
    },
  });
  new Gauge({
    name: 'gatehouse_mail_queue_oldest_due_seconds',
    help: 'How long the oldest waiting mail has been due: grows while SMTP is down.',
    registers,
    aggregator: 'max',
    async collect() {
      const queue = await sources.mailQueue?.();
      if (queue) this.set(queue.oldestDueForMs / 1000);
    },
  });
  new Gauge({
    name: 'gatehouse_redis_limits',
    help: 'How rate limits are counted with Redis configured: mode="shared" (through Redis) or mode="per_process" (Redis is away) is 1. Absent without Redis.',
    labelNames: ['mode'],
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      const shared = sources.redisShared?.();
      if (shared !== null && shared !== undefined) this.set({ mode: shared ? 'shared' : 'per_process' }, 1);
    },
  });

  // ---- From the account core's events (subscribed in createGatehouse, never counted at each site) ----------
  const logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Successful logins, by provider and front (via: http or ddp).',
    labelNames: ['provider', 'via'],
    registers,
  });
  const loginFailures = new Counter({
    name: 'gatehouse_login_failures_total',
    help: 'Failed logins (a wrong password, an unknown user or key), by provider and reason.',
    labelNames: ['provider', 'reason'],
    registers,
  });
  // ---- Counted from storage (sessions also end by expiring, which no event tells) ----------------------------
  new Gauge({
    name: 'gatehouse_active_sessions',
    help: 'Sessions not revoked and not expired, by kind (refresh: App Services logins; resume: Meteor logins), all apps together. Counted in the database at most every 15 s.',
    labelNames: ['kind'],
    registers,
    aggregator: 'max',
    async collect() {
      const rows = await sources.activeSessions?.();
      if (!rows) return;
      const byKind = new Map<string, number>([
        ['refresh', 0],
        ['resume', 0],
      ]);
      for (const row of rows) byKind.set(label(row.kind), (byKind.get(label(row.kind)) ?? 0) + row.count);
      for (const [kind, count] of byKind) this.set({ kind }, count);
    },
  });

  // ---- The mail outbox (email/queue.ts) -----------------------------------------------------------------------
  const mails = new Counter({
    name: 'gatehouse_mail_deliveries_total',
    help: 'Mail delivery attempts by outcome — sent; retried (failed, tried again later); failed (given up); dropped (the address had its hourly share) — and kind (confirm-email, reset-password, enroll, …).',
    labelNames: ['outcome', 'kind'],
    registers,
  });

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    observeRequest(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    observeHashWait(seconds) {
      hashWait?.observe(seconds);
    },
    rateLimitRefused(limit) {
      refusals.inc({ limit });
    },
    observeAccountEvent(event) {
      const detail = event.detail ?? {};
      if (event.type === 'login') logins.inc({ provider: label(detail.provider), via: label(detail.via) });
      else if (event.type === 'login-failed')
        loginFailures.inc({ provider: label(detail.provider), reason: label(detail.reason) });
    },
    observeMail(outcome, kind) {
      mails.inc({ outcome, kind: label(kind) });
    },
  };
}

/**
 * `load`, called at most once per `intervalMs` (concurrent callers share one call); in between, the last
 * answer. A failed load answers the last good value (or `null`), and is tried again at the next call after
 * the interval.
 *
 * @example
 * ```ts
 * const activeSessions = refreshedAtMostEvery(15_000, () => storage.countActiveSessions(Date.now()), Date.now);
 * ```
 */
export function refreshedAtMostEvery<T>(
  intervalMs: number,
  load: () => Promise<T>,
  now: () => number,
): () => Promise<T | null> {
  let value: T | null = null;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let running: Promise<T | null> | null = null;
  return () => {
    if (now() - loadedAt < intervalMs) return Promise.resolve(value);
    running ??= load()
      .then((loaded) => {
        value = loaded;
        return loaded;
      })
      .catch(() => value)
      .finally(() => {
        loadedAt = now();
        running = null;
      });
    return running;
  };
}

/**
 * The limit each rate-limit key prefix belongs to, as the metrics name it (kept apart from the key names, so
 * dashboards survive a change of keys); any other prefix is counted as `other`.
 */
const LIMIT_FAMILIES: Record<string, string> = {
  fail: 'login', // failed logins (and current-password checks) per account, and per account and address
  'fail-addr': 'login-addr', // failed logins per client address
  'new-account': 'new-account', // sign-ups per client address
  mail: 'mail', // account mails per address per hour
  'oauth-start': 'oauth-start', // OAuth redirect logins started per client address
};

/**
 * A rate limiter that counts its refusals in `metrics` by family — the key's prefix before the first `:`
 * (`fail-addr:203.0.113.7` → `login-addr`), never the key itself, which may hold an address or an email.
 *
 * @example
 * ```ts
 * const limiter = countingRefusals(createMemoryRateLimiter(), metrics);
 * ```
 */
export function countingRefusals(limiter: RateLimiter, metrics: GatehouseMetrics): RateLimiter {
  return {
    async blocked(checks, now) {
      const result = await limiter.blocked(checks, now);
      if (result) {
        const family = result.key.split(':', 1)[0] ?? '';
        metrics.rateLimitRefused(Object.hasOwn(LIMIT_FAMILIES, family) ? (LIMIT_FAMILIES[family] as string) : 'other');
      }
      return result;
    },
    count: (keys, windowMs, now) => limiter.count(keys, windowMs, now),
    reset: (key) => limiter.reset(key),
    close: () => limiter.close(),
  };
}

/** A label value from an event's detail: a short lowercase word as the core writes them, else `other`. */
function label(value: unknown): string {
  return typeof value === 'string' && /^[a-z0-9][a-z0-9-]{0,39}$/.test(value) ? value : 'other';
}
