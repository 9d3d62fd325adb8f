import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';

/** The slice of a better-sqlite3 `Database` this driver uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/** The slice of a better-sqlite3 `Statement` this driver uses. */
export interface SqliteStatement {
  /** True when the statement returns rows (a `SELECT`, or any statement with `RETURNING`). */
  readonly reader: boolean;
  all(parameters: ReadonlyArray<unknown>): unknown[];
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint };
}

/** Prepared statements kept per connection. The storage layer issues well under this many distinct queries. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * A Kysely driver over one better-sqlite3 connection. It differs from Kysely's own SQLite driver in two ways:
 *
 * - Transactions start with `BEGIN IMMEDIATE`, which takes the write lock up front (waiting up to the
 *   connection's `busy_timeout`). A deferred `BEGIN` that reads and then writes can instead fail at once with
 *   `SQLITE_BUSY` when another process (the CLI, a second server) holds the lock: SQLite does not retry a lock
 *   upgrade, as retrying could deadlock.
 * - Prepared statements are cached, since the hot paths (profile reads, refreshes) repeat a handful of queries.
 *
 * One connection serves everything, so callers queue for it; a transaction holds it until it ends.
 */
export class SqliteDriver implements Driver {
  readonly #connection: SqliteConnection;
  readonly #database: SqliteDatabase;
  readonly #waiting: Array<() => void> = [];
  #busy = false;

  constructor(database: SqliteDatabase) {
    this.#database = database;
    this.#connection = new SqliteConnection(database);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#busy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#busy = true;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.#waiting.shift();
    // Hand the connection straight to the next waiter (first come, first served); `busy` stays set.
    if (next) next();
    else this.#busy = false;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    this.#connection.clear();
    this.#database.close();
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly #database: SqliteDatabase;
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#prepare(query.sql);
    if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
    const { changes } = statement.run(query.parameters);
    return { numAffectedRows: BigInt(changes), rows: [] };
  }

  // biome-ignore lint/correctness/useYield: streaming is not supported, and says so when asked for.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('storage: the SQLite driver does not stream query results');
  }

  clear(): void {
    this.#statements.clear();
  }

  #prepare(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#database.prepare(sql);
      // Evict the oldest entry; a Map iterates in insertion order.
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value as string);
      }
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
