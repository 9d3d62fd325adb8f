import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type AdminKeyQueries = Pick<
  StorageTransaction,
  'createAdminKey' | 'findAdminKeyByHash' | 'listAdminKeys' | 'revokeAdminKey' | 'touchAdminKey'
>;

/** The columns of an admin key that leave the storage layer (never its hash). */
const ADMIN_KEY_COLUMNS = ['id', 'app_id', 'name', 'created_at', 'last_used_at', 'revoked_at'] as const;

/** Keys of the admin API: deployment-wide rows, found by the hash of their secret. */
export function adminKeyQueries(s: Scope): AdminKeyQueries {
  return {
    createAdminKey(input) {
      return s.translatingConflicts(async () => {
        await s.db
          .insertInto('admin_keys')
          .values({
            id: input.id,
            app_id: input.appId,
            name: input.name,
            key_hash: input.keyHash,
            created_at: input.now,
            last_used_at: null,
            revoked_at: null,
          })
          .execute();
        return {
          id: input.id,
          appId: input.appId,
          name: input.name,
          createdAt: input.now,
          lastUsedAt: null,
          revokedAt: null,
        };
      });
    },

    async findAdminKeyByHash(keyHash) {
      const row = await s.db
        .selectFrom('admin_keys')
        .select(ADMIN_KEY_COLUMNS)
        .where('key_hash', '=', keyHash)
        .executeTakeFirst();
      return row ? s.map.adminKey(row) : null;
    },

    async listAdminKeys() {
      const rows = await s.db
        .selectFrom('admin_keys')
        .select(ADMIN_KEY_COLUMNS)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(s.map.adminKey);
    },

    async revokeAdminKey(keyId, now) {
      const result = await s.db
        .updateTable('admin_keys')
        .set({ revoked_at: now })
        .where('id', '=', keyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async touchAdminKey(keyId, now) {
      await s.db.updateTable('admin_keys').set({ last_used_at: now }).where('id', '=', keyId).execute();
    },
  };
}
