import { type JsonObject, objectId, randomSecret } from '@gatehouse-auth/core';
import { type Kysely, sql, type Updateable } from 'kysely';
import { translateConflict } from './conflicts.js';
import type {
  ApiKeyKind,
  ApiKeyRecord,
  AuditEventRecord,
  ConsumeOneTimeToken,
  IdentityRecord,
  MailOutcome,
  MailRecord,
  NewApiKey,
  NewAuditEvent,
  NewEmail,
  NewIdentity,
  NewMail,
  NewOneTimeToken,
  NewSession,
  NewUser,
  OneTimeTokenPurpose,
  OneTimeTokenRecord,
  SessionRecord,
  Storage,
  StorageDialect,
  UserRecord,
  UserState,
} from './contract.js';
import type { DialectCapabilities } from './dialects/capabilities.js';
import { migrateToLatest } from './migrations/index.js';
import { createRowMappers, type RowMappers } from './row-mappers.js';
import type { Database, UserRow, UsersTable } from './schema.js';

/**
 * The {@link Storage} implementation, over any Kysely instance whose dialect `capabilities` describes. The
 * dialect factories (`createSqliteStorage`, `createPostgresStorage`) build the Kysely instance and call this.
 *
 * @example
 * ```ts
 * const storage = createKyselyStorage(new Kysely<Database>({ dialect }), sqliteCapabilities);
 * await storage.migrate();
 * ```
 */
export function createKyselyStorage(db: Kysely<Database>, capabilities: DialectCapabilities): Storage {
  return new KyselyStorage(db, capabilities, createRowMappers(capabilities), { closed: false }, null);
}

const DEFAULT_AUDIT_LIMIT = 100;
const MAX_AUDIT_LIMIT = 1000;

/** The columns of a session, an API key and a one-time token that leave the storage layer. */
const SESSION_COLUMNS = [
  'id',
  'app_id',
  'user_id',
  'device_id',
  'kind',
  'refresh_hash',
  'provider_type',
  'api_key_id',
  'meta',
  'created_at',
  'last_used_at',
  'expires_at',
  'revoked_at',
] as const;
const API_KEY_COLUMNS = ['id', 'app_id', 'user_id', 'kind', 'name', 'disabled', 'created_at', 'last_used_at'] as const;
const ONE_TIME_TOKEN_COLUMNS = [
  'id',
  'app_id',
  'user_id',
  'purpose',
  'data',
  'created_at',
  'expires_at',
  'consumed_at',
] as const;

/**
 * Savepoint bookkeeping of one transaction level. Nested `transaction()` calls on one handle run one after
 * another, because a savepoint released out of order would release the ones taken after it too.
 */
interface SavepointScope {
  tail: Promise<unknown>;
  /** Shared by all levels of one transaction, so savepoint names never repeat within it. */
  readonly counter: { value: number };
}

class KyselyStorage implements Storage {
  readonly dialect: StorageDialect;
  readonly #kysely: Kysely<Database>;
  readonly #capabilities: DialectCapabilities;
  readonly #map: RowMappers;
  /** Shared by the root and its transaction handles. */
  readonly #lifecycle: { closed: boolean };
  /** `null` at the root; set on handles bound to a transaction. */
  readonly #scope: SavepointScope | null;

  constructor(
    db: Kysely<Database>,
    capabilities: DialectCapabilities,
    map: RowMappers,
    lifecycle: { closed: boolean },
    scope: SavepointScope | null,
  ) {
    this.dialect = capabilities.dialect;
    this.#kysely = db;
    this.#capabilities = capabilities;
    this.#map = map;
    this.#lifecycle = lifecycle;
    this.#scope = scope;
  }

  /** The query builder; throws once the storage is closed (Kysely alone would not if it was never used). */
  get #db(): Kysely<Database> {
    if (this.#lifecycle.closed) throw new Error('storage: used after close()');
    return this.#kysely;
  }

  // ---- lifecycle --------------------------------------------------------------------------------------

  async migrate(): Promise<void> {
    this.#rootOnly('migrate');
    await migrateToLatest(this.#db as unknown as Kysely<unknown>, this.#capabilities);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  async close(): Promise<void> {
    this.#rootOnly('close');
    if (this.#lifecycle.closed) return;
    this.#lifecycle.closed = true;
    await this.#kysely.destroy();
  }

  async transaction<T>(work: (tx: Storage) => Promise<T>): Promise<T> {
    return this.#atomically(work);
  }

  // ---- apps -------------------------------------------------------------------------------------------

  async ensureApp(appId: string, now: number): Promise<void> {
    await this.#db
      .insertInto('apps')
      .values({ id: appId, created_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  // ---- users ------------------------------------------------------------------------------------------

  createUser(input: NewUser): Promise<UserRecord> {
    const { id, appId, now } = input;
    const username = input.username ?? null;
    const profile = input.profile ?? {};
    const customData = input.customData ?? {};
    const emails = input.emails ?? [];
    const identities = input.identities ?? [];
    const passwordHash = input.passwordHash ?? null;
    const record: UserRecord = {
      id,
      appId,
      username,
      type: input.type ?? 'normal',
      disabled: false,
      profile,
      customData,
      createdAt: now,
      updatedAt: now,
      emails: emails.map((email) => ({ address: email.address, verified: email.verified })),
      identities: identities.map((identity) => identityRecord(identity, now)),
    };
    return this.#translatingConflicts(() =>
      this.#atomically(async (s) => {
        const db = s.#db;
        await db
          .insertInto('users')
          .values({
            id,
            app_id: appId,
            username,
            username_lower: username === null ? null : fold(username),
            type: record.type,
            disabled: s.#bool(false),
            profile: JSON.stringify(profile),
            custom_data: JSON.stringify(customData),
            created_at: now,
            updated_at: now,
          })
          .execute();
        if (emails.length > 0) {
          // One multi-row statement; rows get their `seq` in list order.
          await db
            .insertInto('user_emails')
            .values(emails.map((email) => s.#emailValues(appId, id, email, now)))
            .execute();
        }
        if (identities.length > 0) {
          await db
            .insertInto('identities')
            .values(identities.map((identity) => s.#identityValues(appId, id, identity, now)))
            .execute();
        }
        if (passwordHash !== null) {
          await db.insertInto('passwords').values({ user_id: id, hash: passwordHash, updated_at: now }).execute();
        }
        return record;
      }),
    );
  }

  async getUser(appId: string, userId: string): Promise<UserRecord | null> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return row ? this.#hydrateOne(row) : null;
  }

  async findUserByEmail(appId: string, email: string): Promise<UserRecord | null> {
    const row = await this.#db
      .selectFrom('user_emails as e')
      .innerJoin('users as u', 'u.id', 'e.user_id')
      .selectAll('u')
      .where('e.app_id', '=', appId)
      .where('e.address_lower', '=', fold(email))
      .executeTakeFirst();
    return row ? this.#hydrateOne(row) : null;
  }

  async findUsersByUsername(appId: string, username: string): Promise<UserRecord[]> {
    // Usernames are unique by `username_lower`, so this finds at most one row today; the exact-match
    // preference is kept so the promise holds if that rule is ever relaxed (e.g. for imported data).
    const rows = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('app_id', '=', appId)
      .where('username_lower', '=', fold(username))
      .orderBy('created_at')
      .orderBy('id')
      .limit(3)
      .execute();
    const exact = rows.filter((row) => row.username === username);
    return this.#hydrate((exact.length > 0 ? exact : rows).slice(0, 2));
  }

  async findUserByIdentity(appId: string, providerId: string, subject: string): Promise<UserRecord | null> {
    const row = await this.#db
      .selectFrom('identities as i')
      .innerJoin('users as u', 'u.id', 'i.user_id')
      .selectAll('u')
      .where('i.app_id', '=', appId)
      .where('i.provider_id', '=', providerId)
      .where('i.subject', '=', subject)
      .executeTakeFirst();
    return row ? this.#hydrateOne(row) : null;
  }

  async deleteUser(appId: string, userId: string): Promise<boolean> {
    // One statement: the foreign keys cascade to emails, identities, password, sessions, keys and tokens.
    const result = await this.#db
      .deleteFrom('users')
      .where('id', '=', userId)
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async setUserProfile(appId: string, userId: string, profile: JsonObject, now: number): Promise<boolean> {
    return this.#updateUser(appId, userId, { profile: JSON.stringify(profile), updated_at: now });
  }

  async setUserCustomData(appId: string, userId: string, customData: JsonObject, now: number): Promise<boolean> {
    return this.#updateUser(appId, userId, { custom_data: JSON.stringify(customData), updated_at: now });
  }

  async setUserDisabled(appId: string, userId: string, disabled: boolean, now: number): Promise<boolean> {
    return this.#updateUser(appId, userId, { disabled: this.#bool(disabled), updated_at: now });
  }

  setUsername(appId: string, userId: string, username: string | null, now: number): Promise<boolean> {
    return this.#translatingConflicts(() =>
      this.#updateUser(appId, userId, {
        username,
        username_lower: username === null ? null : fold(username),
        updated_at: now,
      }),
    );
  }

  async setEmailVerified(appId: string, userId: string, address: string, verified: boolean): Promise<boolean> {
    const result = await this.#db
      .updateTable('user_emails')
      .set({ verified: this.#bool(verified) })
      .where('app_id', '=', appId)
      .where('address_lower', '=', fold(address))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  addEmail(appId: string, userId: string, email: NewEmail, now: number): Promise<void> {
    return this.#translatingConflicts(async () => {
      await this.#db
        .insertInto('user_emails')
        .values(this.#emailValues(appId, userId, email, now))
        .execute();
    });
  }

  replaceEmail(appId: string, userId: string, oldAddress: string, email: NewEmail): Promise<boolean> {
    return this.#translatingConflicts(async () => {
      const result = await this.#db
        .updateTable('user_emails')
        .set({ address: email.address, address_lower: fold(email.address), verified: this.#bool(email.verified) })
        .where('app_id', '=', appId)
        .where('address_lower', '=', fold(oldAddress))
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  async removeEmail(appId: string, userId: string, address: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('user_emails')
      .where('app_id', '=', appId)
      .where('address_lower', '=', fold(address))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  addIdentity(appId: string, userId: string, identity: NewIdentity, now: number): Promise<IdentityRecord> {
    return this.#translatingConflicts(async () => {
      await this.#db
        .insertInto('identities')
        .values(this.#identityValues(appId, userId, identity, now))
        .execute();
      return identityRecord(identity, now);
    });
  }

  async removeIdentity(appId: string, userId: string, providerId: string, subject: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('identities')
      .where('app_id', '=', appId)
      .where('user_id', '=', userId)
      .where('provider_id', '=', providerId)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async countUsers(appId: string): Promise<number> {
    const { count } = await this.#db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('app_id', '=', appId)
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  // ---- passwords --------------------------------------------------------------------------------------

  async getPasswordHash(userId: string): Promise<string | null> {
    const row = await this.#db.selectFrom('passwords').select('hash').where('user_id', '=', userId).executeTakeFirst();
    return row?.hash ?? null;
  }

  async setPasswordHash(userId: string, hash: string, now: number): Promise<void> {
    await this.#db
      .insertInto('passwords')
      .values({ user_id: userId, hash, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash, updated_at: now }))
      .execute();
  }

  // ---- sessions ---------------------------------------------------------------------------------------

  createSession(input: NewSession): Promise<SessionRecord> {
    const record: SessionRecord = {
      id: input.id,
      appId: input.appId,
      userId: input.userId,
      deviceId: input.deviceId,
      kind: input.kind ?? 'refresh',
      refreshHash: input.refreshHash,
      providerType: input.providerType,
      apiKeyId: input.apiKeyId ?? null,
      meta: input.meta ?? {},
      createdAt: input.now,
      lastUsedAt: input.now,
      expiresAt: input.expiresAt,
      revokedAt: null,
    };
    return this.#translatingConflicts(async () => {
      await this.#db
        .insertInto('sessions')
        .values({
          id: record.id,
          app_id: record.appId,
          user_id: record.userId,
          device_id: record.deviceId,
          kind: record.kind,
          refresh_hash: record.refreshHash,
          provider_type: record.providerType,
          api_key_id: record.apiKeyId,
          meta: JSON.stringify(record.meta),
          created_at: record.createdAt,
          last_used_at: record.lastUsedAt,
          expires_at: record.expiresAt,
          revoked_at: null,
        })
        .execute();
      return record;
    });
  }

  async getSession(sessionId: string): Promise<SessionRecord | null> {
    const row = await this.#db
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('id', '=', sessionId)
      .executeTakeFirst();
    return row ? this.#map.session(row) : null;
  }

  async getSessionWithUser(sessionId: string): Promise<{ session: SessionRecord; user: UserState } | null> {
    const row = await this.#db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(SESSION_COLUMNS.map((c) => `s.${c}` as const))
      .select(['u.type as user_type', 'u.disabled as user_disabled', 'u.custom_data as user_custom_data'])
      .where('s.id', '=', sessionId)
      .executeTakeFirst();
    if (!row) return null;
    const session = this.#map.session(row);
    return {
      session,
      user: this.#map.userState({
        id: row.user_id,
        app_id: row.app_id,
        type: row.user_type,
        disabled: row.user_disabled,
        custom_data: row.user_custom_data,
      }),
    };
  }

  async findSessionByHash(refreshHash: string): Promise<SessionRecord | null> {
    const row = await this.#db
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('refresh_hash', '=', refreshHash)
      .executeTakeFirst();
    return row ? this.#map.session(row) : null;
  }

  async touchSession(sessionId: string, now: number): Promise<void> {
    await this.#db
      .updateTable('sessions')
      .set({ last_used_at: now })
      .where('id', '=', sessionId)
      .where('last_used_at', '<', now)
      .execute();
  }

  async rotateSessionSecret(sessionId: string, previousHash: string, nextHash: string, now: number): Promise<boolean> {
    // The hash is of a 256-bit secret, so comparing it in SQL leaks nothing worth a constant-time compare.
    const result = await this.#db
      .updateTable('sessions')
      .set({ refresh_hash: nextHash, last_used_at: now })
      .where('id', '=', sessionId)
      .where('refresh_hash', '=', previousHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async revokeSession(sessionId: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async revokeUserSessions(userId: string, now: number, exceptSessionId?: string): Promise<number> {
    let query = this.#db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now);
    if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async listActiveSessions(userId: string, now: number): Promise<SessionRecord[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .select(SESSION_COLUMNS)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(this.#map.session);
  }

  // ---- one-time tokens --------------------------------------------------------------------------------

  createOneTimeToken(input: NewOneTimeToken): Promise<void> {
    return this.#translatingConflicts(async () => {
      await this.#db
        .insertInto('one_time_tokens')
        .values({
          id: input.id,
          app_id: input.appId,
          user_id: input.userId,
          purpose: input.purpose,
          token_hash: input.tokenHash,
          data: JSON.stringify(input.data ?? {}),
          created_at: input.now,
          expires_at: input.expiresAt,
          consumed_at: null,
        })
        .execute();
    });
  }

  async consumeOneTimeToken(query: ConsumeOneTimeToken): Promise<OneTimeTokenRecord | null> {
    // One conditional UPDATE: the database lets exactly one concurrent caller change `consumed_at`.
    const row = await this.#db
      .updateTable('one_time_tokens')
      .set({ consumed_at: query.now })
      .where('id', '=', query.id)
      .where('token_hash', '=', query.tokenHash)
      .where('purpose', '=', query.purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', query.now)
      .returning(ONE_TIME_TOKEN_COLUMNS)
      .executeTakeFirst();
    return row ? this.#map.oneTimeToken(row) : null;
  }

  async deleteOneTimeTokens(userId: string, purpose: OneTimeTokenPurpose): Promise<number> {
    const result = await this.#db
      .deleteFrom('one_time_tokens')
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpiredOneTimeTokens(now: number): Promise<number> {
    const result = await this.#db.deleteFrom('one_time_tokens').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ---- API keys ---------------------------------------------------------------------------------------

  createApiKey(input: NewApiKey): Promise<ApiKeyRecord> {
    return this.#translatingConflicts(async () => {
      await this.#db
        .insertInto('api_keys')
        .values({
          id: input.id,
          app_id: input.appId,
          user_id: input.userId,
          kind: input.kind,
          name: input.name,
          key_hash: input.keyHash,
          disabled: this.#bool(false),
          created_at: input.now,
          last_used_at: null,
        })
        .execute();
      return {
        id: input.id,
        appId: input.appId,
        userId: input.userId,
        kind: input.kind,
        name: input.name,
        disabled: false,
        createdAt: input.now,
        lastUsedAt: null,
      };
    });
  }

  async getApiKey(userId: string, keyId: string): Promise<ApiKeyRecord | null> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select(API_KEY_COLUMNS)
      .where('id', '=', keyId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? this.#map.apiKey(row) : null;
  }

  async listApiKeys(userId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .select(API_KEY_COLUMNS)
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(this.#map.apiKey);
  }

  async listAppApiKeys(appId: string, kind: ApiKeyKind): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .select(API_KEY_COLUMNS)
      .where('app_id', '=', appId)
      .where('kind', '=', kind)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(this.#map.apiKey);
  }

  async findApiKeyByHash(appId: string, keyHash: string): Promise<ApiKeyRecord | null> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select(API_KEY_COLUMNS)
      .where('key_hash', '=', keyHash)
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return row ? this.#map.apiKey(row) : null;
  }

  async countApiKeys(userId: string): Promise<number> {
    const { count } = await this.#db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  async setApiKeyDisabled(userId: string, keyId: string, disabled: boolean): Promise<boolean> {
    const result = await this.#db
      .updateTable('api_keys')
      .set({ disabled: this.#bool(disabled) })
      .where('id', '=', keyId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteApiKey(userId: string, keyId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('api_keys')
      .where('id', '=', keyId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async touchApiKey(keyId: string, now: number): Promise<void> {
    await this.#db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).execute();
  }

  // ---- service configurations -------------------------------------------------------------------------

  async getServiceConfiguration(appId: string, service: string): Promise<JsonObject | null> {
    const row = await this.#db
      .selectFrom('service_configurations')
      .select('config')
      .where('app_id', '=', appId)
      .where('service', '=', service)
      .executeTakeFirst();
    return row ? this.#capabilities.decodeJson(row.config) : null;
  }

  async setServiceConfiguration(appId: string, service: string, config: JsonObject, now: number): Promise<void> {
    const json = JSON.stringify(config);
    await this.#db
      .insertInto('service_configurations')
      .values({ app_id: appId, service, config: json, updated_at: now })
      .onConflict((oc) => oc.columns(['app_id', 'service']).doUpdateSet({ config: json, updated_at: now }))
      .execute();
  }

  // ---- audit ------------------------------------------------------------------------------------------

  async recordAuditEvent(event: NewAuditEvent): Promise<void> {
    await this.#db
      .insertInto('audit_events')
      .values({
        id: objectId(event.now),
        app_id: event.appId,
        user_id: event.userId ?? null,
        type: event.type,
        ip: event.ip ?? null,
        detail: JSON.stringify(event.detail ?? {}),
        at: event.now,
      })
      .execute();
  }

  async listAuditEvents(appId: string, options?: { userId?: string; limit?: number }): Promise<AuditEventRecord[]> {
    const limit = Math.min(Math.max(Math.trunc(options?.limit ?? DEFAULT_AUDIT_LIMIT), 0), MAX_AUDIT_LIMIT);
    let query = this.#db.selectFrom('audit_events').selectAll().where('app_id', '=', appId);
    if (options?.userId !== undefined) query = query.where('user_id', '=', options.userId);
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(this.#map.auditEvent);
  }

  // ---- mail outbox ------------------------------------------------------------------------------------

  async enqueueMail(mail: NewMail, options?: { replaces?: boolean }): Promise<void> {
    const recipientLower = mail.recipient.toLowerCase();
    const insert = (db: Kysely<Database>) =>
      db
        .insertInto('mail_outbox')
        .values({
          id: mail.id,
          app_id: mail.appId,
          recipient: mail.recipient,
          recipient_lower: recipientLower,
          kind: mail.kind,
          payload: mail.payload,
          status: 'pending',
          attempts: 0,
          created_at: mail.now,
          next_attempt_at: mail.now,
          locked_until: null,
          claim: null,
          finished_at: null,
          last_error: null,
        })
        .execute();
    if (!options?.replaces) {
      await insert(this.#db);
      return;
    }
    await this.#atomically(async (tx) => {
      await tx.#db
        .deleteFrom('mail_outbox')
        .where('app_id', '=', mail.appId)
        .where('recipient_lower', '=', recipientLower)
        .where('kind', '=', mail.kind)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', mail.now)]))
        .execute();
      // One a sender holds may be on the wire already; if its attempt fails, it is not tried again.
      await tx.#db
        .updateTable('mail_outbox')
        .set({ status: 'dropped', payload: null, finished_at: mail.now, last_error: 'replaced by a newer mail' })
        .where('app_id', '=', mail.appId)
        .where('recipient_lower', '=', recipientLower)
        .where('kind', '=', mail.kind)
        .where('status', '=', 'pending')
        .execute();
      await insert(tx.#db);
    });
  }

  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<MailRecord[]> {
    const due = await this.#db
      .selectFrom('mail_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(Math.max(1, Math.trunc(limit)))
      .execute();
    const claimed: MailRecord[] = [];
    for (const { id } of due) {
      // A conditional UPDATE per mail: of several senders racing for it, exactly one changes the row.
      const claim = randomSecret(12);
      const row = await this.#db
        .updateTable('mail_outbox')
        .set((eb) => ({ claim, locked_until: now + leaseMs, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .returning(['id', 'app_id', 'recipient', 'kind', 'payload', 'attempts', 'created_at'])
        .executeTakeFirst();
      if (!row || row.payload === null) continue;
      claimed.push({
        id: row.id,
        appId: row.app_id,
        recipient: row.recipient,
        kind: row.kind,
        payload: row.payload,
        attempts: Number(row.attempts),
        createdAt: row.created_at,
        claim,
      });
    }
    return claimed;
  }

  async finishMail(id: string, claim: string, outcome: MailOutcome): Promise<boolean> {
    const result = await this.#db
      .updateTable('mail_outbox')
      .set({
        status: outcome.status,
        payload: null,
        finished_at: outcome.now,
        locked_until: null,
        claim: null,
        last_error: outcome.reason ?? null,
      })
      .where('id', '=', id)
      .where('claim', '=', claim)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async retryMail(id: string, claim: string, nextAttemptAt: number, error: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('mail_outbox')
      .set({ next_attempt_at: nextAttemptAt, locked_until: null, claim: null, last_error: error })
      .where('id', '=', id)
      .where('claim', '=', claim)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async countSentMail(appId: string, recipient: string, since: number): Promise<number> {
    const row = await this.#db
      .selectFrom('mail_outbox')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('app_id', '=', appId)
      .where('recipient_lower', '=', recipient.toLowerCase())
      .where('status', '=', 'sent')
      .where('finished_at', '>=', since)
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  async mailQueueDepth(): Promise<{ pending: number; oldestDueAt: number | null }> {
    const row = await this.#db
      .selectFrom('mail_outbox')
      .select((eb) => [eb.fn.countAll<number>().as('pending'), eb.fn.min('next_attempt_at').as('oldest')])
      .where('status', '=', 'pending')
      .executeTakeFirst();
    const oldest = row?.oldest;
    return {
      pending: Number(row?.pending ?? 0),
      oldestDueAt: oldest === null || oldest === undefined ? null : Number(oldest),
    };
  }

  async deleteFinishedMail(before: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('mail_outbox')
      .where('status', '!=', 'pending')
      .where('finished_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ---- internals --------------------------------------------------------------------------------------

  /**
   * Runs `work` atomically: in a new transaction at the root, in a savepoint on a transaction handle (so a
   * failure undoes only `work`, and the enclosing transaction can go on).
   */
  #atomically<T>(work: (tx: KyselyStorage) => Promise<T>): Promise<T> {
    const scope = this.#scope;
    if (scope === null) {
      return this.#db
        .transaction()
        .execute((trx) => work(this.#bound(trx, { tail: Promise.resolve(), counter: { value: 0 } })));
    }
    const run = async (): Promise<T> => {
      const name = sql.id(`gatehouse_sp_${++scope.counter.value}`);
      await sql`savepoint ${name}`.execute(this.#db);
      let result: T;
      try {
        result = await work(this.#bound(this.#db, { tail: Promise.resolve(), counter: scope.counter }));
      } catch (error) {
        await sql`rollback to savepoint ${name}`.execute(this.#db);
        await sql`release savepoint ${name}`.execute(this.#db);
        throw error;
      }
      await sql`release savepoint ${name}`.execute(this.#db);
      return result;
    };
    const done = scope.tail.then(run, run);
    scope.tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  #bound(db: Kysely<Database>, scope: SavepointScope): KyselyStorage {
    return new KyselyStorage(db, this.#capabilities, this.#map, this.#lifecycle, scope);
  }

  async #translatingConflicts<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw translateConflict(error, this.#capabilities);
    }
  }

  #rootOnly(operation: string): void {
    if (this.#scope !== null) throw new Error(`storage: ${operation}() is not available on a transaction handle`);
  }

  #bool(value: boolean) {
    return this.#capabilities.encodeBool(value);
  }

  async #updateUser(appId: string, userId: string, changes: Updateable<UsersTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('users')
      .set(changes)
      .where('id', '=', userId)
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  #emailValues(appId: string, userId: string, email: NewEmail, now: number) {
    return {
      app_id: appId,
      user_id: userId,
      address: email.address,
      address_lower: fold(email.address),
      verified: this.#bool(email.verified),
      created_at: now,
    };
  }

  #identityValues(appId: string, userId: string, identity: NewIdentity, now: number) {
    return {
      app_id: appId,
      user_id: userId,
      provider_type: identity.providerType,
      provider_id: identity.providerId,
      subject: identity.subject,
      data: JSON.stringify(identity.data ?? {}),
      created_at: now,
    };
  }

  #hydrateOne(row: UserRow): Promise<UserRecord> {
    return this.#hydrate([row]).then((users) => users[0]!);
  }

  /** Attaches emails and identities to user rows: two queries however many users. */
  async #hydrate(rows: UserRow[]): Promise<UserRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const [emailRows, identityRows] = await Promise.all([
      this.#db
        .selectFrom('user_emails')
        .select(['user_id', 'address', 'verified'])
        .where('user_id', 'in', ids)
        .orderBy('seq')
        .execute(),
      this.#db
        .selectFrom('identities')
        .select(['user_id', 'provider_type', 'provider_id', 'subject', 'data', 'created_at'])
        .where('user_id', 'in', ids)
        .orderBy('seq')
        .execute(),
    ]);
    const emails = groupBy(emailRows, (row) => row.user_id, this.#map.email);
    const identities = groupBy(identityRows, (row) => row.user_id, this.#map.identity);
    return rows.map((row) => this.#map.user(row, emails.get(row.id) ?? [], identities.get(row.id) ?? []));
  }
}

function identityRecord(identity: NewIdentity, now: number): IdentityRecord {
  return {
    id: identity.subject,
    providerType: identity.providerType,
    providerId: identity.providerId,
    subject: identity.subject,
    data: identity.data ?? {},
    createdAt: now,
  };
}

/**
 * The case-folded form stored in `*_lower` columns. JavaScript's `toLowerCase()` folds all of Unicode the
 * same way on every platform, unlike SQLite's ASCII-only `lower()`.
 */
function fold(text: string): string {
  return text.toLowerCase();
}

function groupBy<R, V>(rows: R[], key: (row: R) => string, map: (row: R) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(map(row));
    else groups.set(k, [map(row)]);
  }
  return groups;
}
