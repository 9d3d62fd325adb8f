import type { Kysely, Migration } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';

/**
 * Two-factor sign-in: a user's TOTP factor (the secret sealed by the server, pending until a first correct
 * code, and the last time step accepted so a code works once) and its one-time recovery codes, by hash.
 * Passwordless login codes need no table of their own: they are one-time tokens (`login-token`).
 */
export function secondFactorsMigration(types: DialectCapabilities['types']): Migration {
  const { millis } = types;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('second_factors')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('enabled_at', millis)
        .addColumn('last_step', millis)
        .addColumn('created_at', millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('second_factors_pkey', ['user_id'])
        .addForeignKeyConstraint('second_factors_user_fkey', ['user_id'], 'users', ['id'], (c) => c.onDelete('cascade'))
        .execute();
      await db.schema
        .createTable('recovery_codes')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('used_at', millis)
        .addPrimaryKeyConstraint('recovery_codes_pkey', ['user_id', 'code_hash'])
        .addForeignKeyConstraint('recovery_codes_user_fkey', ['user_id'], 'users', ['id'], (c) => c.onDelete('cascade'))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('recovery_codes').execute();
      await db.schema.dropTable('second_factors').execute();
    },
  };
}
