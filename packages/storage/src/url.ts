/**
 * Reading a storage URL, on its own (`@gatehouse-auth/storage/url`): a caller that only needs to know where
 * the database is (the primary of `gatehouse serve --workers`) does not load the database drivers.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

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

function sqlite(filename: string): StorageLocation {
  if (filename === '') throw new Error(`storage: the SQLite URL names no file; expected ${ACCEPTED_FORMS}`);
  return { dialect: 'sqlite', filename };
}
