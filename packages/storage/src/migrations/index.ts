import { type Kysely, type Migration, Migrator } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.js';
import { initialMigration } from './0001-initial.js';
import { mailOutboxMigration } from './0002-mail-outbox.js';
import { secondFactorsMigration } from './0003-second-factors.js';
import { passkeysMigration } from './0004-passkeys.js';
import { adminMigration } from './0005-admin.js';

/**
 * Every migration, by name; names sort in the order they run. Append only: a migration that has shipped is
 * never edited, because databases that already ran it will not run it again.
 */
export function storageMigrations(capabilities: DialectCapabilities): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(capabilities.types),
    '0002_mail_outbox': mailOutboxMigration(capabilities.types),
    '0003_second_factors': secondFactorsMigration(capabilities.types),
    '0004_passkeys': passkeysMigration(capabilities.types),
    '0005_admin': adminMigration(capabilities.types),
  };
}

/**
 * Brings the database to the latest schema. Safe to run from several processes at once: on PostgreSQL the
 * migrator holds an advisory lock while it works; on SQLite it runs in one `BEGIN IMMEDIATE` transaction,
 * which takes the database's write lock (see `sqlite-dialect.ts`).
 *
 * @throws Error naming the migration that failed, with the database's error as `cause`.
 */
export async function migrateToLatest(db: Kysely<unknown>, capabilities: DialectCapabilities): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => storageMigrations(capabilities) },
    // Own names, so Gatehouse can share a database with an app that runs its own Kysely migrations.
    migrationTableName: 'gatehouse_migration',
    migrationLockTableName: 'gatehouse_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(
    failed
      ? `storage: migration ${failed} failed on ${capabilities.dialect}: ${reason}`
      : `storage: migrating the ${capabilities.dialect} database failed: ${reason}`,
    { cause: error },
  );
}
