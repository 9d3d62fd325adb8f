import { randomBytes } from 'node:crypto';
import { GatehouseError, type JsonObject, objectId } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { secretHash } from '../tokens/hash.js';
import { createAccount } from './create.js';
import { foldFreshAccount } from './fold.js';
import { failedLoginUser } from './hooks.js';
import { findUserBySelector, type LoginSelector, selectorKey } from './identifiers.js';
import { attemptLimits } from './limits.js';
import { accountMail } from './links.js';
import { refuseLogin } from './login.js';
import { proveSecondFactor } from './two-factor.js';

/**
 * Passwordless sign-in by email (Meteor's `accounts-passwordless`, and the `email-code` provider over HTTP): a
 * request mails each address of the user — or only the address the selector names — a code and a link with
 * it; the code signs in once. In order:
 *
 * - codes are `tokenSequenceLength` (6) upper-case hexadecimal characters, one per address, made from a secure
 *   random source, kept only as a hash salted with the user and the address, valid `loginTokenExpirationHours`
 *   (1); a new request voids the older codes;
 * - a login checks the failed-attempt limits of the account first (a 6-character code must not be guessable),
 *   spends the code atomically (of two concurrent logins with it, one wins), and marks the address verified —
 *   answering the mail proves it;
 * - a user with two-factor on also needs the code of their authenticator; a login missing it keeps the mailed
 *   code, so the client can ask for the second factor and send both again (as Meteor's client does).
 */

/** The provider type of passwordless users' identities and sessions. */
export const PASSWORDLESS_PROVIDER = 'email-code';

/** What creating a user from a login request may carry (Meteor's `userData`). */
export interface PasswordlessUserData {
  username?: string;
  email?: string;
  profile?: JsonObject;
  [field: string]: unknown;
}

export interface LoginTokenRequest {
  selector: LoginSelector;
  /** The new user, when the selector finds none. */
  userData?: PasswordlessUserData;
  /** Refuse to create a user (Meteor's `options.userCreationDisabled`). */
  userCreationDisabled?: boolean;
}

/** The app's passwordless settings; `AuthProviderNotFound` when the app has it off. */
export function passwordlessSettings(app: AppSettings): { lifetimeMs: number; length: number; url: string | null } {
  const a = app.accounts;
  if (!a.passwordless)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PASSWORDLESS_PROVIDER}' is unsupported`);
  return {
    lifetimeMs: a.loginTokenExpirationHours * 3_600_000,
    length: a.tokenSequenceLength,
    url: a.loginTokenUrl ?? null,
  };
}

/**
 * Mails login codes to the user the selector names — creating the user from `userData` when there is none,
 * through the core's one create path (sign-up rules, `forbidClientAccountCreation`, hooks, new-account budget),
 * unless `userCreationDisabled`. Answers whether the user is new, as Meteor's `requestLoginTokenForUser` does.
 * No such user and creation off: `UserNotFound` — or, when the app sets `preventAccountEnumeration`, the same
 * answer as for a known address (`userId: null`) and no mail. The mail layer applies its hourly limit per address.
 *
 * @example
 * ```ts
 * await requestLoginToken(ctx, app, { selector: { email: 'ada@example.com' }, userData: { email: 'ada@example.com' } }, info);
 * ```
 */
export async function requestLoginToken(
  ctx: ServerContext,
  app: AppSettings,
  input: LoginTokenRequest,
  info: RequestInfo,
): Promise<{ userId: string | null; isNewUser: boolean }> {
  const settings = passwordlessSettings(app);
  let user = await findUserBySelector(ctx, app, input.selector);
  const isNewUser = user === null;
  if (!user) {
    if (input.userCreationDisabled || app.accounts.forbidClientAccountCreation) {
      // An app that hides which addresses have accounts answers as if a code went out.
      if (app.preventAccountEnumeration) return { userId: null, isNewUser: false };
      throw new GatehouseError('UserNotFound', 'user not found');
    }
    user = await createPasswordlessUser(ctx, app, input.userData ?? {}, info);
  }
  const named = 'email' in input.selector ? input.selector.email.trim().toLowerCase() : null;
  const addresses = user.emails.map((e) => e.address).filter((a) => named === null || a.toLowerCase() === named);
  if (addresses.length === 0) throw new GatehouseError('BadRequest', 'Login tokens could not be generated');

  await ctx.storage.deleteOneTimeTokens(app.id, user.id, 'login-token');
  const now = ctx.now();
  const sent: { to: string; code: string }[] = [];
  for (const address of addresses) {
    const code = newCode(settings.length);
    await ctx.storage.createOneTimeToken({
      id: objectId(now),
      appId: app.id,
      userId: user.id,
      purpose: 'login-token',
      tokenHash: codeHash(app, user.id, address, code),
      data: { email: address },
      now,
      expiresAt: now + settings.lifetimeMs,
    });
    sent.push({ to: address, code });
  }
  for (const { to, code } of sent) await sendLoginTokenEmail(ctx, app, { email: to, code }, info);
  await ctx.events.emit({
    type: 'login-token-sent',
    appId: app.id,
    userId: user.id,
    address: info.address,
    detail: { addresses: sent.length, newUser: isNewUser },
  });
  return { userId: user.id, isNewUser };
}

/**
 * Mails one login code with its link (Meteor's `Accounts.sendLoginTokenEmail`). The link opens
 * `loginTokenUrl` (default: the app's hosted sign-in page) with `loginToken` and `selector` (the address), the
 * query Meteor's `Accounts.autoLoginWithToken` reads.
 */
export async function sendLoginTokenEmail(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string; code: string },
  info: RequestInfo | null = null,
): Promise<{ url: string }> {
  const settings = passwordlessSettings(app);
  const url = new URL(settings.url ?? `${ctx.config.publicUrl}/app/${encodeURIComponent(app.id)}/login`);
  url.searchParams.set('loginToken', input.code);
  url.searchParams.set('selector', input.email);
  await ctx.mail.send(
    app.id,
    // In the request's language, with the app's template, logo and colour (as the other account mails).
    accountMail(app, 'login-code', {
      to: input.email,
      link: url.toString(),
      expiresInMs: settings.lifetimeMs,
      acceptLanguage: info?.acceptLanguage ?? null,
      code: input.code,
    }),
    { kind: 'login-token' },
  );
  return { url: url.toString() };
}

/** Why a login code was refused: kept for Meteor's non-ambiguous messages, never sent over HTTP. */
export type LoginTokenFailure = 'unknown-user' | 'no-token' | 'expired' | 'email-mismatch' | 'mismatch';

/**
 * Proves a user by selector and mailed code (`{ selector, token }` over DDP, `email-code` over HTTP): the
 * limits, the code spent once, the address verified, then the second factor when the user has it on (the
 * mailed code is kept when that step fails, so it can be sent again with the second factor).
 */
export async function verifyLoginToken(
  ctx: ServerContext,
  app: AppSettings,
  input: { selector: LoginSelector; token: string; code?: string },
  info: RequestInfo,
  options: { challenge: boolean } = { challenge: false },
): Promise<UserRecord> {
  const settings = passwordlessSettings(app);
  const user = await findUserBySelector(ctx, app, input.selector);
  const limits = attemptLimits(ctx, app, user ? `user:${user.id}` : selectorKey(input.selector), info.address);
  await limits.check();
  const code = input.token.trim().toUpperCase();
  const now = ctx.now();
  let spent: { address: string; hash: string; expiresAt: number } | null = null;
  if (user && code.length > 0 && code.length <= settings.length) {
    const named = 'email' in input.selector ? input.selector.email.trim().toLowerCase() : null;
    for (const { address } of user.emails) {
      if (named !== null && address.toLowerCase() !== named) continue;
      const hash = codeHash(app, user.id, address, code);
      const record = await ctx.storage.consumeUserOneTimeToken({
        appId: app.id,
        userId: user.id,
        purpose: 'login-token',
        tokenHash: hash,
        now,
      });
      if (record) {
        spent = { address, hash, expiresAt: record.expiresAt };
        break;
      }
    }
  }
  if (!user || !spent) {
    const reason = user ? await whyRefused(ctx, app, user, input.selector, now) : 'unknown-user';
    await limits.failed();
    const error = await refuseLogin(
      ctx,
      app,
      { userId: user?.id ?? null, provider: PASSWORDLESS_PROVIDER, reason, info },
      new GatehouseError('LoginTokenInvalid', 'invalid or expired login code', { details: { reason } }),
    );
    throw user ? failedLoginUser(error, user) : error;
  }
  await limits.succeeded();
  try {
    await proveSecondFactor(ctx, app, user, input.code, info, { ...options, provider: PASSWORDLESS_PROVIDER });
  } catch (error) {
    // Over DDP, put the mailed code back: the client asks for the second factor and sends both again. Over
    // HTTP the refusal carries a challenge that finishes the login instead.
    if (options.challenge) throw error;
    await ctx.storage.createOneTimeToken({
      id: objectId(ctx.now()),
      appId: app.id,
      userId: user.id,
      purpose: 'login-token',
      tokenHash: spent.hash,
      data: { email: spent.address },
      now: ctx.now(),
      expiresAt: spent.expiresAt,
    });
    throw error;
  }
  // Meteor removes every pending code of the user at a successful login.
  await ctx.storage.deleteOneTimeTokens(app.id, user.id, 'login-token');
  const address = user.emails.find((e) => e.address === spent.address);
  if (address && !address.verified) {
    await ctx.storage.setEmailVerified(app.id, user.id, spent.address, true);
    await ctx.events.emit({
      type: 'email-confirmed',
      appId: app.id,
      userId: user.id,
      address: info.address,
      detail: { via: PASSWORDLESS_PROVIDER },
    });
  }
  return (await ctx.storage.getUser(app.id, user.id)) ?? user;
}

/**
 * Links an address proven by a mailed code to `user` — how an anonymous user keeps their id when they sign in
 * by email: request a code for the address (which makes a fresh account for it), then link `{ email, code }`.
 * The fresh account — only its passwordless identity, never signed in — is folded into `user` (its address,
 * now verified, and its identity move over; the empty account is removed) in one transaction. An account that
 * has been used belongs to someone and is refused (`InvalidParameter`, as for any identity taken).
 */
export async function linkPasswordlessAccount(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  input: { email: string; code: string },
  info: RequestInfo,
): Promise<void> {
  const account = await verifyLoginToken(ctx, app, { selector: { email: input.email }, token: input.code }, info);
  if (account.id === user.id) return;
  await foldFreshAccount(ctx, app, user, account, PASSWORDLESS_PROVIDER, info);
}

async function createPasswordlessUser(
  ctx: ServerContext,
  app: AppSettings,
  userData: PasswordlessUserData,
  info: RequestInfo,
): Promise<UserRecord> {
  const { username, email, profile, ...rest } = userData;
  if (!username && !email) throw new GatehouseError('BadRequest', 'Need to set a username or email');
  return createAccount(
    ctx,
    app,
    {
      ...(username ? { username } : {}),
      ...(email ? { email } : {}),
      ...(profile ? { profile } : {}),
      identity: { providerType: PASSWORDLESS_PROVIDER, providerId: PASSWORDLESS_PROVIDER, subject: objectId() },
      options: rest,
    },
    'signup',
    info,
  );
}

async function whyRefused(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  selector: LoginSelector,
  now: number,
): Promise<LoginTokenFailure> {
  const pending = await ctx.storage.listOneTimeTokens(app.id, user.id, 'login-token');
  if (pending.length === 0) return 'no-token';
  if (pending.every((t) => t.expiresAt <= now)) return 'expired';
  return 'email' in selector ? 'email-mismatch' : 'mismatch';
}

/** `length` upper-case hexadecimal characters from a secure random source. */
function newCode(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length)
    .toUpperCase();
}

/** Salted with app, user and address: a code is good only for the address it was mailed to. */
function codeHash(app: AppSettings, userId: string, address: string, code: string): string {
  return secretHash(`login-token:${app.id}:${userId}:${address.toLowerCase()}:${code}`);
}
