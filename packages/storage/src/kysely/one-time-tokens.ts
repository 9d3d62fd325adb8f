import type { ConsumeOneTimeToken, OneTimeTokenRecord, StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type OneTimeTokenQueries = Pick<
  StorageTransaction,
  | 'createOneTimeToken'
  | 'consumeOneTimeToken'
  | 'consumeUserOneTimeToken'
  | 'listOneTimeTokens'
  | 'deleteOneTimeTokens'
  | 'deleteExpiredOneTimeTokens'
>;

/** The columns of a one-time token that leave the storage layer (never its hash). */
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

/** One-time tokens: email confirmation, password reset, enrollment, OAuth state. */
export function oneTimeTokenQueries(s: Scope): OneTimeTokenQueries {
  /**
   * Spends an unspent, unexpired token found by its id or its user, in one conditional UPDATE: the database
   * lets exactly one concurrent caller change `consumed_at`.
   */
  const spend = async (
    query: Omit<ConsumeOneTimeToken, 'id'>,
    key: 'id' | 'user_id',
    value: string,
  ): Promise<OneTimeTokenRecord | null> => {
    const row = await s.db
      .updateTable('one_time_tokens')
      .set({ consumed_at: query.now })
      .where(key, '=', value)
      .where('app_id', '=', query.appId)
      .where('token_hash', '=', query.tokenHash)
      .where('purpose', '=', query.purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', query.now)
      .returning(ONE_TIME_TOKEN_COLUMNS)
      .executeTakeFirst();
    return row ? s.map.oneTimeToken(row) : null;
  };

  return {
    createOneTimeToken(input) {
      return s.translatingConflicts(async () => {
        await s.db
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
    },

    consumeOneTimeToken: (query) => spend(query, 'id', query.id),
    consumeUserOneTimeToken: (query) => spend(query, 'user_id', query.userId),

    async listOneTimeTokens(appId, userId, purpose) {
      const rows = await s.db
        .selectFrom('one_time_tokens')
        .select(ONE_TIME_TOKEN_COLUMNS)
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .where('consumed_at', 'is', null)
        .orderBy('created_at')
        .execute();
      return rows.map((row) => s.map.oneTimeToken(row));
    },

    async deleteOneTimeTokens(appId, userId, purpose) {
      const result = await s.db
        .deleteFrom('one_time_tokens')
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .where('purpose', '=', purpose)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async deleteExpiredOneTimeTokens(now) {
      const result = await s.db.deleteFrom('one_time_tokens').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
