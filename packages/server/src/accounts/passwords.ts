import { GatehouseError, objectId } from '@gatehouse-auth/core';
import type { SessionRecord, UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { functionStatus, runConfigFunction } from '../functions/index.js';
import { checkPassword } from '../passwords/index.js';
import { accountForMailRequest, announceReclaim, findAccountByEmail, invalidToken, verifyAddress } from './emails.js';
import { normalizeEmail } from './identifiers.js';
import { attemptLimits } from './limits.js';
import { consumeLinkToken, issueLinkToken, type LinkToken, mailAccountLink } from './links.js';
import { refuseLogin } from './login.js';
import { invalidCredentials } from './password-login.js';
import {
  assertPasswordLength,
  checkStoredPassword,
  hashNewPassword,
  PASSWORD_PROVIDER,
  type PasswordInput,
  passwordPolicy,
  passwordSettings,
} from './password-rules.js';

/**
 * Passwords after sign-up: changing one's own, the operator setting one, resetting by a mailed link or by the
 * app's reset function, and asking for a reset mail. Every check of a password or a token here goes through
 * the same failed-attempt limits as a login.
 */

/**
 * Changes the password of a signed-in user: the current one must be right, the new one must meet the policy;
 * every other session ends, this one stays (Meteor's `changePassword`). Wrong current passwords count on the
 * login limits of the account, so a stolen session cannot be used to guess the password.
 */
export async function changePassword(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  current: Pick<SessionRecord, 'id'>,
  input: { currentPassword: PasswordInput; newPassword: PasswordInput },
  info: RequestInfo | null,
): Promise<void> {
  passwordSettings(app);
  assertPasswordLength(app, input.currentPassword);
  const limits = attemptLimits(ctx, app, `user:${user.id}`, info?.address ?? null);
  await limits.check();
  const stored = await ctx.storage.getPasswordHash(app.id, user.id);
  if (!stored) throw new GatehouseError('BadRequest', 'user has no password set');
  if (typeof input.newPassword === 'string') checkPassword(input.newPassword, passwordPolicy(app));
  const verdict = await checkStoredPassword(ctx, stored, input.currentPassword);
  if (!verdict.ok) {
    await limits.failed();
    const refusal = { userId: user.id, provider: PASSWORD_PROVIDER, reason: 'wrong-password', info };
    throw await refuseLogin(
      ctx,
      app,
      { ...refusal, detail: { during: 'change-password' } },
      invalidCredentials('wrong-password'),
    );
  }
  await limits.succeeded();
  const hash = await hashNewPassword(ctx, app, input.newPassword);
  const now = ctx.now();
  await ctx.storage.transaction(async (tx) => {
    await tx.setPasswordHash(app.id, user.id, hash, now);
    await tx.revokeUserSessions(app.id, user.id, now, current.id);
  });
  await ctx.events.emit({ type: 'password-changed', appId: app.id, userId: user.id, ...requestFacts(info) });
}

/**
 * Sets a user's password on the operator's or server code's word (Meteor's `setPasswordAsync`): the policy
 * applies, pending reset and enrollment links stop working, and — unless `logout: false` — every session ends.
 * A user who had another way in (OAuth, imported) also gets an email/password identity.
 */
export async function setPassword(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  password: string,
  { logout = true }: { logout?: boolean } = {},
  info: RequestInfo | null = null,
): Promise<void> {
  const hash = await hashNewPassword(ctx, app, password);
  const now = ctx.now();
  await ctx.storage.transaction(async (tx) => {
    await tx.setPasswordHash(app.id, user.id, hash, now);
    await tx.deleteOneTimeTokens(app.id, user.id, 'reset-password');
    await tx.deleteOneTimeTokens(app.id, user.id, 'enroll');
    if (logout) await tx.revokeUserSessions(app.id, user.id, now);
    if (!user.identities.some((i) => i.providerType === PASSWORD_PROVIDER))
      await tx.addIdentity(
        app.id,
        user.id,
        { providerType: PASSWORD_PROVIDER, providerId: PASSWORD_PROVIDER, subject: objectId(now) },
        now,
      );
  });
  await ctx.events.emit({
    type: 'password-set',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { logout, by: info?.actor ? 'admin' : 'server' },
  });
}

/**
 * Sets a new password with the token of a reset or enrollment link. The password is checked and hashed before
 * the token is spent, so a refused password or a busy server leaves the link usable; a bad token counts on the
 * client's limits. Afterwards every session of the user ends and the address the link went to counts as
 * verified — which, on an account never confirmed before, reclaims it for the mailbox's owner (see
 * `verifyAddress`). Returns the user.
 */
export async function resetPassword(
  ctx: ServerContext,
  app: AppSettings,
  input: LinkToken & { password: PasswordInput },
  info: RequestInfo | null,
): Promise<UserRecord> {
  passwordSettings(app);
  const limits = attemptLimits(ctx, app, `token:${String(input.tokenId).slice(0, 64)}`, info?.address ?? null);
  await limits.check();
  const hash = await hashNewPassword(ctx, app, input.password);
  // An enrollment link sets the first password the same way (Meteor: the reset token, else the enroll token).
  const record = await consumeLinkToken(ctx, app, ['reset-password', 'enroll'], input);
  const user = record && (await ctx.storage.getUser(app.id, record.userId));
  if (!record || !user) {
    await limits.failed();
    throw invalidToken();
  }
  return applyNewPassword(ctx, app, user, hash, record.purpose === 'enroll' ? null : record.email, info, {
    enrolled: record.purpose === 'enroll' ? record.email : null,
  });
}

/**
 * Runs the app's reset function with `({ username, password, token, tokenId, currentPasswordValid }, ...args)`
 * (App Services `reset/call`): `success` sets the password now, `pending` keeps the token for a later `reset`,
 * `fail` refuses. The `currentPasswordValid` check is a password check like a login's, with its limits.
 */
export async function callResetPasswordFunction(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string; password: string; arguments: unknown[] },
  info: RequestInfo | null,
): Promise<void> {
  const settings = passwordSettings(app);
  if (settings.reset !== 'function' || !settings.resetFunction)
    throw new GatehouseError('BadRequest', 'reset function is not enabled');
  const password = checkPassword(input.password, passwordPolicy(app));
  const email = normalizeEmail(input.email);
  const account = await findAccountByEmail(ctx, app, email);
  const limits = attemptLimits(
    ctx,
    app,
    account ? `user:${account.user.id}` : `email:${email.toLowerCase()}`,
    info?.address ?? null,
  );
  await limits.check();
  if (!account) {
    await limits.failed();
    throw new GatehouseError('UserNotFound', 'user not found');
  }
  const { user, email: entry } = account;
  const current = await ctx.storage.getPasswordHash(app.id, user.id);
  const currentPasswordValid = (await checkStoredPassword(ctx, current, password)).ok;
  if (!currentPasswordValid) await limits.failed();
  const { token, tokenId } = await issueLinkToken(ctx, app, user, 'reset-password', entry.address);
  const result = await runConfigFunction(ctx, settings.resetFunction, [
    { username: entry.address, password, token, tokenId, currentPasswordValid },
    ...input.arguments,
  ]);
  const status = functionStatus(result, settings.resetFunction);
  if (status === 'fail') {
    await ctx.storage.deleteOneTimeTokens(app.id, user.id, 'reset-password');
    throw new GatehouseError('BadRequest', `failed to reset password for user "${entry.address}"`);
  }
  if (status === 'success') {
    const hash = await hashNewPassword(ctx, app, password);
    const record = await consumeLinkToken(ctx, app, ['reset-password'], { token, tokenId });
    if (!record) throw invalidToken();
    await applyNewPassword(ctx, app, user, hash, null, info, { enrolled: null });
  }
}

/**
 * Mails a password-reset link (voiding older ones): App Services `reset/send` and Meteor's `forgotPassword`.
 * An unknown address is `UserNotFound`, as both originals answered — unless the app hides which addresses have
 * accounts (`preventAccountEnumeration`): then every address gets the same empty success. Every request counts
 * on the limits of that address (this endpoint sends mail).
 */
export async function sendResetPasswordEmail(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string },
  info: RequestInfo | null,
): Promise<void> {
  const settings = passwordSettings(app);
  if (settings.reset === 'function') throw new GatehouseError('BadRequest', 'please use reset password via function');
  const account = await accountForMailRequest(ctx, app, input.email, info);
  if (!account) return;
  mailAccountLink(ctx, app, account.user, 'reset-password', account.email.address, { info });
}

async function applyNewPassword(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  hash: string,
  provenAddress: string | null,
  info: RequestInfo | null,
  { enrolled }: { enrolled: string | null },
): Promise<UserRecord> {
  const now = ctx.now();
  const reclaimed = await ctx.storage.transaction(async (tx) => {
    await tx.setPasswordHash(app.id, user.id, hash, now);
    await tx.revokeUserSessions(app.id, user.id, now);
    // An enrollment link was sent by the operator to an account they made: following it proves the address
    // without reclaiming anything (the operator chose its username and profile).
    if (enrolled) await tx.setEmailVerified(app.id, user.id, enrolled, true);
    return provenAddress ? (await verifyAddress(tx, app, user, provenAddress, now)).reclaimed : false;
  });
  await ctx.events.emit({ type: 'password-reset', appId: app.id, userId: user.id, ...requestFacts(info) });
  if (reclaimed) await announceReclaim(ctx, app, user.id, info);
  return (await ctx.storage.getUser(app.id, user.id)) ?? user;
}
