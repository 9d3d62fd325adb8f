import type { JsonObject } from '@gatehouse-auth/core';
import type { RequestInfo } from '../context.js';

/**
 * What the account core says happened. Side effects that follow a change — the audit log, news to live DDP
 * connections (and through Redis to other instances), metrics — are subscribers to these events; the core
 * itself never writes an audit row or pokes a connection.
 */
export interface AccountEvent {
  type: AccountEventType;
  appId: string;
  /** The user it happened to; `null` for a failure whose user is unknown. */
  userId: string | null;
  /** Client address, as `clientAddress()` resolved it, when a client caused the event. */
  address?: string | null;
  /** The client's `User-Agent`, when a client caused the event (kept to 256 characters). */
  userAgent?: string | null;
  /** Who acted when it was not the user: the admin API key's id. */
  actor?: string | null;
  /** Small, secret-free facts (provider, session id, reason). Never a token, password or key. */
  detail?: JsonObject;
}

/**
 * The request facts an event records: client address, user agent and — for the admin API — the acting key.
 *
 * @example
 * ```ts
 * await ctx.events.emit({ type: 'logout', appId, userId, ...requestFacts(info) });
 * ```
 */
export function requestFacts(
  info: RequestInfo | null | undefined,
): Pick<AccountEvent, 'address' | 'userAgent' | 'actor'> {
  return {
    address: info?.address ?? null,
    userAgent: info?.userAgent ? info.userAgent.slice(0, 256) : null,
    ...(info?.actor ? { actor: info.actor } : {}),
  };
}

/**
 * Every event type, with whether it changes what a live session of the user can see or do (its user
 * document, or whether its session still lives): those are announced to DDP connections at once.
 */
export const ACCOUNT_EVENTS = {
  'user-created': { changesUser: false },
  'user-deleted': { changesUser: true },
  'user-disabled': { changesUser: true },
  'user-enabled': { changesUser: true },
  login: { changesUser: false },
  'login-failed': { changesUser: false },
  logout: { changesUser: true },
  'session-revoked': { changesUser: true },
  'other-sessions-revoked': { changesUser: true },
  'password-changed': { changesUser: true },
  'password-reset': { changesUser: true },
  'password-set': { changesUser: true },
  'email-confirmed': { changesUser: true },
  'email-added': { changesUser: true },
  'email-replaced': { changesUser: true },
  'email-removed': { changesUser: true },
  'username-set': { changesUser: true },
  'profile-updated': { changesUser: true },
  'custom-data-set': { changesUser: true },
  'identity-linked': { changesUser: true },
  'account-reclaimed': { changesUser: true },
  'api-key-created': { changesUser: false },
  'api-key-enabled': { changesUser: false },
  'api-key-disabled': { changesUser: true },
  'api-key-deleted': { changesUser: true },
  'passkey-added': { changesUser: false },
  'passkey-renamed': { changesUser: false },
  'passkey-removed': { changesUser: false },
  'two-factor-enabled': { changesUser: false },
  'two-factor-disabled': { changesUser: false },
  'login-token-sent': { changesUser: false },
  'identity-unlinked': { changesUser: true },
  'sessions-revoked': { changesUser: true },
  'account-mail-sent': { changesUser: false },
  'service-configured': { changesUser: false },
  'service-removed': { changesUser: false },
  'admin-key-created': { changesUser: false },
  'admin-key-revoked': { changesUser: false },
} as const satisfies Record<string, { changesUser: boolean }>;

export type AccountEventType = keyof typeof ACCOUNT_EVENTS;

/** A subscriber: may be async; a failure is logged by the bus and never undoes or fails the change. */
export type AccountEventListener = (event: AccountEvent) => void | Promise<void>;

export interface AccountEvents {
  /**
   * Announces an event to every subscriber, in subscription order, and resolves when they are done (so an
   * audit row is written before the request that caused it is answered). Never rejects.
   */
  emit(event: AccountEvent): Promise<void>;
  /** Adds a subscriber; returns the function that removes it. */
  subscribe(listener: AccountEventListener): () => void;
}

/**
 * The event bus of one Gatehouse.
 *
 * @example
 * ```ts
 * const events = createAccountEvents((error, event) => logger.warn({ err: String(error), type: event.type }, 'subscriber failed'));
 * events.subscribe((event) => console.log(event.type));
 * await events.emit({ type: 'login', appId: 'my-app', userId: '…', detail: { provider: 'anon-user' } });
 * ```
 */
export function createAccountEvents(onError: (error: unknown, event: AccountEvent) => void): AccountEvents {
  const listeners: AccountEventListener[] = [];
  return {
    async emit(event) {
      for (const listener of [...listeners]) {
        try {
          await listener(event);
        } catch (error) {
          onError(error, event);
        }
      }
    },
    subscribe(listener) {
      listeners.push(listener);
      return () => {
        const at = listeners.indexOf(listener);
        if (at >= 0) listeners.splice(at, 1);
      };
    },
  };
}
