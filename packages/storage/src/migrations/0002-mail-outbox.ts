import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';

/**
 * The durable mail outbox: mail is written here first and delivered by whichever instance claims it, with
 * retries, so an SMTP outage delays mail instead of losing it. Rows of finished mail stay a while without
 * their body: the hourly per-address limit counts mail actually sent.
 */
export function mailOutboxMigration(types: DialectCapabilities['types']): Migration {
  const { millis } = types;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mail_outbox')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('recipient_lower', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('next_attempt_at', millis, (c) => c.notNull())
        .addColumn('locked_until', millis)
        .addColumn('claim', 'text')
        .addColumn('finished_at', millis)
        .addColumn('last_error', 'text')
        .addPrimaryKeyConstraint('mail_outbox_pkey', ['id'])
        .execute();
      await db.schema
        .createIndex('mail_outbox_due_idx')
        .on('mail_outbox')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('mail_outbox_recipient_idx')
        .on('mail_outbox')
        .columns(['app_id', 'recipient_lower', 'status', 'finished_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('mail_outbox').execute();
    },
  };
}
