import { GatehouseError, type JsonObject, objectId } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { servicesOfUser } from '../oauth/meteor/external-user.js';
import { createAccount, nameTaken } from './create.js';
import { addEmail, addressOf, removeEmail, replaceEmail, sendVerificationEmail } from './emails.js';
import { normalizeUsername } from './identifiers.js';
import { type ImportedAccount, type ImportOutcome, importAccount } from './import.js';
import { mailAccountLink } from './links.js';
import { listPasskeys, type PasskeyInfo, removeAllPasskeys, removePasskey } from './passkeys.js';
import { PASSWORD_PROVIDER } from './password-rules.js';
import { requestLoginToken } from './passwordless.js';
import { setPassword } from './passwords.js';
import { disableTwoFactor, hasTwoFactor, recoveryCodesLeft } from './two-factor.js';
import { setCustomData } from './users.js';

/**
 * `info` names who asks (the admin API passes the request and its admin key; the audit log records them).
 *
 * Account changes only the server makes — Meteor's server-side `Accounts.*`: create a user without logging in,
 * set a password, send enrollment / verification / reset mails, add, replace and remove emails, set the
 * username, list and remove passkeys. The operator reaches them through `gatehouse users …` and code through `gatehouse.accounts(appId)`;
 * clients never do (they have their own, narrower, routes). Each is one call into the account core, so the
 * same rules, hooks and events apply as for every other front.
 *
 * @example
 * ```ts
 * const accounts = serverAccounts(ctx, app);
 * const userId = await accounts.createUser({ email: 'ada@example.com', profile: { name: 'Ada' } });
 * await accounts.sendEnrollmentEmail(userId); // Ada chooses her password from the link
 * ```
 */
export function serverAccounts(ctx: ServerContext, app: AppSettings, info: RequestInfo | null = null) {
  const userOf = async (userId: string): Promise<UserRecord> => {
    const user = typeof userId === 'string' ? await ctx.storage.getUser(app.id, userId) : null;
    // Never ambiguous on the server side: the operator is entitled to know.
    if (!user) throw new GatehouseError('UserNotFound', 'User not found');
    return user;
  };
  const existing = (error: unknown): never => {
    const translated = nameTaken(error);
    if (translated instanceof GatehouseError && translated.code === 'AccountNameInUse')
      throw new GatehouseError(
        'AccountNameInUse',
        translated.details?.taken === 'email' ? 'Email already exists.' : 'Username already exists.',
        { ...(translated.details ? { details: { ...translated.details } } : {}) },
      );
    throw translated;
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
      try {
        const user = await createAccount(
          ctx,
          app,
          {
            username: input.username ?? null,
            email: input.email ?? null,
            password: input.password ?? null,
            ...(input.profile ? { profile: input.profile } : {}),
            identity: { providerType: PASSWORD_PROVIDER, providerId: PASSWORD_PROVIDER, subject: objectId(ctx.now()) },
          },
          'server',
          info,
        );
        return user.id;
      } catch (error) {
        return existing(error);
      }
    },

    /**
     * Sets the user's password (Meteor's `setPasswordAsync`): the policy applies, pending reset and enrollment
     * links stop working, and — unless `logout: false` — every session ends.
     */
    async setPassword(userId: string, password: string, options: { logout?: boolean } = {}): Promise<void> {
      await setPassword(ctx, app, await userOf(userId), password, options, info);
    },

    /**
     * Brings over a user of another system (App Services) with its id, identities and email, without a
     * password; a user with that id already there is left as it is (docs/migrating-from-app-services.md).
     */
    async importUser(input: ImportedAccount): Promise<ImportOutcome> {
      try {
        return await importAccount(ctx, app, input);
      } catch (error) {
        return existing(error);
      }
    },

    /**
     * Replaces the user's stored custom data (what access tokens carry as `user_data` from the next refresh,
     * unless the config module has a `customData` hook); at most 16 KiB.
     */
    async setCustomData(userId: string, customData: JsonObject): Promise<void> {
      await setCustomData(ctx, await userOf(userId), customData);
    },

    /** Mails an enrollment link (Meteor's `sendEnrollmentEmail`) to `email`, or to the first address. */
    async sendEnrollmentEmail(userId: string, email?: string): Promise<string> {
      const user = await userOf(userId);
      const address = addressOf(user, email);
      mailAccountLink(ctx, app, user, 'enroll', address);
      return address;
    },

    /** Mails a password-reset link to `email`, or to the first address. */
    async sendResetPasswordEmail(userId: string, email?: string): Promise<string> {
      const user = await userOf(userId);
      const address = addressOf(user, email);
      mailAccountLink(ctx, app, user, 'reset-password', address);
      return address;
    },

    /** Mails a verification link to `email`, or to the first unverified address (Meteor's default). */
    async sendVerificationEmail(userId: string, email?: string): Promise<string> {
      return sendVerificationEmail(ctx, app, await userOf(userId), email);
    },

    /**
     * Adds an email (Meteor's `addEmailAsync`). When the user already has it in another letter case, that
     * entry is replaced — case and `verified` — instead; an address another user has is refused.
     */
    async addEmail(userId: string, email: string, verified = false): Promise<void> {
      try {
        await addEmail(ctx, app, await userOf(userId), email, verified, info);
      } catch (error) {
        existing(error);
      }
    },

    /**
     * Replaces `oldEmail` with `newEmail` in place (Meteor's `replaceEmailAsync`); the new address is
     * unverified unless `verified`. Pending links for the old address stop working.
     */
    async replaceEmail(userId: string, oldEmail: string, newEmail: string, verified = false): Promise<void> {
      try {
        await replaceEmail(ctx, app, await userOf(userId), oldEmail, newEmail, verified, info);
      } catch (error) {
        existing(error);
      }
    },

    /** Removes an email (Meteor's `removeEmail`); links sent to it stop working. */
    async removeEmail(userId: string, email: string): Promise<void> {
      await removeEmail(ctx, app, await userOf(userId), email, info);
    },

    /** Sets the username (Meteor's `setUsername`): unique in the app in any letter case or width. */
    async setUsername(userId: string, username: string): Promise<void> {
      const user = await userOf(userId);
      const name = normalizeUsername(username);
      try {
        await ctx.storage.setUsername(app.id, user.id, name, ctx.now());
      } catch (error) {
        existing(error);
      }
      await ctx.events.emit({
        type: 'username-set',
        appId: app.id,
        userId: user.id,
        ...requestFacts(info),
        detail: { by: info?.actor ? 'admin' : 'server' },
      });
    },

    /**
     * Mails the user a passwordless login code and link (Meteor's `Accounts.sendLoginTokenEmail`, which the
     * server reaches through `requestLoginTokenForUser`): to `email` if given, else to each of the user's
     * addresses. Needs the app's `accounts.passwordless`.
     */
    async sendLoginTokenEmail(userId: string, email?: string): Promise<void> {
      const user = await userOf(userId);
      await requestLoginToken(
        ctx,
        app,
        { selector: email ? { email } : { id: user.id }, userCreationDisabled: true },
        { address: null, userAgent: null },
      );
    },

    /** Whether the user has two-factor on, and how many recovery codes are left. */
    async twoFactorStatus(userId: string): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
      const user = await userOf(userId);
      const enabled = await hasTwoFactor(ctx, app, user.id);
      return { enabled, recoveryCodesLeft: enabled ? await recoveryCodesLeft(ctx, app, user.id) : 0 };
    },

    /**
     * Turns the user's two-factor off and forgets its secret and recovery codes — for a user who lost their
     * phone and their codes. `false` when it was not set up. The user's sessions stay.
     */
    async resetTwoFactor(userId: string): Promise<boolean> {
      const user = await userOf(userId);
      return disableTwoFactor(ctx, app, user.id, { address: null }, 'operator');
    },

    /**
     * The user's external services as Meteor's `user.services` has them — `{ github: { id, accessToken, … } }`,
     * tokens decrypted — for server code that calls the service's API on the user's behalf. Never sent to
     * clients, never printed by the CLI.
     */
    async serviceData(userId: string): Promise<Record<string, JsonObject>> {
      return servicesOfUser(ctx, app, await userOf(userId));
    },

    /** The user's passkeys, oldest first (names, ids and use — never keys). */
    async listPasskeys(userId: string): Promise<PasskeyInfo[]> {
      return listPasskeys(ctx, await userOf(userId));
    },

    /**
     * Removes one passkey of the user (`PasskeyNotFound` if the user has none by that id), or with `'all'`
     * every one — for a user who lost the device. Returns how many were removed.
     */
    async removePasskeys(userId: string, passkeyId: string | 'all'): Promise<number> {
      const user = await userOf(userId);
      const info = { address: null, userAgent: null };
      if (passkeyId === 'all') return removeAllPasskeys(ctx, user, info);
      await removePasskey(ctx, user, passkeyId, info);
      return 1;
    },
  };
}

export type ServerAccounts = ReturnType<typeof serverAccounts>;
