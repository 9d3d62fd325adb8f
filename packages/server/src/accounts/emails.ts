import { GatehouseError } from '@gatehouse-auth/core';
import type { EmailRecord, StorageTransaction, UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { functionStatus, runConfigFunction } from '../functions/index.js';
import { nameTaken } from './create.js';
import { normalizeEmail } from './identifiers.js';
import { attemptLimits } from './limits.js';
import { consumeLinkToken, forgetLinks, issueLinkToken, type LinkToken, mailAccountLink } from './links.js';
import { PASSWORD_PROVIDER, passwordSettings } from './password-rules.js';

/**
 * Email addresses of accounts: confirming them (by link, by the app's function), mailing confirmation links,
 * and the server's changes (add, replace, remove). `verified` means one thing everywhere: the mailbox was
 * proven — a link mailed to it was followed, the app's confirmation function or the operator vouched for it.
 */

/** The user owning `email` and that email's record, or `null`. */
export async function findAccountByEmail(
  ctx: ServerContext,
  app: AppSettings,
  email: string,
): Promise<{ user: UserRecord; email: EmailRecord } | null> {
  const user = await ctx.storage.findUserByEmail(app.id, email);
  const entry = user?.emails.find((e) => e.address.toLowerCase() === email.toLowerCase());
  return user && entry ? { user, email: entry } : null;
}

/**
 * Marks `address` of `userId` verified, inside `tx`.
 *
 * In an app that requires confirmation, an account none of whose addresses was ever verified is being claimed
 * by the mailbox's owner for the first time — and whoever made the account may not have been them: an account
 * registered with someone else's address (and used through some other way in: a username login before that
 * was closed, a session imported from Meteor, an API key, a linked identity) would otherwise pass to its
 * rightful owner with the squatter's ways in still open. So the account is reclaimed: every session ends,
 * every API key and every identity but email/password is removed, and the username is cleared for the owner to
 * choose. An app that confirms automatically has accepted unproven addresses by design: there, its users' own
 * keys and identities are never swept away by a first password reset. Returns what happened.
 */
export async function verifyAddress(
  tx: StorageTransaction,
  app: AppSettings,
  user: UserRecord,
  address: string,
  now: number,
): Promise<{ verified: boolean; reclaimed: boolean }> {
  const neverConfirmed = !user.emails.some((e) => e.verified);
  if (!(await tx.setEmailVerified(app.id, user.id, address, true))) return { verified: false, reclaimed: false };
  if (!neverConfirmed || passwordSettings(app).confirmation === 'auto') return { verified: true, reclaimed: false };
  await tx.revokeUserSessions(app.id, user.id, now);
  for (const key of await tx.listApiKeys(app.id, user.id)) await tx.deleteApiKey(app.id, user.id, key.id);
  for (const identity of user.identities)
    if (identity.providerType !== PASSWORD_PROVIDER)
      await tx.removeIdentity(app.id, user.id, identity.providerId, identity.subject);
  if (user.username !== null) await tx.setUsername(app.id, user.id, null, now);
  return { verified: true, reclaimed: true };
}

/** Announces a first proof of a mailbox that reclaimed the account (see {@link verifyAddress}). */
export async function announceReclaim(ctx: ServerContext, app: AppSettings, userId: string, info: RequestInfo | null) {
  await ctx.events.emit({ type: 'account-reclaimed', appId: app.id, userId, ...requestFacts(info) });
}

/**
 * Confirms an address with the token from its confirmation link (single use, expiring, of this app only).
 * Failed tokens count against the client's limits like failed passwords.
 */
export async function confirmEmail(
  ctx: ServerContext,
  app: AppSettings,
  input: LinkToken,
  info: RequestInfo | null,
): Promise<UserRecord> {
  passwordSettings(app);
  const limits = attemptLimits(ctx, app, `token:${String(input.tokenId).slice(0, 64)}`, info?.address ?? null);
  await limits.check();
  const record = await consumeLinkToken(ctx, app, ['confirm-email'], input);
  const user = record && (await ctx.storage.getUser(app.id, record.userId));
  if (!record?.email || !user) {
    await limits.failed();
    throw invalidToken();
  }
  const now = ctx.now();
  const outcome = await ctx.storage.transaction((tx) => verifyAddress(tx, app, user, record.email as string, now));
  if (!outcome.verified) throw invalidToken();
  await ctx.events.emit({ type: 'email-confirmed', appId: app.id, userId: user.id, ...requestFacts(info) });
  if (outcome.reclaimed) await announceReclaim(ctx, app, user.id, info);
  return (await ctx.storage.getUser(app.id, user.id)) ?? user;
}

/**
 * Mails a new confirmation link (App Services `confirm/send`). An unknown address is `UserNotFound` and a
 * confirmed one `UserAlreadyConfirmed`, as App Services answered — unless the app hides which addresses have
 * accounts (`preventAccountEnumeration`): then every address gets the same empty success, and mail only goes
 * where a link is due.
 */
export async function resendConfirmationEmail(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string },
  info: RequestInfo | null,
): Promise<void> {
  const settings = passwordSettings(app);
  const account = await accountForMailRequest(ctx, app, input.email, info);
  if (!account) return;
  if (account.email.verified) {
    if (app.preventAccountEnumeration) return;
    throw alreadyConfirmed();
  }
  if (settings.confirmation !== 'email') return;
  mailAccountLink(ctx, app, account.user, 'confirm-email', account.email.address, { info });
}

/**
 * The account a request for account mail names (resend confirmation, reset mail, Meteor's `forgotPassword`).
 * Every such request counts on the limits of that address and the client's (it sends mail). An unknown address
 * is `UserNotFound` — or, when the app hides which addresses have accounts, `null`, to be answered like any other.
 */
export async function accountForMailRequest(
  ctx: ServerContext,
  app: AppSettings,
  rawEmail: string,
  info: RequestInfo | null,
): Promise<{ user: UserRecord; email: EmailRecord } | null> {
  const email = normalizeEmail(rawEmail);
  const limits = attemptLimits(ctx, app, `email:${email.toLowerCase()}`, info?.address ?? null);
  await limits.check();
  await limits.failed();
  const account = await findAccountByEmail(ctx, app, email);
  if (!account && !app.preventAccountEnumeration) throw new GatehouseError('UserNotFound', 'user not found');
  return account;
}

/** Runs the confirmation function again for a pending account (`confirm/call`). */
export async function retryCustomConfirmation(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string },
  info: RequestInfo | null,
): Promise<void> {
  const settings = passwordSettings(app);
  const email = normalizeEmail(input.email);
  if (settings.confirmation === 'auto')
    throw new GatehouseError('BadRequest', `cannot run confirmation for ${email}: automatic confirmation is enabled`);
  if (settings.confirmation !== 'function')
    throw new GatehouseError('BadRequest', 'confirmation function is not enabled');
  const account = await findAccountByEmail(ctx, app, email);
  if (!account) throw new GatehouseError('UserNotFound', 'user not found');
  if (account.email.verified) throw alreadyConfirmed();
  await runConfirmation(ctx, app, account.user, account.email.address, { deleteOnFailure: false }, info);
}

/**
 * Runs the app's confirmation function (`confirmation: 'function'`) for a new or pending account: `success`
 * confirms it now, `pending` leaves the token for a later `confirm`, `fail` refuses — and, for a new
 * account, removes it again so the address is free.
 */
export async function runConfirmation(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  email: string,
  options: { deleteOnFailure: boolean },
  info: RequestInfo | null,
): Promise<void> {
  const name = passwordSettings(app).confirmationFunction as string; // the schema requires it in function mode
  const { token, tokenId } = await issueLinkToken(ctx, app, user, 'confirm-email', email);
  let status: 'success' | 'pending' | 'fail';
  try {
    status = functionStatus(await runConfigFunction(ctx, name, [{ token, tokenId, username: email }]), name);
  } catch (error) {
    // A failing function must not leave a half-registered account holding the address.
    if (options.deleteOnFailure) await ctx.storage.deleteUser(app.id, user.id);
    throw error;
  }
  if (status === 'fail') {
    if (options.deleteOnFailure) await ctx.storage.deleteUser(app.id, user.id);
    throw new GatehouseError('BadRequest', `failed to confirm user "${email}"`);
  }
  if (status === 'success') await confirmEmail(ctx, app, { token, tokenId }, info);
}

/**
 * Mails a verification link to `email` of the user, or to its first unverified address (Meteor's server
 * `sendVerificationEmail`). Returns the address.
 */
export function sendVerificationEmail(ctx: ServerContext, app: AppSettings, user: UserRecord, email?: string): string {
  if (email === undefined && !user.emails.some((e) => !e.verified))
    throw new GatehouseError('BadRequest', 'That user has no unverified email addresses.');
  const address = addressOf(user, email, (u) => u.emails.find((e) => !e.verified)?.address);
  mailAccountLink(ctx, app, user, 'confirm-email', address);
  return address;
}

/** The user's address matching `email` in any case, or — when `email` is not given — the one `pick` finds. */
export function addressOf(
  user: UserRecord,
  email: string | undefined,
  pick: (u: UserRecord) => string | undefined = (u) => u.emails[0]?.address,
): string {
  const address =
    email === undefined
      ? pick(user)
      : user.emails.find((e) => e.address.toLowerCase() === email.toLowerCase())?.address;
  if (address === undefined) throw new GatehouseError('BadRequest', 'No such email for user.');
  return address;
}

/**
 * Adds an email (Meteor's `addEmailAsync`). When the user already has it in another letter case, that entry
 * is replaced — case and `verified` — instead; an address another user has is refused.
 */
export async function addEmail(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  email: string,
  verified: boolean,
  info: RequestInfo | null = null,
): Promise<void> {
  const address = normalizeEmail(email);
  const existing = user.emails.find((e) => e.address.toLowerCase() === address.toLowerCase());
  try {
    if (existing) await ctx.storage.replaceEmail(app.id, user.id, existing.address, { address, verified });
    else await ctx.storage.addEmail(app.id, user.id, { address, verified }, ctx.now());
  } catch (error) {
    throw nameTaken(error);
  }
  await ctx.events.emit({
    type: 'email-added',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { by: info?.actor ? 'admin' : 'server' },
  });
}

/**
 * Replaces `oldEmail` with `newEmail` in place (Meteor's `replaceEmailAsync`); the new address is unverified
 * unless `verified`. Pending links stop working.
 */
export async function replaceEmail(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  oldEmail: string,
  newEmail: string,
  verified: boolean,
  info: RequestInfo | null = null,
): Promise<void> {
  const address = normalizeEmail(newEmail);
  let replaced = false;
  try {
    replaced = await ctx.storage.replaceEmail(app.id, user.id, oldEmail, { address, verified });
  } catch (error) {
    throw nameTaken(error);
  }
  if (!replaced) throw new GatehouseError('NotFound', 'No user could be found with old email');
  await forgetLinks(ctx, app, user.id);
  await ctx.events.emit({
    type: 'email-replaced',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { by: info?.actor ? 'admin' : 'server' },
  });
}

/** Removes an email (Meteor's `removeEmail`); links sent to it stop working. */
export async function removeEmail(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  email: string,
  info: RequestInfo | null = null,
): Promise<void> {
  if (typeof email !== 'string' || !(await ctx.storage.removeEmail(app.id, user.id, email)))
    throw new GatehouseError('BadRequest', 'No such email for user.');
  await forgetLinks(ctx, app, user.id);
  await ctx.events.emit({
    type: 'email-removed',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { by: info?.actor ? 'admin' : 'server' },
  });
}

export function invalidToken(): GatehouseError {
  return new GatehouseError('UserpassTokenInvalid', 'invalid token data');
}

function alreadyConfirmed(): GatehouseError {
  return new GatehouseError('UserAlreadyConfirmed', 'already confirmed');
}
