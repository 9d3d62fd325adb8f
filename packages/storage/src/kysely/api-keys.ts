import type { StorageTransaction } from '../contract.js';
import type { PreparedRead, Scope } from './scope.js';

export type ApiKeyQueries = Pick<
  StorageTransaction,
  | 'createApiKey'
  | 'getApiKey'
  | 'listApiKeys'
  | 'listAppApiKeys'
  | 'findApiKeyByHash'
  | 'countApiKeys'
  | 'setApiKeyDisabled'
  | 'deleteApiKey'
  | 'touchApiKey'
>;

/** The columns of an API key that leave the storage layer (never its hash). */
const API_KEY_COLUMNS = ['id', 'app_id', 'user_id', 'kind', 'name', 'disabled', 'created_at', 'last_used_at'] as const;

/** API keys of users and server users, found by owner or by the hash of their secret. */
export function apiKeyQueries(s: Scope): ApiKeyQueries {
  return {
    createApiKey(input) {
      return s.translatingConflicts(async () => {
        await s.db
          .insertInto('api_keys')
          .values({
            id: input.id,
            app_id: input.appId,
            user_id: input.userId,
            kind: input.kind,
            name: input.name,
            key_hash: input.keyHash,
            disabled: s.bool(false),
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
    },

    async getApiKey(appId, userId, keyId) {
      const row = await s.db
        .selectFrom('api_keys')
        .select(API_KEY_COLUMNS)
        .where('id', '=', keyId)
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return row ? s.map.apiKey(row) : null;
    },

    async listApiKeys(appId, userId) {
      const rows = await s.db
        .selectFrom('api_keys')
        .select(API_KEY_COLUMNS)
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(s.map.apiKey);
    },

    async listAppApiKeys(appId, kind) {
      const rows = await s.db
        .selectFrom('api_keys')
        .select(API_KEY_COLUMNS)
        .where('app_id', '=', appId)
        .where('kind', '=', kind)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(s.map.apiKey);
    },

    async findApiKeyByHash(appId, keyHash) {
      const [row] = await s.read(apiKeyByHash, appId, keyHash);
      return row ? s.map.apiKey(row) : null;
    },

    async countApiKeys(appId, userId) {
      const { count } = await s.db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirstOrThrow();
      return Number(count);
    },

    async setApiKeyDisabled(appId, userId, keyId, disabled) {
      const result = await s.db
        .updateTable('api_keys')
        .set({ disabled: s.bool(disabled) })
        .where('id', '=', keyId)
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteApiKey(appId, userId, keyId) {
      const result = await s.db
        .deleteFrom('api_keys')
        .where('id', '=', keyId)
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async touchApiKey(appId, keyId, now) {
      await s.db
        .updateTable('api_keys')
        .set({ last_used_at: now })
        .where('id', '=', keyId)
        .where('app_id', '=', appId)
        .execute();
    },
  };
}

/** The read of every API-key login, compiled once per storage (`Scope.read`). */
const apiKeyByHash = ((db, appId: string, keyHash: string) =>
  db
    .selectFrom('api_keys')
    .select(API_KEY_COLUMNS)
    .where('key_hash', '=', keyHash)
    .where('app_id', '=', appId)) satisfies PreparedRead<[string, string], unknown>;
