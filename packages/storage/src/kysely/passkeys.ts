import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type PasskeyQueries = Pick<
  StorageTransaction,
  | 'createPasskey'
  | 'listPasskeys'
  | 'findPasskeyByCredentialId'
  | 'usePasskey'
  | 'renamePasskey'
  | 'deletePasskey'
  | 'deleteUserPasskeys'
  | 'createWebauthnChallenge'
  | 'consumeWebauthnChallenge'
  | 'deleteExpiredWebauthnChallenges'
>;

const CHALLENGE_COLUMNS = ['id', 'app_id', 'user_id', 'purpose', 'created_at', 'expires_at'] as const;

/** Passkeys (WebAuthn credentials) of users, and the single-use challenges of registering and signing in. */
export function passkeyQueries(s: Scope): PasskeyQueries {
  return {
    createPasskey(input) {
      return s.translatingConflicts(async () => {
        await s.db
          .insertInto('passkeys')
          .values({
            id: input.id,
            app_id: input.appId,
            user_id: input.userId,
            credential_id: input.credentialId,
            public_key: input.publicKey,
            counter: input.counter,
            transports: input.transports.join(','),
            name: input.name,
            device_type: input.deviceType,
            backed_up: s.bool(input.backedUp),
            created_at: input.now,
            last_used_at: null,
          })
          .execute();
        return {
          id: input.id,
          appId: input.appId,
          userId: input.userId,
          credentialId: input.credentialId,
          publicKey: input.publicKey,
          counter: input.counter,
          transports: [...input.transports],
          name: input.name,
          deviceType: input.deviceType,
          backedUp: input.backedUp,
          createdAt: input.now,
          lastUsedAt: null,
        };
      });
    },

    async listPasskeys(appId, userId) {
      const rows = await s.db
        .selectFrom('passkeys')
        .selectAll()
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(s.map.passkey);
    },

    async findPasskeyByCredentialId(appId, credentialId) {
      const row = await s.db
        .selectFrom('passkeys')
        .selectAll()
        .where('credential_id', '=', credentialId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return row ? s.map.passkey(row) : null;
    },

    async usePasskey(appId, id, expectedCounter, newCounter, now) {
      // One conditional UPDATE: of concurrent sign-ins that read the same counter, exactly one moves it.
      const result = await s.db
        .updateTable('passkeys')
        .set({ counter: newCounter, last_used_at: now })
        .where('id', '=', id)
        .where('app_id', '=', appId)
        .where('counter', '=', expectedCounter)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async renamePasskey(appId, userId, id, name) {
      const result = await s.db
        .updateTable('passkeys')
        .set({ name })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deletePasskey(appId, userId, id) {
      const result = await s.db
        .deleteFrom('passkeys')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async deleteUserPasskeys(appId, userId) {
      const result = await s.db
        .deleteFrom('passkeys')
        .where('user_id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    createWebauthnChallenge(input) {
      return s.translatingConflicts(async () => {
        await s.db
          .insertInto('webauthn_challenges')
          .values({
            id: input.id,
            app_id: input.appId,
            user_id: input.userId,
            purpose: input.purpose,
            challenge_hash: input.challengeHash,
            created_at: input.now,
            expires_at: input.expiresAt,
          })
          .execute();
      });
    },

    async consumeWebauthnChallenge(query) {
      // One DELETE … RETURNING: the database lets exactly one concurrent caller remove the row.
      let statement = s.db
        .deleteFrom('webauthn_challenges')
        .where('challenge_hash', '=', query.challengeHash)
        .where('app_id', '=', query.appId)
        .where('purpose', '=', query.purpose)
        .where('expires_at', '>', query.now);
      if (query.userId !== undefined && query.userId !== null)
        statement = statement.where('user_id', '=', query.userId);
      const row = await statement.returning(CHALLENGE_COLUMNS).executeTakeFirst();
      return row ? s.map.webauthnChallenge(row) : null;
    },

    async deleteExpiredWebauthnChallenges(now) {
      const result = await s.db.deleteFrom('webauthn_challenges').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
