import { GatehouseError, type JsonObject, objectId } from '@gatehouse-auth/core';
import { isStorageConflictError, type UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, ServerContext } from '../context.js';
import { prepareNewUser } from '../hooks/index.js';
import { checkPassword } from '../passwords/index.js';
import * as userpass from '../providers/local-userpass/index.js';

/**
 * Account changes only the server makes — Meteor's server-side `Accounts.*` (spec meteor-accounts §4.4):
 * create a user without logging in, set a password, send enrollment / verification / reset mails, add,
 * replace and remove emails, set the username. The operator reaches them through `gatehouse users …` and
 * code through `gatehouse.accounts(appId)`; clients never do (they have their own, narrower, routes).
 *
 * Every change tells live DDP connections of the user (`ctx.changes`), and is audited.
 *
 * @example
 * ```ts
 * const accounts = serverAccounts(ctx, app);
 * const userId = await accounts.createUser({ email: 'ada@example.com', profile: { name: 'Ada' } });
 * await accounts.sendEnrollmentEmail(userId); // Ada chooses her password from the link
 * ```
 */
export function serverAccounts(ctx: ServerContext, app: AppSettings) {
  const userOf = async (userId: string): Promise<UserRecord> => {
    const user = typeof userId === 'string' ? await ctx.storage.getUser(app.id, userId) : null;
    // Never ambiguous on the server side (spec §2.4): the operator is entitled to know.
    if (!user) throw new GatehouseError('UserNotFound', 'User not found');
    return user;
  };
  const changed = async (userId: string, type: string, detail?: JsonObject) => {
    ctx.changes.userChanged(userId);
    await ctx.storage.recordAuditEvent({ appId: app.id, userId, type, now: ctx.now(), ...(detail ? { detail } : {}) });
  };
  const policy = () => {
    const settings = userpass.providerSettings(app);
    return {
      minLength: settings.minPasswordLength,
      maxLength: settings.maxPasswordLength,
      rejectCommon: settings.rejectCommonPasswords,
    };
  };
  /** The user's address matching `email` in any case, or — when `email` is not given — the one `pick` finds. */
  const addressOf = (user: UserRecord, email: string | undefined, pick: (u: UserRecord) => string | undefined) => {
    const address =
      email === undefined
        ? pick(user)
        : user.emails.find((e) => e.address.toLowerCase() === email.toLowerCase())?.address;
    if (address === undefined) throw new GatehouseError('BadRequest', 'No such email for user.');
    return address;
  };
  const conflict = (error: unknown): never => {
    if (isStorageConflictError(error) && (error.target === 'email' || error.target === 'username'))
      throw new GatehouseError(
        'AccountNameInUse',
        error.target === 'email' ? 'Email already exists.' : 'Username already exists.',
      );
    throw error;
  };

  return {
    /**
     * Makes a user and returns its id, without logging in and without mail (Meteor's server
     * `Accounts.createUser`). `forbidClientAccountCreation` does not apply; the email-domain rule and the
     * `onCreateUser` / `validateNewUser` hooks do. Without a password, send an enrollment mail next.
     */
    async createUser(input: {
      username?: string;
      email?: string;
      password?: string;
      profile?: JsonObject;
    }): Promise<string> {
      if (!input.username && !input.email) throw new GatehouseError('BadRequest', 'Need to set a username or email');
      const username = input.username ? userpass.normalizeUsername(input.username) : null;
      const email = input.email ? userpass.normalizeEmail(input.email) : null;
      const passwordHash =
        input.password === undefined ? null : await ctx.passwords.hash(checkPassword(input.password, policy()));
      const now = ctx.now();
      const id = objectId(now);
      const emails = email ? [{ address: email, verified: false }] : [];
      const given = input.profile ?? {};
      if (JSON.stringify(given).length > 16_384)
        throw new GatehouseError('BadRequest', 'profile is larger than 16 KiB');
      const profile = await prepareNewUser(
        ctx,
        app,
        { username, email, profile: given },
        { _id: id, ...(username ? { username } : {}), emails, profile: given, createdAt: new Date(now) },
        { byServer: true },
      );
      try {
        await ctx.storage.createUser({
          id,
          appId: app.id,
          username,
          profile,
          emails,
          identities: [{ providerType: userpass.PROVIDER, providerId: userpass.PROVIDER, subject: objectId(now) }],
          passwordHash,
          now,
        });
      } catch (error) {
        conflict(error);
      }
      await changed(id, 'user-created', { by: 'server' });
      return id;
    },

    /**
     * Sets the user's password (Meteor's `setPasswordAsync`): the policy applies, pending reset and enrollment
     * links stop working, and — unless `logout: false` — every session ends.
     */
    async setPassword(userId: string, password: string, { logout = true }: { logout?: boolean } = {}) {
      const user = await userOf(userId);
      const hash = await ctx.passwords.hash(checkPassword(password, policy()));
      const now = ctx.now();
      await ctx.storage.transaction(async (tx) => {
        await tx.setPasswordHash(app.id, user.id, hash, now);
        await tx.deleteOneTimeTokens(app.id, user.id, 'reset-password');
        await tx.deleteOneTimeTokens(app.id, user.id, 'enroll');
        if (logout) await tx.revokeUserSessions(app.id, user.id, now);
        // A user who had another way in (OAuth, imported) now also has an email/password identity.
        if (!user.identities.some((i) => i.providerType === userpass.PROVIDER))
          await tx.addIdentity(
            app.id,
            user.id,
            { providerType: userpass.PROVIDER, providerId: userpass.PROVIDER, subject: objectId(now) },
            now,
          );
      });
      await changed(user.id, 'password-set', { logout });
    },

    /** Mails an enrollment link (Meteor's `sendEnrollmentEmail`) to `email`, or to the first address. */
    async sendEnrollmentEmail(userId: string, email?: string): Promise<string> {
      const user = await userOf(userId);
      const address = addressOf(user, email, (u) => u.emails[0]?.address);
      userpass.mailAccountLink(ctx, app, user, 'enroll', address);
      return address;
    },

    /** Mails a password-reset link to `email`, or to the first address. */
    async sendResetPasswordEmail(userId: string, email?: string): Promise<string> {
      const user = await userOf(userId);
      const address = addressOf(user, email, (u) => u.emails[0]?.address);
      userpass.mailAccountLink(ctx, app, user, 'reset-password', address);
      return address;
    },

    /** Mails a verification link to `email`, or to the first unverified address (Meteor's default). */
    async sendVerificationEmail(userId: string, email?: string): Promise<string> {
      const user = await userOf(userId);
      if (email === undefined && !user.emails.some((e) => !e.verified))
        throw new GatehouseError('BadRequest', 'That user has no unverified email addresses.');
      const address = addressOf(user, email, (u) => u.emails.find((e) => !e.verified)?.address);
      userpass.mailAccountLink(ctx, app, user, 'confirm-email', address);
      return address;
    },

    /**
     * Adds an email (Meteor's `addEmailAsync`). When the user already has it in another letter case, that
     * entry is replaced — case and `verified` — instead; an address another user has is refused.
     */
    async addEmail(userId: string, email: string, verified = false): Promise<void> {
      const user = await userOf(userId);
      const address = userpass.normalizeEmail(email);
      const existing = user.emails.find((e) => e.address.toLowerCase() === address.toLowerCase());
      try {
        if (existing) await ctx.storage.replaceEmail(app.id, user.id, existing.address, { address, verified });
        else await ctx.storage.addEmail(app.id, user.id, { address, verified }, ctx.now());
      } catch (error) {
        conflict(error);
      }
      await changed(user.id, 'email-added');
    },

    /**
     * Replaces `oldEmail` with `newEmail` in place (Meteor's `replaceEmailAsync`); the new address is
     * unverified unless `verified`. Pending links for the old address stop working.
     */
    async replaceEmail(userId: string, oldEmail: string, newEmail: string, verified = false): Promise<void> {
      const user = await userOf(userId);
      const address = userpass.normalizeEmail(newEmail);
      let replaced = false;
      try {
        replaced = await ctx.storage.replaceEmail(app.id, user.id, oldEmail, { address, verified });
      } catch (error) {
        conflict(error);
      }
      if (!replaced) throw new GatehouseError('NotFound', 'No user could be found with old email');
      await forgetLinks(user.id);
      await changed(user.id, 'email-replaced');
    },

    /** Removes an email (Meteor's `removeEmail`); links sent to it stop working. */
    async removeEmail(userId: string, email: string): Promise<void> {
      const user = await userOf(userId);
      if (typeof email !== 'string' || !(await ctx.storage.removeEmail(app.id, user.id, email)))
        throw new GatehouseError('BadRequest', 'No such email for user.');
      await forgetLinks(user.id);
      await changed(user.id, 'email-removed');
    },

    /** Sets the username (Meteor's `setUsername`): unique in the app in any letter case. */
    async setUsername(userId: string, username: string): Promise<void> {
      const user = await userOf(userId);
      const name = userpass.normalizeUsername(username);
      try {
        await ctx.storage.setUsername(app.id, user.id, name, ctx.now());
      } catch (error) {
        conflict(error);
      }
      await changed(user.id, 'username-set');
    },
  };

  /**
   * Links name an address; after that address left the user, its pending confirmation, reset and enrollment
   * links go too (the storage keeps no index by address, so all of the user's are voided — a new one is a
   * mail away).
   */
  async function forgetLinks(userId: string): Promise<void> {
    for (const purpose of ['confirm-email', 'reset-password', 'enroll'] as const)
      await ctx.storage.deleteOneTimeTokens(app.id, userId, purpose);
  }
}

export type ServerAccounts = ReturnType<typeof serverAccounts>;
