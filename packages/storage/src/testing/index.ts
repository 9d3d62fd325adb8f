/**
 * `@gatehouse-auth/storage/testing`: the storage conformance suite, which any implementation of `Storage` runs
 * to prove it keeps the contract (see `docs/storage-adapters.md`), and throw-away databases for tests.
 *
 * Nothing here imports a test runner: the suite takes the runner's functions as a parameter.
 */
import type { Kysely } from 'kysely';
import type { Storage } from '../contract.js';
import { postgresCapabilities, sqliteCapabilities } from '../dialects/capabilities.js';
import { openPostgresDatabase } from '../dialects/postgres/postgres-storage.js';
import { openSqliteDatabase } from '../dialects/sqlite/sqlite-storage.js';
import { createKyselyStorage } from '../kysely-storage.js';
import type { Database } from '../schema.js';
import { createTestDatabase } from './postgres.js';

export {
  type ConformanceAssertion,
  type ConformanceExpect,
  type ConformanceMatchers,
  type ConformanceTestApi,
  type OpenedStorage,
  runStorageConformance,
  type StorageConformanceOptions,
} from './conformance.js';
export { createTestDatabase } from './postgres.js';

/** What {@link openTestStorage} opens. */
export interface TestStorage {
  storage: Storage;
  /**
   * How many users the app has, read straight from the database. The contract has no such method (no product
   * code needs one); tests use it to check that a refused request created nobody.
   */
  countUsers(appId: string): Promise<number>;
  /** Closes the storage (and drops a PostgreSQL database). */
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated storage of a built-in dialect: a private in-memory SQLite database, or a new PostgreSQL
 * database (see {@link createTestDatabase}) dropped by `cleanup()`.
 *
 * @example
 * ```ts
 * let env: TestStorage;
 * beforeAll(async () => { env = await openTestStorage('postgres'); });
 * afterAll(() => env.cleanup());
 * ```
 */
export async function openTestStorage(dialect: 'sqlite' | 'postgres'): Promise<TestStorage> {
  if (dialect === 'sqlite') {
    const db = await openSqliteDatabase({ filename: ':memory:' });
    const storage = createKyselyStorage(db, sqliteCapabilities);
    await storage.migrate();
    return { storage, countUsers: (appId) => countUsers(db, appId), cleanup: () => storage.close() };
  }
  const database = await createTestDatabase();
  try {
    const db = await openPostgresDatabase({ connectionString: database.url });
    const storage = createKyselyStorage(db, postgresCapabilities);
    try {
      await storage.migrate();
    } catch (error) {
      await storage.close();
      throw error;
    }
    return {
      storage,
      countUsers: (appId) => countUsers(db, appId),
      async cleanup() {
        try {
          await storage.close();
        } finally {
          await database.drop();
        }
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function countUsers(db: Kysely<Database>, appId: string): Promise<number> {
  const { count } = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('app_id', '=', appId)
    .executeTakeFirstOrThrow();
  return Number(count);
}
