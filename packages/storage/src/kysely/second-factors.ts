import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type SecondFactorQueries = Pick<
  StorageTransaction,
  | 'getSecondFactor'
  | 'setPendingSecondFactor'
  | 'enableSecondFactor'
  | 'useTotpStep'
  | 'useRecoveryCode'
  | 'countRecoveryCodes'
  | 'deleteSecondFactor'
>;

/**
 * TOTP factors and their recovery codes. Like passwords, the tables have no app column: every query goes
 * through the user's row, so a user of another app has nothing here.
 */
export function secondFactorQueries(s: Scope): SecondFactorQueries {
  const ofApp = (appId: string, userId: string) =>
    s.db.selectFrom('users').select('id').where('id', '=', userId).where('app_id', '=', appId);
  return {
    async getSecondFactor(appId, userId) {
      const row = await s.db
        .selectFrom('second_factors')
        .selectAll()
        .where('user_id', 'in', ofApp(appId, userId))
        .executeTakeFirst();
      return row
        ? {
            appId,
            userId,
            secret: row.secret,
            enabledAt: row.enabled_at === null ? null : Number(row.enabled_at),
            lastStep: row.last_step === null ? null : Number(row.last_step),
            createdAt: Number(row.created_at),
          }
        : null;
    },

    async setPendingSecondFactor(appId, userId, secret, now) {
      return s.atomically(async (t) => {
        const user = await t.db
          .selectFrom('users')
          .select('id')
          .where('id', '=', userId)
          .where('app_id', '=', appId)
          .executeTakeFirst();
        if (!user) return false;
        // Replaces only a pending factor: the conditional update of the conflict leaves an enabled one alone.
        const result = await t.db
          .insertInto('second_factors')
          .values({ user_id: userId, secret, enabled_at: null, last_step: null, created_at: now })
          .onConflict((oc) =>
            oc
              .column('user_id')
              .doUpdateSet({ secret, last_step: null, created_at: now })
              .where('second_factors.enabled_at', 'is', null),
          )
          .executeTakeFirst();
        return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
      });
    },

    async enableSecondFactor(appId, userId, input) {
      return s.atomically(async (t) => {
        const result = await t.db
          .updateTable('second_factors')
          .set({ enabled_at: input.now, last_step: input.step })
          .where('user_id', 'in', ofApp(appId, userId))
          .where('enabled_at', 'is', null)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) return false;
        await t.db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        if (input.recoveryCodeHashes.length > 0)
          await t.db
            .insertInto('recovery_codes')
            .values(input.recoveryCodeHashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null })))
            .execute();
        return true;
      });
    },

    async useTotpStep(appId, userId, step) {
      // One conditional UPDATE: the database lets exactly one caller move `last_step` to `step`.
      const result = await s.db
        .updateTable('second_factors')
        .set({ last_step: step })
        .where('user_id', 'in', ofApp(appId, userId))
        .where('enabled_at', 'is not', null)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async useRecoveryCode(appId, userId, codeHash, now) {
      const result = await s.db
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('user_id', 'in', ofApp(appId, userId))
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async countRecoveryCodes(appId, userId) {
      const row = await s.db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', 'in', ofApp(appId, userId))
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async deleteSecondFactor(appId, userId) {
      return s.atomically(async (t) => {
        await t.db.deleteFrom('recovery_codes').where('user_id', 'in', ofApp(appId, userId)).execute();
        const result = await t.db
          .deleteFrom('second_factors')
          .where('user_id', 'in', ofApp(appId, userId))
          .executeTakeFirst();
        return result.numDeletedRows > 0n;
      });
    },
  };
}
