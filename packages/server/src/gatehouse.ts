import { GatehouseError } from '@gatehouse-auth/core';
import {
  createPostgresStorage,
  createSqliteStorage,
  parseStorageUrl,
  type Storage,
  StorageUnavailableError,
} from '@gatehouse-auth/storage';
import { type AdminAccounts, adminAccounts, type ServerAccounts, serverAccounts } from './accounts/index.js';
import { type AdminKeys, adminKeys } from './admin/keys.js';
import { type ResolvedConfig, resolveConfig } from './config/resolve.js';
import type { GatehouseConfigInput } from './config/schema.js';
import type { RequestInfo, ServerContext } from './context.js';
import { createDdpServer, type DdpHeartbeat, type DdpServer, SWEEP_MS } from './ddp/index.js';
import {
  createMailQueue,
  createOutboxMailer,
  createSealer,
  createSmtpMailer,
  type Mailer,
  type OutboxMailer,
} from './email/index.js';
import { createUserChanges, type UserChanges } from './events/changes.js';
import { ACCOUNT_EVENTS, createAccountEvents } from './events/index.js';
import { createDatabaseOutages, type DatabaseState } from './health/outages.js';
import { createCors } from './http/cors.js';
import { observeRequests } from './http/observe.js';
import { createLogger, type Logger } from './logger.js';
import type { GatehouseMetrics } from './metrics/index.js';
import { clientAddressResolver } from './net/client-address.js';
import { type ServiceAdmin, serviceAdmin } from './oauth/meteor/settings.js';
import { createPasswordHasher, type PasswordHasher } from './passwords/index.js';
import { createMemoryRateLimiter, type RateLimiter } from './rate-limit/index.js';
import type { RedisState } from './rate-limit/redis.js';
import { errorResponse } from './routes/errors.js';
import { describe, httpRoutes, mountedRoutes } from './routes/index.js';
import { importSigningKeys } from './tokens/keys.js';
import { createTokenService } from './tokens/tokens.js';

/** A running Gatehouse: a Web `fetch` handler plus its lifecycle. */
export interface Gatehouse {
  /**
   * Answers one HTTP request. `info.address` is the client's address as the transport saw it (used for
   * rate limits; `X-Forwarded-For` is read instead only with `trustProxy`).
   */
  fetch(request: Request, info?: { address?: string | null }): Promise<Response>;
  /**
   * The client address of a request or WebSocket upgrade by the `trustProxy` rule: the socket peer, or the
   * `X-Forwarded-For` entry the configured proxies vouch for.
   */
  clientAddress(socketAddress: string | null, forwardedFor: string | null): string | null;
  /** Resolves when the database answers within `database.readyTimeout`; rejects otherwise (what `/readyz` reports). */
  ready(): Promise<void>;
  /**
   * How the parts Gatehouse depends on are doing, for a metrics or health endpoint: the database (outages,
   * requests refused), the mail outbox's depth, and Redis (whether limits are shared or counted per process).
   */
  status(): Promise<GatehouseStatus>;
  /**
   * Resolves once the background work started so far (mail written after a call answered) has finished and the
   * mail due was handed to SMTP or the outbox — or after `ms`. The CLI waits for it before it closes.
   */
  settled(ms: number): Promise<void>;
  /** Waits for background work (mail), then closes the hashing pool, the mailer and the database. */
  close(): Promise<void>;
  readonly config: ResolvedConfig;
  readonly storage: Storage;
  /** Meteor's DDP endpoint; the Node adapter serves it on WebSockets at `/websocket`. */
  readonly ddp: DdpServer;
  /** The development outbox when email goes there. */
  readonly outbox: OutboxMailer | null;
  /** The JSON logger (the Node adapter writes its request lines through it). */
  readonly logger: Logger;
  /** Prometheus metrics when `metrics.enabled`, else `null`; `serveMetrics` serves them on their own port. */
  readonly metrics: GatehouseMetrics | null;
  /**
   * The HTTP routes mounted (method and Hono path pattern, e.g. `GET /api/client/v2.0/app/:appId/location`):
   * what the OpenAPI document at `/api/openapi.json` must describe, no more and no less.
   */
  readonly httpRoutes: readonly { method: string; path: string }[];
  /**
   * The server-side account changes of one app (Meteor's server `Accounts.*`: createUser, setPassword,
   * sendEnrollmentEmail, addEmail, setUsername, …). Throws `AppNotFound` for an app not in the config.
   */
  accounts(appId: string): ServerAccounts;
  /**
   * The app's external services (`gatehouse services …`): list (public settings and the callback URL to
   * register), set in the database, remove, import Meteor's settings. Throws `AppNotFound`.
   */
  services(appId: string): ServiceAdmin;
  /**
   * The operator's administration of one app (what the admin API and `gatehouse users` do): users, sessions,
   * keys, identities, services, settings, audit log. `info` is recorded with each change in the audit log
   * (default: the CLI, actor `cli`). Throws `AppNotFound`.
   */
  admin(appId: string, info?: RequestInfo): AdminAccounts;
  /** Keys of the admin API (`gatehouse admin-keys …`): create (shown once), list, revoke. */
  readonly adminKeys: AdminKeys;
}

/** What {@link Gatehouse.status} reports. */
export interface GatehouseStatus {
  database: DatabaseState;
  /** Mails waiting in the outbox, and how long the oldest has been due; `null` if the database did not answer. */
  mailQueue: { pending: number; oldestDueForMs: number } | null;
  /** `null` without Redis. */
  redis: RedisState | null;
}

/** The active-sessions gauge counts sessions in the database at most this often, however often it is scraped. */
const ACTIVE_SESSIONS_REFRESH_MS = 15_000;

/** Parts a caller (tests, the CLI) may provide instead of having them built from the configuration. */
export interface GatehouseOptions {
  storage?: Storage;
  mailer?: Mailer;
  logger?: Logger;
  /** Clock in milliseconds; tests freeze it. */
  now?: () => number;
  /** Apply database migrations at start (default true; Kysely's migrator locks, so instances may race). */
  migrate?: boolean;
  passwordHasher?: PasswordHasher;
  rateLimiter?: RateLimiter;
  /**
   * News of changed users shared with other processes (the primary's relay under `gatehouse serve --workers`);
   * by default through Redis when configured, else within this process.
   */
  userChanges?: UserChanges;
  /** DDP's server heartbeat (Meteor's 15 s ping, 15 s to answer); tests shorten it. */
  ddpHeartbeat?: DdpHeartbeat;
  /** How often expired one-time tokens (links, OAuth states) are deleted; hourly by default; tests shorten it. */
  maintenanceIntervalMs?: number;
  /** How often the active-sessions metric may count sessions in the database (default 15 s); tests shorten it. */
  activeSessionsRefreshMs?: number;
  /**
   * Where the hashing metrics are reported: `here` (default) with this process's figures, or `elsewhere` — a
   * worker of `gatehouse serve --workers`, whose `passwordHasher` sends its jobs to the primary's pool, and
   * whose primary reports that pool.
   */
  hashingReported?: 'here' | 'elsewhere';
}

/**
 * Builds a Gatehouse from a configuration: validates it (throwing `ConfigError` naming bad fields), imports
 * the signing keys, opens and migrates the database, and returns a `fetch` handler.
 *
 * @example
 * ```ts
 * const gatehouse = await createGatehouse({
 *   publicUrl: 'http://localhost:8080',
 *   database: { url: 'sqlite:./gatehouse.db' },
 *   keys: [await generateSigningKey()],
 *   apps: { 'my-app': { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } } },
 * });
 * const response = await gatehouse.fetch(new Request('http://localhost:8080/healthz'));
 * ```
 */
export async function createGatehouse(
  input: GatehouseConfigInput | ResolvedConfig,
  options: GatehouseOptions = {},
): Promise<Gatehouse> {
  const config = isResolved(input) ? input : resolveConfig(input);
  const logger = options.logger ?? createLogger(config.logLevel);
  // Read at each scrape, from parts made below. (prom-client is loaded only when metrics are on: about 10 MB
  // of every process's memory otherwise.)
  const metricsModule = config.metrics.enabled ? await import('./metrics/index.js') : null;
  const metrics: GatehouseMetrics | null = metricsModule
    ? metricsModule.createMetrics({
        ...(options.hashingReported === 'elsewhere' ? {} : { hashing: () => passwords.stats() }),
        ddpConnections: () => ddp.connectionCount(),
        databasePool: () => storage.poolStats?.() ?? null,
        databaseAvailable: () => outages.state().available,
        mailQueue: () => mail.depth().catch(() => null),
        redisShared: () => (shared ? shared.state().limits === 'shared' : null),
        activeSessions: metricsModule.refreshedAtMostEvery(
          options.activeSessionsRefreshMs ?? ACTIVE_SESSIONS_REFRESH_MS,
          () => storage.countActiveSessions(now()),
          () => Date.now(),
        ),
      })
    : null;
  const keys = await importSigningKeys(config.keys);
  const storage = options.storage ?? (await openStorage(config));
  // The readiness probe has its own short limit: a frozen database answers 503 in that time, not after the
  // pool's and the statement's timeouts.
  const ping = () => withinTime(storage.ping(), config.database.readyTimeoutMs);
  let outbox: OutboxMailer | null = null;
  let mailer = options.mailer;
  if (!mailer) {
    if (config.email.transport === 'smtp')
      mailer = createSmtpMailer({ url: config.email.url, from: config.email.from, logger });
    else mailer = outbox = createOutboxMailer({ from: config.email.from, logger });
  }
  const passwords: PasswordHasher =
    options.passwordHasher ?? createPasswordHasher(config.passwordHashing, { onWait: metrics?.observeHashWait });
  try {
    if (options.migrate !== false) await storage.migrate();
    for (const id of config.apps.keys()) await storage.ensureApp(id, (options.now ?? Date.now)());
  } catch (error) {
    await Promise.allSettled([storage.close(), passwords.close(), mailer.close()]);
    throw error;
  }

  const pending = new Set<Promise<unknown>>();
  const outages = createDatabaseOutages({ logger, probe: ping });
  const now = options.now ?? Date.now;
  const mail = createMailQueue({
    storage,
    transport: mailer,
    sealer: await createSealer(config.keys),
    delivery: config.email.delivery,
    logger,
    now,
    onError: (error, what) => outages.note(error, what),
    ...(metrics ? { onOutcome: (outcome, kind) => metrics.observeMail(outcome, kind) } : {}),
  });
  // Shared state for several instances, when configured: rate limits and news of changed users.
  // (Loaded only when configured: a single instance never pays for the Redis client.)
  const shared = config.redis
    ? (await import('./rate-limit/redis.js')).createRedisShared({
        url: config.redis.url,
        prefix: config.redis.keyPrefix,
        logger,
        commandTimeoutMs: config.redis.commandTimeoutMs,
        breakerFailures: config.redis.breakerFailures,
        breakerRetryAfterMs: config.redis.breakerRetryAfterMs,
      })
    : null;
  await shared?.ready();
  const limiter = options.rateLimiter ?? shared?.limiter ?? createMemoryRateLimiter();
  const events = createAccountEvents((error, event) =>
    logger.warn({ err: describe(error), event: event.type }, 'account event subscriber failed'),
  );
  const changes = options.userChanges ?? shared?.changes ?? createUserChanges();
  const resolveAddress = clientAddressResolver(config.trustProxy);
  const ctx: ServerContext = {
    config,
    storage,
    keys,
    tokens: createTokenService({ keys, issuer: config.publicUrl }),
    passwords,
    mail,
    outbox,
    limiter: metrics && metricsModule ? metricsModule.countingRefusals(limiter, metrics) : limiter,
    logger,
    outages,
    changes,
    events,
    clientAddress: resolveAddress,
    now,
    background(what, task) {
      const p = Promise.resolve()
        .then(task)
        .catch((err) => outages.note(err, what) || logger.error({ err: describe(err), what }, 'background task failed'))
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async settled(ms) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      });
      const work = Promise.allSettled([...pending]).then(() => mail.deliverDue());
      await Promise.race([work, deadline]).finally(() => clearTimeout(timer));
    },
  };

  // Side effects of account changes, as subscribers: the audit log, and news to live DDP connections.
  events.subscribe(async (event) => {
    await storage.recordAuditEvent({
      appId: event.appId,
      userId: event.userId,
      type: event.type,
      ip: event.address ?? null,
      userAgent: event.userAgent ?? null,
      actor: event.actor ?? null,
      now: ctx.now(),
      ...(event.detail ? { detail: event.detail } : {}),
    });
  });
  events.subscribe((event) => {
    if (event.userId !== null && ACCOUNT_EVENTS[event.type].changesUser) changes.userChanged(event.userId);
  });
  if (metrics) events.subscribe((event) => metrics.observeAccountEvent(event));

  const cors = createCors(config.corsOrigins);
  // Route, status and time of each request, for its log line and the metrics.
  const router = httpRoutes(ctx, [observeRequests(metrics)], { ready: ping });

  // Housekeeping: one-time tokens that expired unused (mailed links nobody followed, OAuth logins abandoned at
  // the IdP) are deleted, so the table does not grow forever. Every instance may run it; it is idempotent.
  const maintenance = setInterval(() => {
    storage
      .deleteExpiredOneTimeTokens(ctx.now())
      .then((count) => count > 0 && logger.debug({ count }, 'expired one-time tokens deleted'))
      .catch(
        (error) =>
          outages.note(error, 'housekeeping') ||
          logger.warn({ err: describe(error) }, 'deleting expired one-time tokens failed'),
      );
    // WebAuthn challenges nobody answered (a passkey prompt dismissed) go the same way.
    storage
      .deleteExpiredWebauthnChallenges(ctx.now())
      .catch(
        (error) =>
          outages.note(error, 'housekeeping') || logger.warn({ err: describe(error) }, 'challenge cleanup failed'),
      );
    // Finished mail is kept a week without its body: the hourly per-address limit reads the last hour of it.
    storage
      .deleteFinishedMail(ctx.now() - 7 * 86_400_000)
      .catch(
        (error) => outages.note(error, 'housekeeping') || logger.warn({ err: describe(error) }, 'mail cleanup failed'),
      );
    // The audit log is kept `audit.retentionDays` (0: forever).
    if (config.audit.retentionDays > 0)
      storage
        .deleteAuditEventsBefore(ctx.now() - config.audit.retentionDays * 86_400_000)
        .then((count) => count > 0 && logger.debug({ count }, 'old audit events deleted'))
        .catch(
          (error) =>
            outages.note(error, 'housekeeping') || logger.warn({ err: describe(error) }, 'audit log cleanup failed'),
        );
  }, options.maintenanceIntervalMs ?? 3_600_000);
  maintenance.unref();

  const ddp = createDdpServer(ctx, {
    ...(options.ddpHeartbeat ? { heartbeat: options.ddpHeartbeat } : {}),
    sweepMs: shared ? SWEEP_MS.withRedis : SWEEP_MS.alone,
    ...(shared ? { newsDown: () => shared.state().limits === 'per-process' } : {}),
  });
  return {
    config,
    storage,
    outbox,
    ddp,
    logger,
    metrics,
    httpRoutes: mountedRoutes(router),
    accounts(appId) {
      const app = config.apps.get(appId);
      if (!app) throw new GatehouseError('AppNotFound', `no app '${appId}' in the configuration`);
      return serverAccounts(ctx, app);
    },
    adminKeys: adminKeys(ctx),
    admin(appId, info = { address: null, userAgent: null, actor: 'cli' }) {
      const app = config.apps.get(appId);
      if (!app) throw new GatehouseError('AppNotFound', `no app '${appId}' in the configuration`);
      return adminAccounts(ctx, app, info);
    },
    services(appId) {
      const app = config.apps.get(appId);
      if (!app) throw new GatehouseError('AppNotFound', `no app '${appId}' in the configuration`);
      return serviceAdmin(ctx, app);
    },
    async fetch(request, info) {
      // CORS is for the APIs browsers' apps call — never for the hosted pages, the demo page or the dev outbox,
      // which a foreign page must not be able to read.
      const path = pathOf(request.url);
      const crossOrigin = isApiPath(path);
      const preflight = crossOrigin ? cors.preflight(request) : null;
      if (preflight) return preflight;
      const requestInfo: RequestInfo = {
        address: resolveAddress({
          socketAddress: info?.address ?? null,
          forwardedFor: request.headers.get('x-forwarded-for'),
        }),
        userAgent: request.headers.get('user-agent'),
        acceptLanguage: request.headers.get('accept-language')?.slice(0, 512) ?? null,
      };
      let response: Response;
      try {
        response = await router.fetch(
          path.includes('//') ? collapseSlashes(request) : request,
          { requestInfo },
          undefined,
        );
      } catch (error) {
        response = errorResponse(error);
      }
      return crossOrigin ? cors.decorate(request, response) : response;
    },
    clientAddress: (socketAddress, forwardedFor) => resolveAddress({ socketAddress, forwardedFor }),
    settled: (ms) => ctx.settled(ms),
    ready: ping,
    async status() {
      return {
        database: outages.state(),
        mailQueue: await mail.depth().catch(() => null),
        redis: shared?.state() ?? null,
      };
    },
    async close() {
      clearInterval(maintenance);
      ddp.close();
      await Promise.allSettled([...pending]);
      await mail.close();
      outages.close();
      await Promise.allSettled([passwords.close(), mailer.close(), ctx.limiter.close(), shared?.close()]);
      await storage.close();
    },
  };
}

/**
 * The path of an absolute URL (`http://host/a/b?q` → `/a/b`) without parsing the whole URL: this runs on every
 * request, and Web requests always carry an absolute URL.
 */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  const end = url.search(/[?#]/);
  return url.slice(start, end === -1 ? undefined : end);
}

/**
 * realm-web uses `baseUrl` verbatim, so a trailing slash in it yields `//api/client/…`: collapse
 * repeated slashes instead of answering 404.
 */
function collapseSlashes(request: Request): Request {
  const url = new URL(request.url);
  url.pathname = url.pathname.replace(/\/{2,}/g, '/');
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  return new Request(url, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? request.body : null,
    duplex: 'half',
  } as RequestInit);
}

async function openStorage(config: ResolvedConfig): Promise<Storage> {
  const location = parseStorageUrl(config.database.url);
  return location.dialect === 'sqlite'
    ? createSqliteStorage({ filename: location.filename })
    : createPostgresStorage({
        connectionString: location.connectionString,
        max: config.database.poolSize,
        connectTimeoutMs: config.database.connectTimeoutMs,
        acquireTimeoutMs: config.database.acquireTimeoutMs,
        queryTimeoutMs: config.database.queryTimeoutMs,
      });
}

/** `promise`, or a `StorageUnavailableError` when it has not settled within `ms`. */
function withinTime(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StorageUnavailableError({ cause: new Error(`no answer within ${ms} ms`) })),
      ms,
    );
  });
  promise.catch(() => {}); // settles after the deadline: nobody waits for it any more
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * The paths other origins may call: the client API and the published keys — not the admin API, which only
 * the operator's tools and the same-origin admin console call.
 */
function isApiPath(pathname: string): boolean {
  const path = pathname.replace(/\/{2,}/g, '/');
  if (path.startsWith('/api/admin/')) return false;
  return path.startsWith('/api/') || path === '/.well-known/jwks.json';
}

function isResolved(input: unknown): input is ResolvedConfig {
  return typeof input === 'object' && input !== null && (input as ResolvedConfig).apps instanceof Map;
}
