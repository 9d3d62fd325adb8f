import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type PasswordQueries = Pick<StorageTransaction, 'getPasswordHash' | 'setPasswordHash'>;

/**
 * Password hashes. The `passwords` table has no app column of its own: every query goes through the user's
 * row, so a user of another app has no password here.
 */
export function passwordQueries(s: Scope): PasswordQueries {
  return {
    async getPasswordHash(appId, userId) {
      const row = await s.db
        .selectFrom('passwords as p')
        .innerJoin('users as u', 'u.id', 'p.user_id')
        .select('p.hash')
        .where('p.user_id', '=', userId)
        .where('u.app_id', '=', appId)
        .executeTakeFirst();
      return row?.hash ?? null;
    },

    async setPasswordHash(appId, userId, hash, now) {
      // INSERT … SELECT from the user's row: one statement that writes nothing unless the app has the user.
      const result = await s.db
        .insertInto('passwords')
        .columns(['user_id', 'hash', 'updated_at'])
        .expression((eb) =>
          eb
            .selectFrom('users')
            .select([
              'id',
              eb.val(hash).as('hash'),
              // A bare parameter in a SELECT list has no type in PostgreSQL; say what it is.
              eb.cast<number>(eb.val(now), s.capabilities.types.millis).as('updated_at'),
            ])
            .where('id', '=', userId)
            .where('app_id', '=', appId),
        )
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash, updated_at: now }))
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
  };
}
