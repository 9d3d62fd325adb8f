import { fileURLToPath } from 'node:url';
import type { Storage } from './contract.js';
import { createPostgresStorage } from './dialects/postgres/postgres-storage.js';
import { createSqliteStorage } from './dialects/sqlite/sqlite-storage.js';

/** Where a storage URL points: what {@link parseStorageUrl} makes of it. */
export type StorageLocation =
  | { dialect: 'sqlite'; filename: string }
  | { dialect: 'postgres'; connectionString: string };

const ACCEPTED_FORMS =
  'sqlite:<path>, sqlite::memory:, file:<path>, a path ending in .db/.sqlite/.sqlite3, ' +
  'postgres://… or postgresql://…';

/**
 * Reads a storage URL:
 *
 * - `sqlite:<path>` (`sqlite:///abs/path.db` also works), `sqlite::memory:`, `file:<path>` or
 *   `file:///abs/path.db`, or a bare path ending in `.db`, `.sqlite` or `.sqlite3` → SQLite;
 * - `postgres://…` or `postgresql://…` → PostgreSQL.
 *
 * @example
 * ```ts
 * parseStorageUrl('sqlite:.gatehouse/gatehouse.db'); // { dialect: 'sqlite', filename: '.gatehouse/gatehouse.db' }
 * ```
 *
 * @throws Error naming the accepted forms for anything else. The message never repeats the URL, which may
 * hold a password.
 */
export function parseStorageUrl(url: string): StorageLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', connectionString: url };
  if (/^sqlite:/i.test(url)) return sqlite(url.slice('sqlite:'.length).replace(/^\/\//, ''));
  if (/^file:\/\//i.test(url)) return sqlite(fileURLToPath(url));
  if (/^file:/i.test(url)) return sqlite(url.slice('file:'.length));
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && /\.(db|sqlite|sqlite3)$/i.test(url)) return sqlite(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new Error(
    `storage: unsupported database URL${scheme ? ` (scheme "${scheme}:")` : ''}; expected ${ACCEPTED_FORMS}`,
  );
}

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

function sqlite(filename: string): StorageLocation {
  if (filename === '') throw new Error(`storage: the SQLite URL names no file; expected ${ACCEPTED_FORMS}`);
  return { dialect: 'sqlite', filename };
}
