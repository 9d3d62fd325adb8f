import { Kysely, PostgresDialect } from 'kysely';
import type { Storage } from '../../contract.js';
import { createKyselyStorage } from '../../kysely-storage.js';
import type { Database } from '../../schema.js';
import { postgresCapabilities } from '../capabilities.js';
import { missingDriverError } from '../missing-driver.js';

/** Options of {@link createPostgresStorage}. */
export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database` (libpq-style parameters allowed). */
  connectionString: string;
  /** Most connections the pool opens (default 10). */
  max?: number;
}

/** PostgreSQL's type id for `int8`/`bigint`. */
const INT8_OID = 20;

/**
 * Creates a PostgreSQL storage over a connection pool of the optional `pg` driver. Connections open on first
 * use; call `migrate()` (or `ping()`) at start-up to find out early that the database is unreachable.
 *
 * @example
 * ```ts
 * const storage = await createPostgresStorage({ connectionString: process.env.DATABASE_URL!, max: 20 });
 * await storage.migrate();
 * ```
 *
 * @throws Error if `pg` is not installed.
 */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<Storage> {
  const { db, pool } = await openPostgres(options);
  const max = options.max ?? 10;
  return createKyselyStorage(db, postgresCapabilities, {
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
  });
}

/**
 * The Kysely instance {@link createPostgresStorage} builds its storage on. Internal: the test helpers use it to
 * look at rows no contract method reads.
 */
export async function openPostgresDatabase(options: PostgresStorageOptions): Promise<Kysely<Database>> {
  return (await openPostgres(options)).db;
}

/** The pool and the Kysely instance over it (the pool's figures feed `poolStats()`). */
async function openPostgres(options: PostgresStorageOptions) {
  const pg = await loadPg();
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    // A connection string's own application_name wins over this default.
    application_name: 'gatehouse',
    types: {
      // Times are BIGINT milliseconds, and COUNT(*) is BIGINT: read them as numbers (all fit in 2^53). Only this
      // pool's clients are affected, not every `pg` user in the process as `pg.types.setTypeParser` would.
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that dies (server restart, network) is reported here; the pool drops it and the next
  // query opens a new one. Without a listener, Node would treat the event as an uncaught error and exit.
  pool.on('error', () => {});
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool };
}

async function loadPg() {
  try {
    return (await import('pg')).default;
  } catch (error) {
    throw missingDriverError('pg', 'PostgreSQL', error);
  }
}
