import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';

/**
 * Passkeys (WebAuthn credentials) of users, and the challenges handed out for registering and signing in
 * with them. A challenge is stored only as its hash and is deleted when answered (single use).
 */
export function passkeysMigration(types: DialectCapabilities['types']): Migration {
  const { millis, bool } = types;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('counter', millis, (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('device_type', 'text', (c) => c.notNull())
        .addColumn('backed_up', bool, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('last_used_at', millis)
        .addPrimaryKeyConstraint('passkeys_pkey', ['id'])
        .addUniqueConstraint('passkeys_app_credential_key', ['app_id', 'credential_id'])
        .addForeignKeyConstraint('passkeys_user_fkey', ['user_id', 'app_id'], 'users', ['id', 'app_id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('passkeys_user_idx').on('passkeys').columns(['app_id', 'user_id']).execute();

      await db.schema
        .createTable('webauthn_challenges')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('challenge_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('expires_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('webauthn_challenges_pkey', ['id'])
        .addUniqueConstraint('webauthn_challenges_hash_key', ['challenge_hash'])
        .addForeignKeyConstraint(
          'webauthn_challenges_user_fkey',
          ['user_id', 'app_id'],
          'users',
          ['id', 'app_id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('webauthn_challenges_expires_idx')
        .on('webauthn_challenges')
        .columns(['expires_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('webauthn_challenges').execute();
      await db.schema.dropTable('passkeys').execute();
    },
  };
}
