/**
 * `@gatehouse-auth/storage`: the storage contract, its one implementation over Kysely, and the SQLite and
 * PostgreSQL drivers (optional peer dependencies, loaded only when used).
 *
 * The conformance suite every `Storage` implementation must pass, and throw-away test databases, are in
 * `@gatehouse-auth/storage/testing` (see `docs/storage-adapters.md`).
 */
export {
  type AdminKeyRecord,
  type ApiKeyKind,
  type ApiKeyRecord,
  type AuditEventRecord,
  type AuditQuery,
  type ConflictTarget,
  type ConsumeOneTimeToken,
  type ConsumeUserOneTimeToken,
  type ConsumeWebauthnChallenge,
  type EmailRecord,
  type IdentityRecord,
  isStorageConflictError,
  isStorageUnavailableError,
  type MailOutcome,
  type MailRecord,
  type MailStatus,
  type NewAdminKey,
  type NewApiKey,
  type NewAuditEvent,
  type NewEmail,
  type NewIdentity,
  type NewMail,
  type NewOneTimeToken,
  type NewPasskey,
  type NewSession,
  type NewUser,
  type NewWebauthnChallenge,
  type OneTimeTokenPurpose,
  type OneTimeTokenRecord,
  type PasskeyRecord,
  type PoolStats,
  type SecondFactorRecord,
  type SessionKind,
  type SessionRecord,
  type Storage,
  StorageConflictError,
  type StorageDialect,
  type StorageTransaction,
  StorageUnavailableError,
  type UserListOptions,
  type UserRecord,
  type UserState,
  type WebauthnChallengePurpose,
  type WebauthnChallengeRecord,
} from './contract.js';
export { createStorage, parseStorageUrl, type StorageLocation } from './create-storage.js';
export { createPostgresStorage, type PostgresStorageOptions } from './dialects/postgres/postgres-storage.js';
export { createSqliteStorage, type SqliteStorageOptions } from './dialects/sqlite/sqlite-storage.js';
