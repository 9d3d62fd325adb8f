import { type Kysely, sql } from 'kysely';
import type { PoolStats, Storage, StorageTransaction } from './contract.js';
import type { DialectCapabilities } from './dialects/capabilities.js';
import { adminKeyQueries } from './kysely/admin-keys.js';
import { apiKeyQueries } from './kysely/api-keys.js';
import { appQueries } from './kysely/apps.js';
import { auditQueries } from './kysely/audit.js';
import { emailAndIdentityQueries } from './kysely/emails-identities.js';
import { mailOutboxQueries } from './kysely/mail-outbox.js';
import { oneTimeTokenQueries } from './kysely/one-time-tokens.js';
import { passkeyQueries } from './kysely/passkeys.js';
import { passwordQueries } from './kysely/passwords.js';
import { createRootScope, type Scope } from './kysely/scope.js';
import { secondFactorQueries } from './kysely/second-factors.js';
import { serviceConfigurationQueries } from './kysely/service-configurations.js';
import { sessionQueries } from './kysely/sessions.js';
import { userQueries } from './kysely/users.js';
import { migrateToLatest } from './migrations/index.js';
import type { Database } from './schema.js';

/**
 * The {@link Storage} implementation, over any Kysely instance whose dialect `capabilities` describes. The
 * dialect factories (`createSqliteStorage`, `createPostgresStorage`) build the Kysely instance and call this.
 * Each aggregate's queries live in a file of their own under `kysely/`; this file only assembles them.
 * `options.poolStats` reports the connection pool's use, when there is a pool.
 *
 * @example
 * ```ts
 * const storage = createKyselyStorage(new Kysely<Database>({ dialect }), sqliteCapabilities);
 * await storage.migrate();
 * ```
 */
export function createKyselyStorage(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  options: { poolStats?: () => PoolStats } = {},
): Storage {
  const root = createRootScope(db, capabilities);
  return {
    dialect: capabilities.dialect,
    ...dataOf(root),
    async migrate() {
      await migrateToLatest(root.db as unknown as Kysely<unknown>, capabilities);
    },
    async ping() {
      await sql`select 1`.execute(root.db);
    },
    close: () => root.close(),
    poolStats: () => options.poolStats?.() ?? null,
  };
}

/** The data part of the contract over one scope: the root, or one transaction (then the `tx` handle). */
function dataOf(scope: Scope): StorageTransaction {
  return {
    transaction<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T> {
      return scope.atomically((inner) => work(dataOf(inner)));
    },
    ...appQueries(scope),
    ...userQueries(scope),
    ...emailAndIdentityQueries(scope),
    ...passwordQueries(scope),
    ...sessionQueries(scope),
    ...oneTimeTokenQueries(scope),
    ...apiKeyQueries(scope),
    ...serviceConfigurationQueries(scope),
    ...auditQueries(scope),
    ...adminKeyQueries(scope),
    ...mailOutboxQueries(scope),
    ...passkeyQueries(scope),
    ...secondFactorQueries(scope),
  };
}
