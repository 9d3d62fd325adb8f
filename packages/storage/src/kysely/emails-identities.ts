import type { IdentityRecord, NewEmail, NewIdentity, StorageTransaction } from '../contract.js';
import { fold, type Scope } from './scope.js';

export type EmailAndIdentityQueries = Pick<
  StorageTransaction,
  'setEmailVerified' | 'addEmail' | 'replaceEmail' | 'removeEmail' | 'addIdentity' | 'removeIdentity'
>;

/**
 * A user's email addresses and linked identities. Both tables reference `users (id, app_id)`, so a row always
 * carries its user's app, and every query here matches that app.
 */
export function emailAndIdentityQueries(s: Scope): EmailAndIdentityQueries {
  return {
    async setEmailVerified(appId, userId, address, verified) {
      const result = await s.db
        .updateTable('user_emails')
        .set({ verified: s.bool(verified) })
        .where('app_id', '=', appId)
        .where('address_lower', '=', fold(address))
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    addEmail(appId, userId, email, now) {
      return s.translatingConflicts(async () => {
        await s.db
          .insertInto('user_emails')
          .values(emailValues(s, appId, userId, email, now))
          .execute();
      });
    },

    replaceEmail(appId, userId, oldAddress, email) {
      return s.translatingConflicts(async () => {
        const result = await s.db
          .updateTable('user_emails')
          .set({ address: email.address, address_lower: fold(email.address), verified: s.bool(email.verified) })
          .where('app_id', '=', appId)
          .where('address_lower', '=', fold(oldAddress))
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      });
    },

    async removeEmail(appId, userId, address) {
      const result = await s.db
        .deleteFrom('user_emails')
        .where('app_id', '=', appId)
        .where('address_lower', '=', fold(address))
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    addIdentity(appId, userId, identity, now) {
      return s.translatingConflicts(async () => {
        await s.db
          .insertInto('identities')
          .values(identityValues(appId, userId, identity, now))
          .execute();
        return identityRecord(identity, now);
      });
    },

    async removeIdentity(appId, userId, providerId, subject) {
      const result = await s.db
        .deleteFrom('identities')
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .where('provider_id', '=', providerId)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

/** The `user_emails` row of one address (its `seq`, and so its position, is assigned on insert). */
export function emailValues(s: Scope, appId: string, userId: string, email: NewEmail, now: number) {
  return {
    app_id: appId,
    user_id: userId,
    address: email.address,
    address_lower: fold(email.address),
    verified: s.bool(email.verified),
    created_at: now,
  };
}

/** The `identities` row of one identity. */
export function identityValues(appId: string, userId: string, identity: NewIdentity, now: number) {
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

/** The record of an identity as just stored. */
export function identityRecord(identity: NewIdentity, now: number): IdentityRecord {
  return {
    id: identity.subject,
    providerType: identity.providerType,
    providerId: identity.providerId,
    subject: identity.subject,
    data: identity.data ?? {},
    createdAt: now,
  };
}
