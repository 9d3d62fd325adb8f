import { parseDuration } from '@gatehouse-auth/core';
import type { z } from 'zod';
import { configSchema, type GatehouseConfigInput, type GatehouseConfigParsed } from './schema.js';

/** A configuration that failed validation. The message names every bad field, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

type ParsedApp = GatehouseConfigParsed['apps'][string];
type ParsedLocalUserpass = NonNullable<ParsedApp['providers']['local-userpass']>;

/** Email/password settings with durations in milliseconds. */
export interface LocalUserpassSettings
  extends Omit<ParsedLocalUserpass, 'confirmationTokenLifetime' | 'resetTokenLifetime'> {
  confirmationTokenLifetimeMs: number;
  resetTokenLifetimeMs: number;
}

/** One app's settings, resolved. */
export interface AppSettings {
  id: string;
  name: string;
  /** Meteor's `Accounts.config` settings. */
  accounts: ParsedApp['accounts'];
  accessTokenLifetimeMs: number;
  refreshTokenLifetimeMs: number;
  anonymousRefreshTokenLifetimeMs: number;
  /** Pages the OAuth redirect flow may return to, matched exactly (oauth/redirect-flow.ts). */
  oauthRedirectUris: readonly string[];
  /**
   * Meteor's ROOT_URL (no trailing slash): external services call back to `<rootUrl>/_oauth/<service>`.
   * Configured, or Gatehouse's own URL for the app.
   */
  rootUrl: string;
  /** Whether `rootUrl` was configured: only then may a redirect login return to any page under it. */
  rootUrlConfigured: boolean;
  /** External services from the config file, by name, settings parsed (secrets included: never send them). */
  services: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Hide which addresses have accounts at every endpoint (docs/security.md). */
  preventAccountEnumeration: boolean;
  /** Logo, colours, texts and mail templates of the hosted pages and mails. */
  branding: ParsedApp['branding'];
  /** Each provider's settings, `undefined` when the app does not configure it. */
  providers: Omit<ParsedApp['providers'], 'local-userpass'> & {
    'local-userpass': LocalUserpassSettings | undefined;
  };
}

type Parsed = GatehouseConfigParsed;

/** How the mail outbox delivers, in milliseconds. */
export interface MailDeliverySettings {
  firstRetryMs: number;
  maxRetryMs: number;
  giveUpAfterMs: number;
  pollIntervalMs: number;
}

/** Each kind of `email` setting with its delivery durations in milliseconds. */
type WithDelivery<T> = T extends unknown ? Omit<T, 'delivery'> & { delivery: MailDeliverySettings } : never;

/** The validated, defaulted, frozen configuration every feature reads. */
export interface ResolvedConfig
  extends Omit<GatehouseConfigParsed, 'apps' | 'rateLimits' | '$schema' | 'database' | 'redis' | 'email' | 'ddp'> {
  database: Omit<Parsed['database'], 'connectTimeout' | 'acquireTimeout' | 'queryTimeout' | 'readyTimeout'> & {
    connectTimeoutMs: number;
    acquireTimeoutMs: number;
    queryTimeoutMs: number;
    readyTimeoutMs: number;
  };
  redis:
    | (Omit<NonNullable<Parsed['redis']>, 'commandTimeout' | 'breakerRetryAfter'> & {
        commandTimeoutMs: number;
        breakerRetryAfterMs: number;
      })
    | undefined;
  email: WithDelivery<Parsed['email']>;
  ddp: {
    connectTimeoutMs: number;
    pre1IdleTimeoutMs: number;
    maxConnections: number;
    maxConnectionsPerAddress: number;
  };
  apps: ReadonlyMap<string, AppSettings>;
  rateLimits: {
    failedLoginsPerAccountAndAddress: number;
    failedLoginsPerAccount: number;
    failedLoginsPerAddress: number;
    newAccountsPerAddress: number;
    windowMs: number;
  };
}

const ms = (text: string): number => parseDuration(text) as number; // the schema already checked it

/**
 * Validates a configuration object and resolves it: defaults applied, durations turned into milliseconds,
 * the result deeply frozen. Throws {@link ConfigError} naming each bad field.
 *
 * @example
 * ```ts
 * const config = resolveConfig({ publicUrl: 'http://localhost:8080', database: { url: 'sqlite::memory:' }, keys, apps: { 'my-app': {} } });
 * ```
 */
export function resolveConfig(input: GatehouseConfigInput | unknown): ResolvedConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues));
  const parsed = result.data;
  const apps = new Map<string, AppSettings>();
  for (const [index, [id, a]] of Object.entries(parsed.apps).entries()) {
    const lp = a.providers['local-userpass'];
    apps.set(
      id,
      deepFreeze({
        id,
        name: a.name ?? id,
        accounts: a.accounts,
        accessTokenLifetimeMs: ms(a.accessTokenLifetime),
        refreshTokenLifetimeMs: ms(a.refreshTokenLifetime),
        anonymousRefreshTokenLifetimeMs: ms(a.anonymousRefreshTokenLifetime),
        oauthRedirectUris: a.oauthRedirectUris,
        // The first app answers at the root (`/_oauth/…`, `/websocket`), the others under `/app/<id>`.
        rootUrl: a.rootUrl ?? (index === 0 ? parsed.publicUrl : `${parsed.publicUrl}/app/${id}`),
        rootUrlConfigured: a.rootUrl !== undefined,
        services: a.services,
        preventAccountEnumeration: a.preventAccountEnumeration,
        branding: a.branding,
        providers: {
          ...a.providers,
          'local-userpass': lp && {
            ...lp,
            confirmationTokenLifetimeMs: ms(lp.confirmationTokenLifetime),
            // Meteor's `passwordResetTokenExpirationInDays`, when set, is the one lifetime of reset links.
            resetTokenLifetimeMs:
              a.accounts.passwordResetTokenExpirationInDays === undefined
                ? ms(lp.resetTokenLifetime)
                : a.accounts.passwordResetTokenExpirationInDays * 86_400_000,
          },
        },
      }),
    );
  }
  // `$schema` is for editors only: it does not reach the resolved configuration.
  const { rateLimits, functions, hooks, $schema: _editorsOnly, database, redis, email, ddp, ...rest } = parsed;
  const { connectTimeout, acquireTimeout, queryTimeout, readyTimeout, ...db } = database;
  const { delivery, ...mail } = email;
  return deepFreeze({
    ...rest,
    database: {
      ...db,
      connectTimeoutMs: ms(connectTimeout),
      acquireTimeoutMs: ms(acquireTimeout),
      queryTimeoutMs: ms(queryTimeout),
      readyTimeoutMs: ms(readyTimeout),
    },
    redis: redis && {
      url: redis.url,
      keyPrefix: redis.keyPrefix,
      breakerFailures: redis.breakerFailures,
      commandTimeoutMs: ms(redis.commandTimeout),
      breakerRetryAfterMs: ms(redis.breakerRetryAfter),
    },
    email: {
      ...mail,
      delivery: {
        firstRetryMs: ms(delivery.firstRetry),
        maxRetryMs: ms(delivery.maxRetry),
        giveUpAfterMs: ms(delivery.giveUpAfter),
        pollIntervalMs: ms(delivery.pollInterval),
      },
    },
    ddp: {
      connectTimeoutMs: ms(ddp.connectTimeout),
      pre1IdleTimeoutMs: ms(ddp.pre1IdleTimeout),
      maxConnections: ddp.maxConnections,
      maxConnectionsPerAddress: ddp.maxConnectionsPerAddress,
    },
    // Functions are frozen by reference only: freezing a function's properties would be surprising.
    functions: Object.freeze({ ...functions }),
    hooks: Object.freeze({ ...hooks }),
    apps,
    rateLimits: {
      failedLoginsPerAccountAndAddress: rateLimits.failedLoginsPerAccountAndAddress,
      failedLoginsPerAccount: rateLimits.failedLoginsPerAccount,
      failedLoginsPerAddress: rateLimits.failedLoginsPerAddress,
      newAccountsPerAddress: rateLimits.newAccountsPerAddress,
      windowMs: ms(rateLimits.window),
    },
  }) as ResolvedConfig;
}

function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(root)';
    return `${path}: ${issue.message}`;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Map)) {
    for (const v of Object.values(value)) if (typeof v !== 'function') deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
