import { isGatehouseError, objectId } from '@gatehouse-auth/core';
import type { MailRecord, Storage } from '@gatehouse-auth/storage';
import type { MailDeliverySettings } from '../config/resolve.js';
import { assertMailAddress, type Logger, type Mailer, type MailMessage } from './mailer.js';
import type { Sealer } from './seal.js';

/** Mails one address receives per hour at most, counting mail actually sent, so nobody can flood an inbox. */
export const MAILS_PER_ADDRESS_PER_HOUR = 5;
const HOUR_MS = 3_600_000;
/** Mails one sender works on at once (the SMTP pool has five connections). */
const BATCH = 5;
/** How long a claimed mail is held before another instance may take it over (longer than any SMTP timeout). */
const LEASE_MS = 120_000;

/**
 * Gatehouse's outgoing mail: every mail is first written to the outbox table (durable, shared by every
 * instance), then delivered by whichever instance claims it — at once by the instance that wrote it, later by
 * any instance's poll. A failed delivery is retried with doubling waits and given up, and recorded as failed,
 * `giveUpAfter` after it was written. The hourly per-address limit counts only mail actually sent.
 *
 * Delivery is at least once: an instance that dies after the SMTP server accepted a mail but before it
 * recorded it as sent leaves it to be sent again when its hold expires.
 */
export interface MailQueue {
  /**
   * Writes one mail for delivery and resolves once it is stored (delivery follows). A mail of the same `kind`
   * to the same address still waiting is replaced (its one-time link was voided by the newer one), also one
   * whose delivery is being attempted (if that attempt fails, it is not retried). An address
   * that already received {@link MAILS_PER_ADDRESS_PER_HOUR} mails within the hour gets none: the mail is
   * dropped with a warning. Rejects with `BadRequest` for an unusable recipient.
   *
   * @example
   * ```ts
   * await ctx.mail.send(app.id, confirmationEmail({ appName, to, link, expiresIn: '48 hours' }), { kind: 'confirm-email' });
   * ```
   */
  send(appId: string, message: MailMessage, options: { kind: string }): Promise<void>;
  /** Mails waiting for delivery and how long the oldest has been due: what a metrics endpoint shows. */
  depth(now?: number): Promise<{ pending: number; oldestDueForMs: number }>;
  /** Delivers what is due now; resolves when this round is done. New mail and the poll call it. */
  deliverDue(): Promise<void>;
  /** Stops polling and waits for deliveries under way (mail still waiting stays in the table). */
  close(): Promise<void>;
}

export interface MailQueueOptions {
  storage: Storage;
  /** What hands the mail over (SMTP, or the development outbox). */
  transport: Mailer;
  sealer: Sealer;
  delivery: MailDeliverySettings;
  logger: Logger;
  now: () => number;
  /** Told about errors of the queue itself (the database away); returns true when it took care of logging. */
  onError?: (error: unknown, what: string) => boolean;
  /** Told how each delivery attempt ended, and of mail dropped before it was written (the metrics count them). */
  onOutcome?: (outcome: 'sent' | 'retried' | 'failed' | 'dropped', kind: string) => void;
}

export function createMailQueue(options: MailQueueOptions): MailQueue {
  const { storage, transport, sealer, delivery, logger, now } = options;
  const report = (error: unknown, what: string) => {
    if (options.onError?.(error, what)) return;
    logger.warn({ err: error instanceof Error ? error.message : String(error), what }, 'mail outbox error');
  };
  const outcome = (what: 'sent' | 'retried' | 'failed' | 'dropped', kind: string) => options.onOutcome?.(what, kind);
  let closed = false;
  let round: Promise<void> | null = null;
  let again = false;

  const attempt = async (mail: MailRecord): Promise<void> => {
    const at = now();
    const text = await sealer.open(mail.payload, mail.id);
    if (text === null) {
      logger.error(
        { mailId: mail.id, kind: mail.kind },
        'mail given up: its body cannot be opened (signing key removed?)',
      );
      await storage.finishMail(mail.id, mail.claim, {
        status: 'failed',
        now: at,
        reason: 'sealed with an unknown key',
      });
      outcome('failed', mail.kind);
      return;
    }
    const message = JSON.parse(text) as MailMessage;
    if ((await storage.countSentMail(mail.appId, mail.recipient, at - HOUR_MS)) >= MAILS_PER_ADDRESS_PER_HOUR) {
      logger.warn({ app: mail.appId, kind: mail.kind }, 'mail to an address over its hourly limit dropped');
      await storage.finishMail(mail.id, mail.claim, { status: 'dropped', now: at, reason: 'hourly limit' });
      outcome('dropped', mail.kind);
      return;
    }
    try {
      await transport.send(message);
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 500) : String(error);
      const permanent = isGatehouseError(error) && error.code === 'BadRequest';
      const age = now() - mail.createdAt;
      if (permanent || age >= delivery.giveUpAfterMs) {
        logger.error(
          { app: mail.appId, kind: mail.kind, mailId: mail.id, attempts: mail.attempts, reason },
          'mail given up',
        );
        await storage.finishMail(mail.id, mail.claim, { status: 'failed', now: now(), reason });
        outcome('failed', mail.kind);
        return;
      }
      const wait = Math.min(delivery.maxRetryMs, delivery.firstRetryMs * 2 ** Math.min(30, mail.attempts - 1));
      await storage.retryMail(mail.id, mail.claim, now() + wait, reason);
      outcome('retried', mail.kind);
      return;
    }
    // Counted when the SMTP server took it, whether or not the record below still holds the claim.
    outcome('sent', mail.kind);
    if (!(await storage.finishMail(mail.id, mail.claim, { status: 'sent', now: now() })))
      logger.warn({ mailId: mail.id }, 'mail sent, but meanwhile it was replaced by a newer one or its hold expired');
  };

  const runRound = async (): Promise<void> => {
    do {
      again = false;
      let batch: MailRecord[];
      try {
        batch = await storage.claimDueMail(now(), LEASE_MS, BATCH);
      } catch (error) {
        report(error, 'claiming mail');
        return;
      }
      const results = await Promise.allSettled(batch.map(attempt));
      for (const result of results) if (result.status === 'rejected') report(result.reason, 'delivering mail');
      if (batch.length === BATCH) again = true;
    } while (again && !closed);
  };

  const deliverDue = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (round) {
      again = true;
      return round;
    }
    round = runRound().finally(() => {
      round = null;
    });
    return round;
  };

  const poll = setInterval(() => void deliverDue(), delivery.pollIntervalMs);
  poll.unref?.();

  return {
    async send(appId, message, { kind }) {
      assertMailAddress(message.to);
      const at = now();
      if ((await storage.countSentMail(appId, message.to, at - HOUR_MS)) >= MAILS_PER_ADDRESS_PER_HOUR) {
        logger.warn({ app: appId, kind }, 'mail to an address over its hourly limit dropped');
        outcome('dropped', kind);
        return;
      }
      const id = objectId(at);
      const payload = await sealer.seal(JSON.stringify(message), id);
      await storage.enqueueMail({ id, appId, recipient: message.to, kind, payload, now: at }, { replaces: true });
      void deliverDue();
    },
    async depth(at = now()) {
      const { pending, oldestDueAt } = await storage.mailQueueDepth();
      return { pending, oldestDueForMs: oldestDueAt === null ? 0 : Math.max(0, at - oldestDueAt) };
    },
    deliverDue,
    async close() {
      closed = true;
      clearInterval(poll);
      await round;
    },
  };
}
