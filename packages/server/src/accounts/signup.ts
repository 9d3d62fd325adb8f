import { GatehouseError, isGatehouseError, type JsonObject, objectId } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { createAccount } from './create.js';
import { findAccountByEmail, runConfirmation } from './emails.js';
import { normalizeEmail } from './identifiers.js';
import { mailAccountLink } from './links.js';
import { PASSWORD_PROVIDER, type PasswordInput, passwordSettings } from './password-rules.js';

/** A client's sign-up: App Services `register`, Meteor's `createUser`. */
export interface SignUp {
  username?: string | undefined;
  email?: string | undefined;
  password: PasswordInput;
  profile?: JsonObject | undefined;
  /** Anything else the client sent (Meteor passes it to `onCreateUser`). */
  options?: Record<string, unknown>;
}

/** What became of a sign-up. */
export type SignUpOutcome =
  | { created: true; user: UserRecord; confirmed: boolean }
  /** The address was taken and the app hides that (`preventAccountEnumeration`): its owner was mailed instead. */
  | { created: false };

/**
 * Signs a client up with a password — the one sign-up of every front. The app must have email/password on
 * and client sign-ups allowed; the account is created through {@link createAccount} (policy, hooks, limits);
 * then, by the app's `confirmation` mode, nothing more (`auto`), a confirmation link is mailed (`email`), or
 * the app's function decides (`function`). With `accounts.sendVerificationEmail` (Meteor's option) an `auto`
 * app mails a verification link too; addresses stay unverified until a link is followed, whatever the mode.
 *
 * A taken name is `AccountNameInUse` — as both App Services and Meteor answered — unless the app sets
 * `preventAccountEnumeration`: then a taken *address* answers as a new one would, and its owner gets a mail
 * saying someone tried to sign up with it (a taken *username* cannot be hidden: the person choosing it must
 * choose another).
 */
export async function signUp(
  ctx: ServerContext,
  app: AppSettings,
  input: SignUp,
  info: RequestInfo | null,
): Promise<SignUpOutcome> {
  const settings = passwordSettings(app);
  if (input.username === undefined && input.email === undefined)
    throw new GatehouseError('BadRequest', 'need to set a username or email');
  let user: UserRecord;
  try {
    user = await createAccount(
      ctx,
      app,
      {
        username: input.username ?? null,
        email: input.email ?? null,
        password: input.password,
        ...(input.profile ? { profile: input.profile } : {}),
        identity: { providerType: PASSWORD_PROVIDER, providerId: PASSWORD_PROVIDER, subject: objectId(ctx.now()) },
        ...(input.options ? { options: input.options } : {}),
      },
      'signup',
      info,
    );
  } catch (error) {
    if (
      app.preventAccountEnumeration &&
      input.email &&
      isGatehouseError(error) &&
      error.code === 'AccountNameInUse' &&
      error.details?.taken === 'email'
    ) {
      await tellOwnerOfSignUpAttempt(ctx, app, input.email, info);
      return { created: false };
    }
    throw error;
  }
  const email = user.emails[0]?.address;
  // Confirmation is of an email address: an account with a username only has nothing to confirm.
  if (email === undefined) return { created: true, user, confirmed: true };
  if (settings.confirmation === 'email') mailAccountLink(ctx, app, user, 'confirm-email', email, { info });
  else if (settings.confirmation === 'function')
    await runConfirmation(ctx, app, user, email, { deleteOnFailure: true }, info);
  else if (app.accounts.sendVerificationEmail) mailAccountLink(ctx, app, user, 'confirm-email', email, { info });
  const fresh = settings.confirmation === 'function' ? await ctx.storage.getUser(app.id, user.id) : user;
  const confirmed = settings.confirmation === 'auto' || (fresh?.emails.some((e) => e.verified) ?? false);
  return { created: true, user: fresh ?? user, confirmed };
}

/**
 * With `preventAccountEnumeration`, a sign-up with a taken address is answered like any other; the address's
 * owner learns of it by mail instead (and that they can reset their password if it was them).
 */
async function tellOwnerOfSignUpAttempt(
  ctx: ServerContext,
  app: AppSettings,
  rawEmail: string,
  info: RequestInfo | null,
): Promise<void> {
  const account = await findAccountByEmail(ctx, app, normalizeEmail(rawEmail));
  if (!account) return;
  // The mail carries a reset link: only the mailbox's owner gets it, and it is what they most likely need.
  mailAccountLink(ctx, app, account.user, 'reset-password', account.email.address, { kind: 'signup-attempt', info });
}
