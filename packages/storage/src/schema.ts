import type { UserType } from '@gatehouse-auth/core';
import type { ColumnType, Generated, Selectable, SqlBool } from 'kysely';
import type { ApiKeyKind, MailStatus, OneTimeTokenPurpose, SessionKind, WebauthnChallengePurpose } from './contract.js';

/**
 * The tables as Kysely sees them. One schema serves both dialects; where a column's runtime type differs by
 * dialect, the column type below is the union and the row mappers (`row-mappers.ts`) normalise it.
 *
 * - Times are integer milliseconds since the epoch: `BIGINT` in PostgreSQL (parsed to `number` by the pool),
 *   `INTEGER` in SQLite.
 * - JSON is `JSONB` in PostgreSQL (read back as an object) and `TEXT` in SQLite (read back as a string); it is
 *   always written as JSON text.
 * - Booleans are `BOOLEAN` in PostgreSQL and `INTEGER` 0/1 in SQLite.
 * - `*_lower` columns hold the JavaScript `toLowerCase()` of their source column, computed by the storage
 *   layer (not by SQL `lower()`, which only folds ASCII in SQLite), so both dialects fold letter case alike.
 */
export interface Database {
  apps: AppsTable;
  users: UsersTable;
  user_emails: UserEmailsTable;
  identities: IdentitiesTable;
  passwords: PasswordsTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  one_time_tokens: OneTimeTokensTable;
  service_configurations: ServiceConfigurationsTable;
  audit_events: AuditEventsTable;
  mail_outbox: MailOutboxTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
  second_factors: SecondFactorsTable;
  recovery_codes: RecoveryCodesTable;
  admin_keys: AdminKeysTable;
}

/** Milliseconds since the epoch. */
export type Millis = number;
/** A JSON column: written as JSON text, read as text (SQLite) or as a parsed value (PostgreSQL). */
export type JsonColumn = ColumnType<unknown, string, string>;
/** A boolean column: written as 0/1 (SQLite) or `true`/`false` (PostgreSQL), read back the same way. */
export type BoolColumn = ColumnType<SqlBool, SqlBool, SqlBool>;

export interface AppsTable {
  id: string;
  created_at: Millis;
}

export interface UsersTable {
  /** 24-hex ObjectId. */
  id: string;
  app_id: string;
  username: string | null;
  /**
   * Unique per app: the comparison key (`usernameKey` of core, width- and case-folded), so `ａdmin` and
   * `Admin` collide with `admin`.
   */
  username_lower: string | null;
  type: UserType;
  disabled: BoolColumn;
  profile: JsonColumn;
  custom_data: JsonColumn;
  created_at: Millis;
  updated_at: Millis;
}

export interface UserEmailsTable {
  /** Insertion order (an auto-assigned key): emails are listed in the order they were added. */
  seq: Generated<number>;
  app_id: string;
  user_id: string;
  address: string;
  /** Unique per app. */
  address_lower: string;
  verified: BoolColumn;
  created_at: Millis;
}

export interface IdentitiesTable {
  /** Insertion order: identities are listed in the order they were linked. */
  seq: Generated<number>;
  app_id: string;
  user_id: string;
  provider_type: string;
  provider_id: string;
  /** Unique per (app, provider_id). */
  subject: string;
  data: JsonColumn;
  created_at: Millis;
}

export interface PasswordsTable {
  user_id: string;
  /** PHC string. */
  hash: string;
  updated_at: Millis;
}

export interface SessionsTable {
  id: string;
  app_id: string;
  user_id: string;
  device_id: string;
  kind: SessionKind;
  refresh_hash: string;
  provider_type: string;
  api_key_id: string | null;
  meta: JsonColumn;
  created_at: Millis;
  last_used_at: Millis;
  expires_at: Millis;
  revoked_at: Millis | null;
}

export interface ApiKeysTable {
  id: string;
  app_id: string;
  user_id: string;
  kind: ApiKeyKind;
  name: string;
  /** Unique. */
  key_hash: string;
  disabled: BoolColumn;
  created_at: Millis;
  last_used_at: Millis | null;
}

export interface OneTimeTokensTable {
  id: string;
  app_id: string;
  /** `null` for tokens not tied to a user (OAuth state). */
  user_id: string | null;
  purpose: OneTimeTokenPurpose;
  token_hash: string;
  data: JsonColumn;
  created_at: Millis;
  expires_at: Millis;
  consumed_at: Millis | null;
}

export interface ServiceConfigurationsTable {
  app_id: string;
  service: string;
  config: JsonColumn;
  updated_at: Millis;
}

export interface AuditEventsTable {
  /** 24-hex ObjectId. */
  id: string;
  app_id: string;
  /** Deliberately not a foreign key: a user's audit trail outlives the user. */
  user_id: string | null;
  type: string;
  ip: string | null;
  /** The client's `User-Agent` (migration 0005). */
  user_agent: string | null;
  /** Who acted when it was not the user: the admin key's id (migration 0005). */
  actor: string | null;
  detail: JsonColumn;
  at: Millis;
}

/** A user's TOTP factor (migration 0003): the sealed secret, pending until a first correct code enables it. */
export interface SecondFactorsTable {
  user_id: string;
  secret: string;
  enabled_at: Millis | null;
  last_step: Millis | null;
  created_at: Millis;
}

/** One-time recovery codes of a user's second factor, by hash (migration 0003). */
export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: Millis | null;
}

/** Keys of the admin API (migration 0005): deployment-wide, for one app or (`app_id` null) for all. */
export interface AdminKeysTable {
  id: string;
  app_id: string | null;
  name: string;
  /** SHA-256 of the secret; unique. */
  key_hash: string;
  created_at: Millis;
  last_used_at: Millis | null;
  revoked_at: Millis | null;
}

/** Mail waiting for delivery, and a short record of mail delivered, dropped or given up (migration 0002). */
export interface MailOutboxTable {
  id: string;
  app_id: string;
  recipient: string;
  recipient_lower: string;
  kind: string;
  /** The sealed message; `null` once the mail finished (it carried one-time links). */
  payload: string | null;
  status: MailStatus;
  attempts: number;
  created_at: Millis;
  next_attempt_at: Millis;
  /** Until when the sender named by `claim` holds the mail; `null` when nobody does. */
  locked_until: Millis | null;
  claim: string | null;
  finished_at: Millis | null;
  last_error: string | null;
}

/** A user's WebAuthn credential (a passkey). */
export interface PasskeysTable {
  id: string;
  app_id: string;
  user_id: string;
  /** The authenticator's credential id, base64url; unique per app. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  counter: Millis;
  /** Comma-separated transports (`internal,hybrid`), `''` when none were reported. */
  transports: string;
  name: string;
  device_type: string;
  backed_up: BoolColumn;
  created_at: Millis;
  last_used_at: Millis | null;
}

/** A WebAuthn challenge handed out and not yet answered; found by the hash of the challenge. */
export interface WebauthnChallengesTable {
  id: string;
  app_id: string;
  /** The user registering a passkey; `null` for a sign-in (the passkey names its user). */
  user_id: string | null;
  purpose: WebauthnChallengePurpose;
  /** Unique. */
  challenge_hash: string;
  created_at: Millis;
  expires_at: Millis;
}

export type UserRow = Selectable<UsersTable>;
export type EmailRow = Pick<Selectable<UserEmailsTable>, 'user_id' | 'address' | 'verified'>;
export type IdentityRow = Pick<
  Selectable<IdentitiesTable>,
  'user_id' | 'provider_type' | 'provider_id' | 'subject' | 'data' | 'created_at'
>;
export type SessionRow = Selectable<SessionsTable>;
export type ApiKeyRow = Omit<Selectable<ApiKeysTable>, 'key_hash'>;
export type OneTimeTokenRow = Omit<Selectable<OneTimeTokensTable>, 'token_hash'>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type PasskeyRow = Selectable<PasskeysTable>;
export type WebauthnChallengeRow = Omit<Selectable<WebauthnChallengesTable>, 'challenge_hash'>;
export type AdminKeyRow = Omit<Selectable<AdminKeysTable>, 'key_hash'>;
