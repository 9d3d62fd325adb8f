import { GatehouseError } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { failedLoginUser } from './hooks.js';
import { findUserBySelector, type LoginSelector, selectorKey } from './identifiers.js';
import { attemptLimits } from './limits.js';
import { refuseLogin } from './login.js';
import {
  assertPasswordLength,
  checkStoredPassword,
  type PasswordInput,
  passwordSettings,
  rehash,
} from './password-rules.js';

/** Why a password check failed; kept for hooks and for Meteor's non-ambiguous messages, never sent over HTTP. */
export type PasswordFailure = 'unknown-user' | 'no-password' | 'wrong-password';

/**
 * Proves a user by selector and password — HTTP `local-userpass` login and linking, DDP `login({ user,
 * password })`, and anything later that asks for a password. In order:
 *
 * 1. the app must have email/password on (`AuthProviderNotFound`), the password must not be overlong;
 * 2. the failed-attempt limits of that account from that address (`TooManyRequests`), before any hashing;
 * 3. the hash check — a dummy one of the same cost when there is no such user or no password, so "unknown
 *    user" and "wrong password" are the same `InvalidPassword` after the same work; a failure counts on all
 *    three limits and is announced as `login-failed` (the hooks see whose password was wrong);
 * 4. a disabled user is `UserDisabled`;
 * 5. confirmation: unless the app confirms accounts automatically, an account with addresses of which none is
 *    verified cannot log in by any selector (`AuthError` "confirmation required"), and an email selector needs
 *    that address verified;
 * 6. an outdated hash (imported bcrypt, weaker argon2) is replaced by today's.
 */
export async function verifyPassword(
  ctx: ServerContext,
  app: AppSettings,
  input: { selector: LoginSelector; password: PasswordInput },
  info: RequestInfo,
): Promise<UserRecord> {
  const settings = passwordSettings(app);
  assertPasswordLength(app, input.password);
  const user = await findUserBySelector(ctx, app, input.selector);
  const limits = attemptLimits(ctx, app, user ? `user:${user.id}` : selectorKey(input.selector), info.address);
  await limits.check();
  const phc = user ? await ctx.storage.getPasswordHash(app.id, user.id) : null;
  const verdict = await checkStoredPassword(ctx, phc, input.password);
  if (!user || phc === null || !verdict.ok) {
    const reason: PasswordFailure = !user ? 'unknown-user' : phc === null ? 'no-password' : 'wrong-password';
    await limits.failed();
    const refusal = { userId: user?.id ?? null, provider: 'local-userpass', reason, info };
    const error = await refuseLogin(ctx, app, refusal, invalidCredentials(reason));
    throw user ? failedLoginUser(error, user) : error;
  }
  await limits.succeeded();
  if (user.disabled) {
    const refusal = { userId: user.id, provider: 'local-userpass', reason: 'user-disabled', info };
    throw await refuseLogin(ctx, app, refusal, new GatehouseError('UserDisabled', 'user disabled'));
  }
  if (settings.confirmation !== 'auto') assertConfirmed(user, input.selector);
  if (verdict.needsRehash)
    await ctx.storage.setPasswordHash(app.id, user.id, await rehash(ctx, phc, input.password), ctx.now());
  return user;
}

/** The refusal of a wrong password, unknown user or user without a password: one answer for all three. */
export function invalidCredentials(reason: PasswordFailure): GatehouseError {
  return new GatehouseError('InvalidPassword', 'invalid username/password', { details: { reason } });
}

/**
 * An account is confirmed when it has no address at all (a username-only account has nothing to confirm) or
 * at least one verified address; a login naming an address needs that address verified.
 */
function assertConfirmed(user: UserRecord, selector: LoginSelector): void {
  const refused = () => new GatehouseError('AuthError', 'confirmation required');
  if (user.emails.length > 0 && !user.emails.some((e) => e.verified)) throw refused();
  if ('email' in selector) {
    const named = selector.email.trim().toLowerCase();
    if (!user.emails.find((e) => e.address.toLowerCase() === named)?.verified) throw refused();
  }
}
