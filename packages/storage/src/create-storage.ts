import type { Storage } from './contract.js';
import { createPostgresStorage } from './dialects/postgres/postgres-storage.js';
import { createSqliteStorage } from './dialects/sqlite/sqlite-storage.js';
import { parseStorageUrl } from './url.js';

export { parseStorageUrl, type StorageLocation } from './url.js';

/**
 * Opens the storage a URL names (see {@link parseStorageUrl} for the forms). Call `migrate()` before use.
 *
 * @example
 * ```ts
 * const storage = await createStorage(process.env.DATABASE_URL ?? 'sqlite:.gatehouse/gatehouse.db');
 * await storage.migrate();
 * ```
 */
export async function createStorage(url: string): Promise<Storage> {
  const location = parseStorageUrl(url);
  return location.dialect === 'sqlite'
    ? createSqliteStorage({ filename: location.filename })
    : createPostgresStorage({ connectionString: location.connectionString });
}
