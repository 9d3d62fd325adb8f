/**
 * `@gatehouse-auth/storage/testing`: the storage conformance suite, which any implementation of `Storage` runs
 * to prove it keeps the contract (see `docs/storage-adapters.md`), and throw-away databases for tests.
 *
 * Nothing here imports a test runner: the suite takes the runner's functions as a parameter.
 */
import type { Storage } from '../contract.js';
import { createPostgresStorage } from '../dialects/postgres/postgres-storage.js';
import { createSqliteStorage } from '../dialects/sqlite/sqlite-storage.js';
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

/**
 * A fresh, migrated storage of the given dialect: a private in-memory SQLite database, or a new PostgreSQL
 * database (see {@link createTestDatabase}) dropped by `cleanup()`.
 *
 * @example
 * ```ts
 * let env: Awaited<ReturnType<typeof openTestStorage>>;
 * beforeAll(async () => { env = await openTestStorage('postgres'); });
 * afterAll(() => env.cleanup());
 * ```
 */
export async function openTestStorage(
  dialect: 'sqlite' | 'postgres',
): Promise<{ storage: Storage; cleanup(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const storage = await createSqliteStorage({ filename: ':memory:' });
    await storage.migrate();
    return { storage, cleanup: () => storage.close() };
  }
  const database = await createTestDatabase();
  try {
    const storage = await createPostgresStorage({ connectionString: database.url });
    try {
      await storage.migrate();
    } catch (error) {
      await storage.close();
      throw error;
    }
    return {
      storage,
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
