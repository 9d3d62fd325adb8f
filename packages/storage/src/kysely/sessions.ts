import type { SessionKind, SessionRecord, StorageTransaction } from '../contract.js';
import type { PreparedRead, Scope } from './scope.js';

export type SessionQueries = Pick<
  StorageTransaction,
  | 'createSession'
  | 'getSession'
  | 'getSessionWithUser'
  | 'findSessionByHash'
  | 'touchSession'
  | 'revokeSession'
  | 'revokeUserSessions'
  | 'listActiveSessions'
  | 'countActiveSessions'
>;

/** The columns of a session that leave the storage layer. */
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

/** Sessions: one per login, found by id or by the hash of the secret the client holds. */
export function sessionQueries(s: Scope): SessionQueries {
  return {
    createSession(input) {
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
      return s.translatingConflicts(async () => {
        await s.db
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
    },

    async getSession(appId, sessionId) {
      const [row] = await s.read(sessionById, appId, sessionId);
      return row ? s.map.session(row) : null;
    },

    async getSessionWithUser(appId, sessionId) {
      const [row] = await s.read(sessionWithUserById, appId, sessionId);
      if (!row) return null;
      return {
        session: s.map.session(row),
        user: s.map.userState({
          id: row.user_id,
          app_id: row.app_id,
          type: row.user_type,
          disabled: row.user_disabled,
          custom_data: row.user_custom_data,
        }),
      };
    },

    async findSessionByHash(appId, refreshHash) {
      const [row] = await s.read(sessionByHash, appId, refreshHash);
      return row ? s.map.session(row) : null;
    },

    async touchSession(appId, sessionId, now) {
      await s.db
        .updateTable('sessions')
        .set({ last_used_at: now })
        .where('id', '=', sessionId)
        .where('app_id', '=', appId)
        .where('last_used_at', '<', now)
        .execute();
    },

    async revokeSession(appId, sessionId, now) {
      const result = await s.db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('id', '=', sessionId)
        .where('app_id', '=', appId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async revokeUserSessions(appId, userId, now, exceptSessionId) {
      let query = s.db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now);
      if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async listActiveSessions(appId, userId, now) {
      const rows = await s.db
        .selectFrom('sessions')
        .select(SESSION_COLUMNS)
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(s.map.session);
    },

    async countActiveSessions(now) {
      const rows = await s.db
        .selectFrom('sessions')
        .select((eb) => ['app_id', 'kind', eb.fn.countAll<number | string | bigint>().as('count')])
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .groupBy(['app_id', 'kind'])
        .orderBy('app_id')
        .orderBy('kind')
        .execute();
      return rows.map((r) => ({ appId: r.app_id, kind: r.kind as SessionKind, count: Number(r.count) }));
    },
  };
}

// The reads of every refresh, profile and resume login, compiled once per storage (`Scope.read`).

const sessionById = ((db, appId: string, sessionId: string) =>
  db
    .selectFrom('sessions')
    .select(SESSION_COLUMNS)
    .where('id', '=', sessionId)
    .where('app_id', '=', appId)) satisfies PreparedRead<[string, string], unknown>;

const sessionWithUserById = ((db, appId: string, sessionId: string) =>
  db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(SESSION_COLUMNS.map((c) => `s.${c}` as const))
    .select(['u.type as user_type', 'u.disabled as user_disabled', 'u.custom_data as user_custom_data'])
    .where('s.id', '=', sessionId)
    .where('s.app_id', '=', appId)) satisfies PreparedRead<[string, string], unknown>;

const sessionByHash = ((db, appId: string, refreshHash: string) =>
  db
    .selectFrom('sessions')
    .select(SESSION_COLUMNS)
    .where('refresh_hash', '=', refreshHash)
    .where('app_id', '=', appId)) satisfies PreparedRead<[string, string], unknown>;
