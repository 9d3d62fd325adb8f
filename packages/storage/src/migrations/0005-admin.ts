import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';

/**
 * The admin API: its keys (deployment-wide rows, scoped to one app or to all — not user-owned, so not under
 * the per-app user tables), and an audit log that says who acted (the admin key) and with what client (the
 * user agent), read by user, type and time.
 */
export function adminMigration(types: DialectCapabilities['types']): Migration {
  const { millis } = types;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_keys')
        .addColumn('id', 'text', (c) => c.notNull())
        // `null`: a global key, good for every app.
        .addColumn('app_id', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('last_used_at', millis)
        .addColumn('revoked_at', millis)
        .addPrimaryKeyConstraint('admin_keys_pkey', ['id'])
        .addUniqueConstraint('admin_keys_key_hash_key', ['key_hash'])
        .execute();
      await db.schema.alterTable('audit_events').addColumn('user_agent', 'text').execute();
      await db.schema.alterTable('audit_events').addColumn('actor', 'text').execute();
      await db.schema
        .createIndex('audit_events_app_user_at_idx')
        .on('audit_events')
        .columns(['app_id', 'user_id', 'at'])
        .execute();
      // Retention deletes by time across apps.
      await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('audit_events_at_idx').execute();
      await db.schema.dropIndex('audit_events_app_user_at_idx').execute();
      await db.schema.alterTable('audit_events').dropColumn('actor').execute();
      await db.schema.alterTable('audit_events').dropColumn('user_agent').execute();
      await db.schema.dropTable('admin_keys').execute();
    },
  };
}
