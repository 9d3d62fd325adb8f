import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { type SqliteDatabase, SqliteDriver } from './sqlite-driver.js';

/**
 * Kysely's SQLite dialect with Gatehouse's driver (see `sqlite-driver.ts`), and migrations run in a
 * transaction. SQLite's DDL is transactional, and with `BEGIN IMMEDIATE` the transaction also serialises
 * migrators in different processes: the second waits for the first, then finds nothing left to do.
 */
export class SqliteDialect implements Dialect {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  createDriver(): Driver {
    return new SqliteDriver(this.#database);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
