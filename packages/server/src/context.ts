import type { Storage } from '@gatehouse-auth/storage';
import type { AppSettings, ResolvedConfig } from './config/resolve.js';
import type { MailQueue, OutboxMailer } from './email/index.js';
import type { UserChanges } from './events/changes.js';
import type { AccountEvents } from './events/index.js';
import type { DatabaseOutages } from './health/outages.js';
import type { Logger } from './logger.js';
import type { TransportFacts } from './net/client-address.js';
import type { PasswordHasher } from './passwords/index.js';
import type { RateLimiter } from './rate-limit/index.js';
import type { SigningKey } from './tokens/keys.js';
import type { TokenService } from './tokens/tokens.js';

/**
 * What every feature function receives: the resolved configuration and the long-lived services. Built once
 * by `createGatehouse`; features never reach for globals.
 */
export interface ServerContext {
  readonly config: ResolvedConfig;
  readonly storage: Storage;
  readonly keys: readonly SigningKey[];
  readonly tokens: TokenService;
  readonly passwords: PasswordHasher;
  /** Outgoing mail: `mail.send(appId, message, { kind })` writes it to the durable outbox; delivery follows. */
  readonly mail: MailQueue;
  /** The development outbox when mail goes there, else `null`. */
  readonly outbox: OutboxMailer | null;
  readonly limiter: RateLimiter;
  readonly logger: Logger;
  /**
   * Database outages: `outages.note(error)` counts an error that says the database is unreachable (and logs the
   * first of an outage) and returns true; other errors return false and are logged by the caller as usual.
   */
  readonly outages: DatabaseOutages;
  /**
   * News that a user's document or sessions changed, for live DDP connections (and, with Redis, other
   * instances). The account core does not call it: it emits events, and a subscriber passes them on.
   */
  readonly changes: UserChanges;
  /** The account core's domain events; the audit log, change news and metrics subscribe to them. */
  readonly events: AccountEvents;
  /** The one rule for the client's address (`trustProxy`), for every front. */
  clientAddress(facts: TransportFacts): string | null;
  /** The clock (milliseconds); tests freeze it. */
  now(): number;
  /**
   * Runs `task` after the response, tracked so shutdown waits for it; a failure is logged, never thrown.
   * Used for mail, so the time to answer does not reveal whether an account exists.
   */
  background(what: string, task: () => Promise<unknown>): void;
  /**
   * Resolves once the background work started so far has finished and the mail it wrote was handed over
   * (or `ms` passed): the development outbox waits for it, so a mail is listed as soon as the call that sent
   * it has answered.
   */
  settled(ms: number): Promise<void>;
}

/** Who made a request, as far as the transport knows. */
export interface RequestInfo {
  /** Client address, resolved by {@link ServerContext.clientAddress}. */
  address: string | null;
  userAgent: string | null;
  /** The request's `Accept-Language` (the account mails' language), when it came over HTTP. */
  acceptLanguage?: string | null;
  /** The admin API key acting, when the request came through the admin API (recorded in the audit log). */
  actor?: string;
}

export type { AppSettings };
