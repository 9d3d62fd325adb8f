import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';

/**
 * The initial schema. Constraint names are part of the storage layer's behaviour (`conflicts.ts` maps them to
 * conflict targets), so they are spelled out rather than left to each database's naming scheme.
 *
 * Children reference `users (id, app_id)`, not just `users (id)`: a row can then never claim an app other than
 * its user's, which the per-app uniqueness rules (emails, identities) and per-app lookups (API keys) rely on.
 */
export function initialMigration(types: DialectCapabilities['types']): Migration {
  const { millis, bool, json, serial } = types;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('apps')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('apps_pkey', ['id'])
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('username_lower', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('disabled', bool, (c) => c.notNull())
        .addColumn('profile', json, (c) => c.notNull())
        .addColumn('custom_data', json, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('updated_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('users_pkey', ['id'])
        .addUniqueConstraint('users_id_app_key', ['id', 'app_id'])
        .addUniqueConstraint('users_app_username_key', ['app_id', 'username_lower'])
        .execute();

      await db.schema
        .createTable('user_emails')
        .addColumn('seq', serial, (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('address_lower', 'text', (c) => c.notNull())
        .addColumn('verified', bool, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('user_emails_pkey', ['seq'])
        .addUniqueConstraint('user_emails_app_address_key', ['app_id', 'address_lower'])
        .addForeignKeyConstraint('user_emails_user_fkey', ['user_id', 'app_id'], 'users', ['id', 'app_id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('user_emails_user_idx').on('user_emails').columns(['user_id', 'seq']).execute();

      await db.schema
        .createTable('identities')
        .addColumn('seq', serial, (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('provider_type', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('data', json, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('identities_pkey', ['seq'])
        .addUniqueConstraint('identities_app_provider_subject_key', ['app_id', 'provider_id', 'subject'])
        .addForeignKeyConstraint('identities_user_fkey', ['user_id', 'app_id'], 'users', ['id', 'app_id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('identities_user_idx').on('identities').columns(['user_id', 'seq']).execute();

      await db.schema
        .createTable('passwords')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('updated_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('passwords_pkey', ['user_id'])
        .addForeignKeyConstraint('passwords_user_fkey', ['user_id'], 'users', ['id'], (c) => c.onDelete('cascade'))
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('refresh_hash', 'text', (c) => c.notNull())
        .addColumn('provider_type', 'text', (c) => c.notNull())
        .addColumn('api_key_id', 'text')
        .addColumn('meta', json, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('last_used_at', millis, (c) => c.notNull())
        .addColumn('expires_at', millis, (c) => c.notNull())
        .addColumn('revoked_at', millis)
        .addPrimaryKeyConstraint('sessions_pkey', ['id'])
        .addForeignKeyConstraint('sessions_user_fkey', ['user_id', 'app_id'], 'users', ['id', 'app_id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('sessions_refresh_hash_idx').on('sessions').column('refresh_hash').execute();
      await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('disabled', bool, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('last_used_at', millis)
        .addPrimaryKeyConstraint('api_keys_pkey', ['id'])
        .addUniqueConstraint('api_keys_user_name_key', ['user_id', 'name'])
        .addUniqueConstraint('api_keys_key_hash_key', ['key_hash'])
        .addForeignKeyConstraint('api_keys_user_fkey', ['user_id', 'app_id'], 'users', ['id', 'app_id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();

      await db.schema
        .createTable('one_time_tokens')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull())
        .addColumn('data', json, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('expires_at', millis, (c) => c.notNull())
        .addColumn('consumed_at', millis)
        .addPrimaryKeyConstraint('one_time_tokens_pkey', ['id'])
        .addForeignKeyConstraint('one_time_tokens_user_fkey', ['user_id', 'app_id'], 'users', ['id', 'app_id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('one_time_tokens_user_purpose_idx')
        .on('one_time_tokens')
        .columns(['user_id', 'purpose'])
        .execute();
      await db.schema.createIndex('one_time_tokens_expires_idx').on('one_time_tokens').column('expires_at').execute();

      await db.schema
        .createTable('service_configurations')
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('config', json, (c) => c.notNull())
        .addColumn('updated_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('service_configurations_pkey', ['app_id', 'service'])
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('detail', json, (c) => c.notNull())
        .addColumn('at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_events_pkey', ['id'])
        .execute();
      await db.schema.createIndex('audit_events_app_at_idx').on('audit_events').columns(['app_id', 'at']).execute();
    },

    async down(db: Kysely<unknown>) {
      for (const table of [
        'audit_events',
        'service_configurations',
        'one_time_tokens',
        'api_keys',
        'sessions',
        'passwords',
        'identities',
        'user_emails',
        'users',
        'apps',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
