import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely } from 'kysely';
import type { Storage } from '../../contract.js';
import { createKyselyStorage } from '../../kysely-storage.js';
import type { Database } from '../../schema.js';
import { sqliteCapabilities } from '../capabilities.js';
import { missingDriverError } from '../missing-driver.js';
import { SqliteDialect } from './sqlite-dialect.js';

/** Options of {@link createSqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * Path of the database file, or `':memory:'` for a private in-memory database. A missing file and its
   * missing directories are created, readable by the current user only.
   */
  filename: string;
}

/** How long a connection waits for another process's write lock before failing with `SQLITE_BUSY`. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) a SQLite database with the optional `better-sqlite3` driver. A file database runs
 * in WAL mode, so readers never wait for the writer; foreign keys are enforced. Call `migrate()` before use.
 *
 * @example
 * ```ts
 * const storage = await createSqliteStorage({ filename: '.gatehouse/gatehouse.db' });
 * await storage.migrate();
 * ```
 *
 * @throws Error if `better-sqlite3` is not installed or the file cannot be opened.
 */
export async function createSqliteStorage(options: SqliteStorageOptions): Promise<Storage> {
  return createKyselyStorage(await openSqliteDatabase(options), sqliteCapabilities);
}

/**
 * The Kysely instance {@link createSqliteStorage} builds its storage on. Internal: the test helpers use it to
 * look at rows no contract method reads.
 */
export async function openSqliteDatabase(options: SqliteStorageOptions): Promise<Kysely<Database>> {
  const { filename } = options;
  const BetterSqlite3 = await loadBetterSqlite3();
  const inMemory = filename === ':memory:' || filename === '';
  if (!inMemory) {
    // The file holds password and session hashes: a new one (and its directory) is private to this user.
    // SQLite gives the -wal and -shm files the database file's permissions.
    mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
    closeSync(openSync(filename, 'a', 0o600));
  }
  const database = new BetterSqlite3(filename);
  try {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!inMemory) {
      database.pragma('journal_mode = WAL');
      // In WAL mode NORMAL keeps the database consistent across crashes; only the last commits before a power
      // loss (not a process crash) can be lost. FULL would fsync on every commit, on every refresh.
      database.pragma('synchronous = NORMAL');
    }
    // Off by default in SQLite; the schema relies on ON DELETE CASCADE.
    database.pragma('foreign_keys = ON');
    if (database.pragma('foreign_keys', { simple: true }) !== 1) {
      throw new Error('storage: this SQLite build does not enforce foreign keys');
    }
  } catch (error) {
    database.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect(database) });
  // Kysely initialises its driver on first use and destroys only an initialised one; initialise it now so
  // close() always closes the file, even if nothing used the storage.
  await db.connection().execute(async () => undefined);
  return db;
}

async function loadBetterSqlite3() {
  try {
    return (await import('better-sqlite3')).default;
  } catch (error) {
    throw missingDriverError('better-sqlite3', 'SQLite', error);
  }
}
