import { type Kysely, type SqlBool, sql } from 'kysely';
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
  /** Runs `write`, turning a broken uniqueness rule into a `StorageConflictError`. */
  translatingConflicts<T>(write: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` atomically: in a new transaction at the root, in a savepoint inside a transaction (so a
   * failure undoes only `work`, and the enclosing transaction can go on).
   */
  atomically<T>(work: (scope: Scope) => Promise<T>): Promise<T>;
}

/** The root scope, which also owns the storage's life. */
export interface RootScope extends Scope {
  /** Destroys the Kysely instance; later queries on any scope throw. A second call does nothing. */
  close(): Promise<void>;
}

export function createRootScope(db: Kysely<Database>, capabilities: DialectCapabilities): RootScope {
  return new KyselyScope(db, capabilities, createRowMappers(capabilities), { closed: false }, null);
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
  /** Shared by the root and its transaction scopes. */
  readonly #lifecycle: { closed: boolean };
  /** `null` at the root; set on scopes bound to a transaction. */
  readonly #savepoints: SavepointScope | null;

  constructor(
    db: Kysely<Database>,
    capabilities: DialectCapabilities,
    map: RowMappers,
    lifecycle: { closed: boolean },
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
