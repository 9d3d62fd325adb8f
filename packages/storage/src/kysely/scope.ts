import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type SqlBool, sql } from 'kysely';
import { translateConflict } from '../conflicts.js';
import type { DialectCapabilities } from '../dialects/capabilities.js';
import { createRowMappers, type RowMappers } from '../row-mappers.js';
import type { Database } from '../schema.js';

/**
 * What every aggregate's queries run against: the query builder of the root storage or of one transaction,
 * with the dialect's capabilities and row mappers. Each aggregate file (`users.ts`, `sessions.ts`, …) turns a
 * scope into its part of the contract; `kysely-storage.ts` assembles the parts.
 */
export interface Scope {
  /** The query builder; throws once the storage is closed (Kysely alone would not if it was never used). */
  readonly db: Kysely<Database>;
  readonly capabilities: DialectCapabilities;
  readonly map: RowMappers;
  /** A boolean as the driver binds it. */
  bool(value: boolean): SqlBool;
  /**
   * Runs a read compiled once per storage: the first call builds `query` with a placeholder per argument and
   * compiles it; every later call binds its own values to the same SQL. For the reads every request makes —
   * Kysely otherwise builds and compiles the same SQL on every call (~6 % of a token refresh's event loop). Each
   * argument must end up as a bound value (not a column name, not raw SQL); `query` must be a constant.
   */
  read<Args extends unknown[], Row>(query: PreparedRead<Args, Row>, ...args: Args): Promise<Row[]>;
  /** Runs `write`, turning a broken uniqueness rule into a `StorageConflictError`. */
  translatingConflicts<T>(write: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` atomically: in a new transaction at the root, in a savepoint inside a transaction (so a
   * failure undoes only `work`, and the enclosing transaction can go on).
   */
  atomically<T>(work: (scope: Scope) => Promise<T>): Promise<T>;
}

/** A read for {@link Scope.read}: builds its query from the values it is given. */
export type PreparedRead<Args extends unknown[], Row> = (db: Kysely<Database>, ...args: Args) => Compilable<Row>;

/** A compiled read, and where each of its bound values comes from: an argument, or a constant of the query. */
interface Prepared {
  compiled: CompiledQuery<unknown>;
  bind: ({ arg: number } | { value: unknown })[];
}

/** The root scope, which also owns the storage's life. */
export interface RootScope extends Scope {
  /** Destroys the Kysely instance; later queries on any scope throw. A second call does nothing. */
  close(): Promise<void>;
}

export function createRootScope(db: Kysely<Database>, capabilities: DialectCapabilities): RootScope {
  return new KyselyScope(
    db,
    capabilities,
    createRowMappers(capabilities),
    { closed: false, prepared: new Map() },
    null,
  );
}

/** What the root scope and its transaction scopes share. */
interface Lifecycle {
  closed: boolean;
  /** Compiled reads by their builder (one SQL per storage, whichever scope runs it). */
  readonly prepared: Map<PreparedRead<never, unknown>, Prepared>;
}

/**
 * Savepoint bookkeeping of one transaction level. Nested `transaction()` calls on one handle run one after
 * another, because a savepoint released out of order would release the ones taken after it too.
 */
interface SavepointScope {
  tail: Promise<unknown>;
  /** Shared by all levels of one transaction, so savepoint names never repeat within it. */
  readonly counter: { value: number };
}

class KyselyScope implements RootScope {
  readonly capabilities: DialectCapabilities;
  readonly map: RowMappers;
  readonly #kysely: Kysely<Database>;
  /** Shared by the root and its transaction scopes: whether the storage is closed, and its compiled reads. */
  readonly #lifecycle: Lifecycle;
  /** `null` at the root; set on scopes bound to a transaction. */
  readonly #savepoints: SavepointScope | null;

  constructor(
    db: Kysely<Database>,
    capabilities: DialectCapabilities,
    map: RowMappers,
    lifecycle: Lifecycle,
    savepoints: SavepointScope | null,
  ) {
    this.#kysely = db;
    this.capabilities = capabilities;
    this.map = map;
    this.#lifecycle = lifecycle;
    this.#savepoints = savepoints;
  }

  get db(): Kysely<Database> {
    if (this.#lifecycle.closed) throw new Error('storage: used after close()');
    return this.#kysely;
  }

  bool(value: boolean): SqlBool {
    return this.capabilities.encodeBool(value);
  }

  async read<Args extends unknown[], Row>(query: PreparedRead<Args, Row>, ...args: Args): Promise<Row[]> {
    const db = this.db;
    let prepared = this.#lifecycle.prepared.get(query);
    if (!prepared) {
      const markers = args.map((_, i) => `\u0000gatehouse-read-${i}\u0000`);
      const compiled = query(db, ...(markers as Args)).compile();
      const bind = compiled.parameters.map((value) => {
        const arg = markers.indexOf(value as string);
        return arg === -1 ? { value } : { arg };
      });
      for (const [arg] of markers.entries())
        if (!bind.some((b) => 'arg' in b && b.arg === arg))
          throw new Error(`storage: argument ${arg} of a prepared read is not a bound value`);
      prepared = { compiled, bind };
      this.#lifecycle.prepared.set(query, prepared);
    }
    const { compiled, bind } = prepared;
    const parameters = bind.map((b) => ('arg' in b ? args[b.arg] : b.value));
    const result = await db.executeQuery<Row>({
      ...compiled,
      queryId: createQueryId(),
      parameters,
    } as CompiledQuery<Row>);
    return result.rows;
  }

  async translatingConflicts<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw translateConflict(error, this.capabilities);
    }
  }

  atomically<T>(work: (scope: Scope) => Promise<T>): Promise<T> {
    const savepoints = this.#savepoints;
    if (savepoints === null) {
      return this.db
        .transaction()
        .execute((trx) => work(this.#bound(trx, { tail: Promise.resolve(), counter: { value: 0 } })));
    }
    const run = async (): Promise<T> => {
      const name = sql.id(`gatehouse_sp_${++savepoints.counter.value}`);
      await sql`savepoint ${name}`.execute(this.db);
      let result: T;
      try {
        result = await work(this.#bound(this.db, { tail: Promise.resolve(), counter: savepoints.counter }));
      } catch (error) {
        await sql`rollback to savepoint ${name}`.execute(this.db);
        await sql`release savepoint ${name}`.execute(this.db);
        throw error;
      }
      await sql`release savepoint ${name}`.execute(this.db);
      return result;
    };
    const done = savepoints.tail.then(run, run);
    savepoints.tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  async close(): Promise<void> {
    if (this.#savepoints !== null) throw new Error('storage: close() is not available inside a transaction');
    if (this.#lifecycle.closed) return;
    this.#lifecycle.closed = true;
    await this.#kysely.destroy();
  }

  #bound(db: Kysely<Database>, savepoints: SavepointScope): KyselyScope {
    return new KyselyScope(db, this.capabilities, this.map, this.#lifecycle, savepoints);
  }
}

/**
 * The case-folded form stored in `*_lower` columns. JavaScript's `toLowerCase()` folds all of Unicode the
 * same way on every platform, unlike SQLite's ASCII-only `lower()`.
 */
export function fold(text: string): string {
  return text.toLowerCase();
}
