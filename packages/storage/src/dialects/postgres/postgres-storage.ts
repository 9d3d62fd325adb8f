import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Pool, PoolClient } from 'pg';
import { type Storage, StorageUnavailableError } from '../../contract.js';
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
  /** Longest wait for a new connection to be established, in milliseconds (default 5 000). */
  connectTimeoutMs?: number;
  /**
   * Longest wait for a connection from the pool — a free one, or a new one being opened — in milliseconds
   * (default 5 000). A request waits no longer than this when every connection is busy or the server is away.
   */
  acquireTimeoutMs?: number;
  /**
   * Longest run of one statement, in milliseconds (default 10 000): the server cancels it then
   * (`statement_timeout`), and if the server itself does not answer (frozen, network gone) the client gives up
   * shortly after and discards the connection.
   */
  queryTimeoutMs?: number;
}

/** PostgreSQL's type id for `int8`/`bigint`. */
const INT8_OID = 20;
/** How much longer than `statement_timeout` the client waits for a server that does not answer at all. */
const CLIENT_TIMEOUT_MARGIN_MS = 1_000;

/**
 * Creates a PostgreSQL storage over a connection pool of the optional `pg` driver. Connections open on first
 * use; call `migrate()` (or `ping()`) at start-up to find out early that the database is unreachable.
 *
 * Losing the server never ends the process: every connection, idle or in use, has an `error` listener, and a
 * broken connection is discarded instead of being returned to the pool. A call that fails because the server
 * is unreachable or too slow (see the timeouts) rejects with `StorageUnavailableError`.
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
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 5_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  // The pool uses its `connectionTimeoutMillis` both for waiting in its queue and for opening a connection;
  // each client is given its own, shorter or longer, connect timeout.
  class Client extends pg.Client {
    constructor(config?: ConstructorParameters<typeof pg.Client>[0]) {
      super({ ...(typeof config === 'object' ? config : {}), connectionTimeoutMillis: connectTimeoutMs });
    }
  }
  const pool = new pg.Pool({
    Client,
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: acquireTimeoutMs,
    statement_timeout: queryTimeoutMs,
    query_timeout: queryTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
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
  // query opens a new one.
  pool.on('error', () => {});
  // The pool listens for errors only while a connection is idle: one checked out (inside a transaction, or
  // between acquire and query) that loses its server would emit `error` with nobody listening, and Node ends
  // the process on that. So every connection gets its own listener for its whole life; the failed query
  // itself reports the error to its caller.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: classifyingPool(pool) }) }), pool };
}

/**
 * The pool as Kysely sees it, with two duties added: failures to reach the server become
 * `StorageUnavailableError`, and a connection that failed that way is destroyed on release rather than handed
 * to the next request (after a client-side timeout it may still owe the answer to the abandoned query).
 */
function classifyingPool(pool: Pool): PostgresPool {
  const classify = (error: unknown) =>
    postgresCapabilities.unavailable(error) ? new StorageUnavailableError({ cause: error }) : error;
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw classify(error);
      }
      let broken: Error | undefined;
      return {
        async query(sql: string, parameters: ReadonlyArray<unknown>) {
          try {
            return await client.query(sql, parameters as unknown[]);
          } catch (error) {
            const translated = classify(error);
            if (translated !== error) broken = error as Error;
            throw translated;
          }
        },
        release() {
          client.release(broken);
        },
      } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

async function loadPg() {
  try {
    return (await import('pg')).default;
  } catch (error) {
    throw missingDriverError('pg', 'PostgreSQL', error);
  }
}
