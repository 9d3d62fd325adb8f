import { randomSecret } from '@gatehouse-auth/core';
import type { Kysely } from 'kysely';
import type { MailRecord, StorageTransaction } from '../contract.js';
import type { Database } from '../schema.js';
import { fold, type Scope } from './scope.js';

export type MailOutboxQueries = Pick<
  StorageTransaction,
  | 'enqueueMail'
  | 'claimDueMail'
  | 'finishMail'
  | 'retryMail'
  | 'countSentMail'
  | 'mailQueueDepth'
  | 'deleteFinishedMail'
>;

/** The mail outbox: mail waiting for delivery, claimed by one sender at a time, and a record of finished mail. */
export function mailOutboxQueries(s: Scope): MailOutboxQueries {
  return {
    async enqueueMail(mail, options) {
      const recipientLower = fold(mail.recipient);
      const insert = (db: Kysely<Database>) =>
        db
          .insertInto('mail_outbox')
          .values({
            id: mail.id,
            app_id: mail.appId,
            recipient: mail.recipient,
            recipient_lower: recipientLower,
            kind: mail.kind,
            payload: mail.payload,
            status: 'pending',
            attempts: 0,
            created_at: mail.now,
            next_attempt_at: mail.now,
            locked_until: null,
            claim: null,
            finished_at: null,
            last_error: null,
          })
          .execute();
      if (!options?.replaces) {
        await insert(s.db);
        return;
      }
      await s.atomically(async (tx) => {
        await tx.db
          .deleteFrom('mail_outbox')
          .where('app_id', '=', mail.appId)
          .where('recipient_lower', '=', recipientLower)
          .where('kind', '=', mail.kind)
          .where('status', '=', 'pending')
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', mail.now)]))
          .execute();
        // One a sender holds may be on the wire already; if its attempt fails, it is not tried again.
        await tx.db
          .updateTable('mail_outbox')
          .set({ status: 'dropped', payload: null, finished_at: mail.now, last_error: 'replaced by a newer mail' })
          .where('app_id', '=', mail.appId)
          .where('recipient_lower', '=', recipientLower)
          .where('kind', '=', mail.kind)
          .where('status', '=', 'pending')
          .execute();
        await insert(tx.db);
      });
    },

    async claimDueMail(now, leaseMs, limit) {
      const due = await s.db
        .selectFrom('mail_outbox')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(Math.max(1, Math.trunc(limit)))
        .execute();
      const claimed: MailRecord[] = [];
      for (const { id } of due) {
        // A conditional UPDATE per mail: of several senders racing for it, exactly one changes the row.
        const claim = randomSecret(12);
        const row = await s.db
          .updateTable('mail_outbox')
          .set((eb) => ({ claim, locked_until: now + leaseMs, attempts: eb('attempts', '+', 1) }))
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
          .returning(['id', 'app_id', 'recipient', 'kind', 'payload', 'attempts', 'created_at'])
          .executeTakeFirst();
        if (!row || row.payload === null) continue;
        claimed.push({
          id: row.id,
          appId: row.app_id,
          recipient: row.recipient,
          kind: row.kind,
          payload: row.payload,
          attempts: Number(row.attempts),
          createdAt: row.created_at,
          claim,
        });
      }
      return claimed;
    },

    async finishMail(id, claim, outcome) {
      const result = await s.db
        .updateTable('mail_outbox')
        .set({
          status: outcome.status,
          payload: null,
          finished_at: outcome.now,
          locked_until: null,
          claim: null,
          last_error: outcome.reason ?? null,
        })
        .where('id', '=', id)
        .where('claim', '=', claim)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async retryMail(id, claim, nextAttemptAt, error) {
      const result = await s.db
        .updateTable('mail_outbox')
        .set({ next_attempt_at: nextAttemptAt, locked_until: null, claim: null, last_error: error })
        .where('id', '=', id)
        .where('claim', '=', claim)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async countSentMail(appId, recipient, since) {
      const row = await s.db
        .selectFrom('mail_outbox')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('app_id', '=', appId)
        .where('recipient_lower', '=', fold(recipient))
        .where('status', '=', 'sent')
        .where('finished_at', '>=', since)
        .executeTakeFirst();
      return Number(row?.count ?? 0);
    },

    async mailQueueDepth() {
      const row = await s.db
        .selectFrom('mail_outbox')
        .select((eb) => [eb.fn.countAll<number>().as('pending'), eb.fn.min('next_attempt_at').as('oldest')])
        .where('status', '=', 'pending')
        .executeTakeFirst();
      const oldest = row?.oldest;
      return {
        pending: Number(row?.pending ?? 0),
        oldestDueAt: oldest === null || oldest === undefined ? null : Number(oldest),
      };
    },

    async deleteFinishedMail(before) {
      const result = await s.db
        .deleteFrom('mail_outbox')
        .where('status', '!=', 'pending')
        .where('finished_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
