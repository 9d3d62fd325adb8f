import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { isStorageUnavailableError } from '@gatehouse-auth/storage';
import type { Logger } from '../logger.js';

/** What clients are told to wait (`Retry-After`, seconds) while the database is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The refusal for a request that failed because the database is unreachable: `ServiceUnavailable` (503 with
 * `Retry-After` over HTTP, Meteor error 503 over DDP). `null` for any other error.
 *
 * @example
 * ```ts
 * const known = isGatehouseError(error) ? error : (asServiceUnavailable(error) ?? internalError);
 * ```
 */
export function asServiceUnavailable(error: unknown): GatehouseError | null {
  if (isGatehouseError(error)) return error.code === 'ServiceUnavailable' ? error : null;
  if (!isStorageUnavailableError(error)) return null;
  return new GatehouseError('ServiceUnavailable', 'the database is unavailable, try again shortly', {
    details: { retryAfterSeconds: RETRY_AFTER_SECONDS },
    cause: error,
  });
}

/** Where an outage stands, for a health or metrics endpoint. */
export interface DatabaseState {
  available: boolean;
  /** When the current outage began (ms since the epoch), `null` while available. */
  unavailableSince: number | null;
  /** Requests and tasks refused because of the current (or, when available, the last) outage. */
  refused: number;
  /** Outages since start. */
  outages: number;
}

/**
 * Keeps the log readable through a database outage: the first failure of an outage is logged once (with the
 * driver's reason, no stack), later ones are only counted, a reminder with the count comes every
 * `reminderMs`, and the end is logged with how long it lasted and how many requests were refused. The end is
 * found by pinging the database every `probeMs` while it is away.
 */
export interface DatabaseOutages {
  /**
   * When `error` says the database is unreachable: counts it, and logs it if it opens an outage; returns true.
   * Returns false for any other error (the caller logs it as it would).
   */
  note(error: unknown, what?: string): boolean;
  state(): DatabaseState;
  /** Stops probing. */
  close(): void;
}

export function createDatabaseOutages(options: {
  logger: Logger;
  /** Resolves when the database answers (the storage's `ping`, bounded in time). */
  probe: () => Promise<void>;
  probeMs?: number;
  reminderMs?: number;
}): DatabaseOutages {
  const { logger, probe } = options;
  const probeMs = options.probeMs ?? 1_000;
  const reminderMs = options.reminderMs ?? 30_000;
  let since: number | null = null;
  let refused = 0;
  let outages = 0;
  let lastReminder = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let probing = false;

  const check = async () => {
    if (probing || since === null) return;
    probing = true;
    try {
      await probe();
      const downForMs = Date.now() - since;
      since = null;
      clearInterval(timer);
      timer = undefined;
      logger.info({ downForMs, refused }, 'database reachable again');
    } catch {
      if (Date.now() - lastReminder >= reminderMs) {
        lastReminder = Date.now();
        logger.warn({ downForMs: Date.now() - (since ?? Date.now()), refused }, 'database still unavailable');
      }
    } finally {
      probing = false;
    }
  };

  return {
    note(error, what) {
      if (!asServiceUnavailable(error)) return false;
      if (since === null) {
        since = lastReminder = Date.now();
        refused = 0;
        outages++;
        const cause = error instanceof Error ? error.message : String(error);
        logger.error(
          { reason: cause, ...(what ? { what } : {}) },
          'database unavailable: answering 503 until it is back (failures are counted, not logged one by one)',
        );
        timer = setInterval(() => void check(), probeMs);
        timer.unref?.();
      }
      refused++;
      return true;
    },
    state: () => ({ available: since === null, unavailableSince: since, refused, outages }),
    close() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
