import { GatehouseError, type JsonObject, objectId, randomSecret } from '@gatehouse-auth/core';
import { type EmailRecord, isStorageConflictError, type UserRecord } from '@gatehouse-auth/storage';
import type { LocalUserpassSettings } from '../../config/resolve.js';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';
import { assertMailAddress, confirmationEmail, enrollmentEmail, resetPasswordEmail } from '../../email/index.js';
import { functionStatus, runConfigFunction } from '../../functions/index.js';
import { failedLoginUser, prepareNewUser } from '../../hooks/index.js';
import { checkPassword } from '../../passwords/index.js';
import { addressKey } from '../../rate-limit/index.js';
import { secretHash } from '../../tokens/hash.js';
import { identityTaken } from '../federated.js';
import { localUserpassErrors as errors } from './errors.js';

/**
 * The `local-userpass` provider (spec §11): registration, login, confirmation and password reset, by email or
 * by a function of the config module. Every function here is what the App Services routes, the hosted pages
 * and (later) DDP call; none of them knows about HTTP.
 */

export const PROVIDER = 'local-userpass';

/** Longest email address accepted (RFC 5321 path limit). */
const MAX_EMAIL_LENGTH = 254;

/**
 * Trims and NFC-normalises an email address and checks its shape: one `@`, a non-empty local part of at most
 * 64 characters, a dotted domain, no whitespace, control characters or header-injection material. Unicode
 * (internationalised) addresses are allowed. Comparison is case-insensitive (done by the storage layer).
 */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().normalize('NFC');
  const at = email.lastIndexOf('@');
  if (
    email.length === 0 ||
    email.length > MAX_EMAIL_LENGTH ||
    at < 1 ||
    at > 64 ||
    email.indexOf('@') !== at ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    /[\s\u0000-\u001f\u007f<>()[\]\\,;:"]/.test(email) ||
    !/^[^.].*\.[^.]+$/.test(email.slice(at + 1)) ||
    email.includes('..')
  ) {
    throw errors.invalidEmail();
  }
  assertMailAddress(email);
  return email;
}

/** Settings of the provider, or `AuthProviderNotFound` when the app has it off. */
export function providerSettings(app: AppSettings): LocalUserpassSettings {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  return settings;
}

function policyOf(settings: LocalUserpassSettings) {
  return {
    minLength: settings.minPasswordLength,
    maxLength: settings.maxPasswordLength,
    rejectCommon: settings.rejectCommonPasswords,
  };
}

/**
 * Creates a user and, depending on the app's confirmation mode, confirms it at once, mails a confirmation
 * link, or runs the confirmation function (spec §11). The email is taken immediately, confirmed or not.
 * The password is hashed before the email is checked, so the answer takes as long for a taken address as
 * for a new one.
 */
export async function registerUser(
  ctx: ServerContext,
  app: AppSettings,
  input: {
    email?: string | undefined;
    username?: string | undefined;
    password: string;
    profile?: JsonObject | undefined;
  },
): Promise<void> {
  const settings = providerSettings(app);
  if (input.email === undefined && input.username === undefined) throw errors.needNameOrEmail();
  const email = input.email === undefined ? null : normalizeEmail(input.email);
  const username = input.username === undefined ? null : normalizeUsername(input.username);
  const password = checkPassword(input.password, policyOf(settings));
  const passwordHash = await ctx.passwords.hash(password);
  const now = ctx.now();
  const userId = objectId(now);
  const emails = email === null ? [] : [{ address: email, verified: settings.confirmation === 'auto' }];
  const profile = await prepareNewUser(
    ctx,
    app,
    { username, email, profile: input.profile ?? {} },
    { _id: userId, ...(username ? { username } : {}), emails, profile: input.profile ?? {}, createdAt: new Date(now) },
  );
  let user: UserRecord;
  try {
    user = await ctx.storage.createUser({
      id: userId,
      appId: app.id,
      username,
      profile,
      emails,
      identities: [{ providerType: PROVIDER, providerId: PROVIDER, subject: objectId(now) }],
      passwordHash,
      now,
    });
  } catch (error) {
    if (isStorageConflictError(error)) throw errors.nameInUse();
    throw error;
  }
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId,
    type: 'user-registered',
    now,
    detail: { provider: PROVIDER },
  });
  // Confirmation is of an email address: an account with a username only has nothing to confirm.
  if (email === null) return;
  if (settings.confirmation === 'email') {
    mailLink(ctx, app, settings, user, 'confirm-email', email);
  } else if (settings.confirmation === 'function') {
    await runConfirmation(ctx, app, settings, user, email, { deleteOnFailure: true });
  }
}

/** Longest username accepted. */
const MAX_USERNAME_LENGTH = 64;

/**
 * Trims and NFC-normalises a username and checks it: 1–64 characters, no whitespace or control characters,
 * no `@` (a name with `@` is read as an email at login, as Meteor clients do). Unique case-insensitively.
 */
export function normalizeUsername(raw: string): string {
  const username = raw.trim().normalize('NFC');
  if (username.length === 0 || [...username].length > MAX_USERNAME_LENGTH || /[\s\p{Cc}@]/u.test(username)) {
    throw errors.invalidUsername();
  }
  return username;
}

/**
 * The user a login name selects: a name with `@` is an email, anything else a username — an exact match
 * first, then a case-insensitive one that must be unique (Meteor's rule, spec meteor-accounts §3).
 */
async function findByLoginName(ctx: ServerContext, app: AppSettings, name: string): Promise<UserRecord | null> {
  if (name.length === 0 || name.length > MAX_EMAIL_LENGTH) return null;
  if (name.includes('@')) return ctx.storage.findUserByEmail(app.id, name);
  const matches = await ctx.storage.findUsersByUsername(app.id, name);
  return matches.length === 1 ? (matches[0] as UserRecord) : null;
}

/**
 * Checks a login name (email, or username) and password and returns the user. "Unknown user" and "wrong
 * password" get the same error after the same
 * work (a dummy hash is verified for unknown emails). Failures are counted per account+address, per account
 * and per address; past a limit the login is refused with `TooManyRequests` before any hashing.
 */
export async function authenticate(
  ctx: ServerContext,
  app: AppSettings,
  input: { username: string; password: string },
  info: RequestInfo,
): Promise<UserRecord> {
  const settings = providerSettings(app);
  if (typeof input.password !== 'string' || [...input.password].length > settings.maxPasswordLength) {
    throw new GatehouseError('BadRequest', `password must be at most ${settings.maxPasswordLength} characters`);
  }
  const name = input.username.trim().normalize('NFC').toLowerCase();
  const limits = ctx.config.rateLimits;
  const address = addressKey(info.address);
  const keys = [
    { key: `login:${app.id}:${name}:${address}`, limit: limits.failedLoginsPerAccountAndAddress },
    { key: `login:${app.id}:${name}`, limit: limits.failedLoginsPerAccount },
    { key: `login-addr:${address}`, limit: limits.failedLoginsPerAddress },
  ];
  const now = ctx.now();
  const blocked = await ctx.limiter.blocked(keys, now);
  if (blocked) throw errors.tooManyAttempts(blocked.retryAfterMs);

  const fail = async (user: UserRecord | null, reason: string): Promise<never> => {
    await ctx.limiter.count(
      keys.map((k) => k.key),
      limits.windowMs,
      ctx.now(),
    );
    await ctx.storage.recordAuditEvent({
      appId: app.id,
      userId: user?.id ?? null,
      type: 'login-failed',
      ip: info.address,
      now: ctx.now(),
      detail: { provider: PROVIDER, reason },
    });
    const error = errors.invalidCredentials();
    // The hooks see whose password was wrong (Meteor's do); the client's answer stays the same.
    throw user ? failedLoginUser(error, user) : error;
  };

  const user = await findByLoginName(ctx, app, input.username.trim().normalize('NFC'));
  const hash = user ? await ctx.storage.getPasswordHash(user.id) : null;
  if (!user || !hash) {
    await ctx.passwords.verifyDummy(input.password);
    return fail(user, 'unknown-user');
  }
  const verdict = await ctx.passwords.verify(hash, input.password);
  if (!verdict.ok) return fail(user, 'wrong-password');
  await ctx.limiter.reset(keys[0]!.key);
  if (user.disabled) throw errors.disabled();
  // Signing in with an email needs that email confirmed (unless confirmation is automatic); signing in with
  // a username does not — there is no address to confirm.
  const email = name.includes('@') ? user.emails.find((e) => e.address.toLowerCase() === name) : null;
  if (email !== null && settings.confirmation !== 'auto' && !email?.verified) throw errors.confirmationRequired();
  if (verdict.needsRehash) {
    // The stored hash is weaker than today's (older parameters, or an imported bcrypt): upgrade it now.
    await ctx.storage.setPasswordHash(user.id, await ctx.passwords.rehash(hash, input.password), ctx.now());
  }
  return user;
}

/**
 * Links an email/password account to `user` (spec §5.3; how an anonymous user is upgraded: register, confirm,
 * then `linkCredentials`). The account's credentials are checked like a login. A fresh account — only its
 * email/password identity, never signed in — is folded into `user` (identity, email and password move over,
 * the empty account is removed) in one transaction; an account that has been used belongs to someone and
 * is refused.
 */
export async function linkAccount(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  input: { username: string; password: string },
  info: RequestInfo,
): Promise<void> {
  const account = await authenticate(ctx, app, input, info);
  if (account.id === user.id) return;
  if (user.identities.some((i) => i.providerType === PROVIDER)) {
    throw new GatehouseError('InvalidParameter', 'this user already has an email/password identity');
  }
  const now = ctx.now();
  const identity = account.identities.find((i) => i.providerType === PROVIDER);
  const fresh =
    identity !== undefined &&
    account.identities.length === 1 &&
    (await ctx.storage.listActiveSessions(account.id, now)).length === 0;
  if (!fresh) throw identityTaken();
  const hash = await ctx.storage.getPasswordHash(account.id);
  await ctx.storage.transaction(async (tx) => {
    // Deleting the empty account first frees its email and identity for `user`.
    await tx.deleteUser(app.id, account.id);
    for (const email of account.emails) await tx.addEmail(app.id, user.id, email, now);
    await tx.addIdentity(
      app.id,
      user.id,
      { providerType: PROVIDER, providerId: identity.providerId, subject: identity.subject, data: identity.data },
      now,
    );
    if (hash) await tx.setPasswordHash(user.id, hash, now);
  });
  ctx.changes.userChanged(user.id);
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: user.id,
    type: 'identity-linked',
    now,
    detail: { provider: PROVIDER },
  });
}

/** Confirms an account with the token from its confirmation link (single use, expiring). */
export async function confirmUser(
  ctx: ServerContext,
  app: AppSettings,
  input: { token: string; tokenId: string },
): Promise<string> {
  providerSettings(app);
  const record = await consumeToken(ctx, 'confirm-email', input);
  if (!record?.userId) throw errors.invalidToken();
  const address = typeof record.data.email === 'string' ? record.data.email : null;
  if (!address || !(await ctx.storage.setEmailVerified(app.id, record.userId, address, true)))
    throw errors.invalidToken();
  ctx.changes.userChanged(record.userId);
  await ctx.storage.recordAuditEvent({ appId: app.id, userId: record.userId, type: 'email-confirmed', now: ctx.now() });
  return record.userId;
}

/**
 * Mails a link to one of `user`'s addresses, for the server side of Meteor's flows: `confirm-email`
 * (`sendVerificationEmail`), `reset-password` (`sendResetPasswordEmail`, the operator's `gatehouse users
 * send-reset`) or `enroll` (`sendEnrollmentEmail`: the link opens the password page, and the password set there
 * also verifies the address; it lives `accounts.passwordEnrollTokenExpirationInDays`, 30 days by default). The
 * token is written and the mail sent after the caller answers.
 */
export function mailAccountLink(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  purpose: TokenPurpose,
  email: string,
): void {
  mailLink(ctx, app, providerSettings(app), user, purpose, email);
}

/**
 * Mails a new confirmation link. To keep addresses private (ASVS 6.3.8) an unknown or already confirmed
 * address gets the same empty success as a pending one — and no mail.
 */
export async function resendConfirmationEmail(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string },
): Promise<void> {
  const settings = providerSettings(app);
  const email = normalizeEmail(input.email);
  if (settings.confirmation !== 'email') return;
  const account = await findAccount(ctx, app, email);
  if (!account || account.email.verified) return;
  mailLink(ctx, app, settings, account.user, 'confirm-email', account.email.address);
}

/** Runs the confirmation function again for a pending account (`confirm/call`). */
export async function retryCustomConfirmation(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string },
): Promise<void> {
  const settings = providerSettings(app);
  const email = normalizeEmail(input.email);
  if (settings.confirmation === 'auto') throw errors.autoConfirmOn(email);
  if (settings.confirmation !== 'function') throw errors.notFunctionMode();
  const account = await findAccount(ctx, app, email);
  if (!account) throw errors.userNotFound();
  if (account.email.verified) throw new GatehouseError('UserAlreadyConfirmed', 'already confirmed');
  await runConfirmation(ctx, app, settings, account.user, account.email.address, { deleteOnFailure: false });
}

/**
 * Mails a password-reset link (voiding older ones). Unknown addresses get the same empty success and no
 * mail, after the same work, so the endpoint does not tell who has an account (ASVS 6.3.8).
 */
export async function sendResetPasswordEmail(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string },
): Promise<void> {
  const settings = providerSettings(app);
  if (settings.reset === 'function') throw errors.useResetFunction();
  const account = await findAccount(ctx, app, normalizeEmail(input.email));
  if (!account) return;
  mailLink(ctx, app, settings, account.user, 'reset-password', account.email.address);
}

/**
 * Sets a new password with the token from a reset link. The password is checked and hashed before the token
 * is spent, so a refused password or a busy server leaves the link usable. Afterwards every session of the
 * user is revoked (ASVS 7.4.3) and the address counts as verified (the link proved it).
 */
export async function resetPassword(
  ctx: ServerContext,
  app: AppSettings,
  input: { token: string; tokenId: string; password: string | { digest: string } },
): Promise<string> {
  const settings = providerSettings(app);
  // A Meteor client's digest cannot be checked against the policy (Meteor's own limitation); it is kept as is.
  const hash =
    typeof input.password === 'string'
      ? await ctx.passwords.hash(checkPassword(input.password, policyOf(settings)))
      : await ctx.passwords.hashDigest(input.password.digest);
  // An enrollment link sets the first password the same way (Meteor: the reset token, else the enroll token).
  const record = (await consumeToken(ctx, 'reset-password', input)) ?? (await consumeToken(ctx, 'enroll', input));
  if (!record?.userId) throw errors.invalidToken();
  await applyNewPassword(
    ctx,
    app,
    record.userId,
    hash,
    typeof record.data.email === 'string' ? record.data.email : null,
  );
  return record.userId;
}

/**
 * Runs the app's reset function with `({ username, password, token, tokenId, currentPasswordValid }, ...args)`
 * (spec §11): `success` sets the password now, `pending` keeps the token for a later `reset`, `fail` refuses.
 */
export async function callResetPasswordFunction(
  ctx: ServerContext,
  app: AppSettings,
  input: { email: string; password: string; arguments: unknown[] },
): Promise<void> {
  const settings = providerSettings(app);
  if (settings.reset !== 'function' || !settings.resetFunction) throw errors.resetFunctionDisabled();
  const password = checkPassword(input.password, policyOf(settings));
  const account = await findAccount(ctx, app, normalizeEmail(input.email));
  if (!account) throw errors.userNotFound();
  const { user, email } = account;
  const current = await ctx.storage.getPasswordHash(user.id);
  const currentPasswordValid = current ? (await ctx.passwords.verify(current, password)).ok : false;
  const { token, tokenId } = await replaceToken(ctx, app, user, 'reset-password', email.address);
  const result = await runConfigFunction(ctx, settings.resetFunction, [
    { username: email.address, password, token, tokenId, currentPasswordValid },
    ...input.arguments,
  ]);
  const status = functionStatus(result, settings.resetFunction);
  if (status === 'fail') {
    await ctx.storage.deleteOneTimeTokens(user.id, 'reset-password');
    throw errors.resetFailed(email.address);
  }
  if (status === 'success') {
    const hash = await ctx.passwords.hash(password);
    if (!(await consumeToken(ctx, 'reset-password', { token, tokenId }))) throw errors.invalidToken();
    await applyNewPassword(ctx, app, user.id, hash, null);
  }
}

// ---- internals ---------------------------------------------------------------------------------------

export type TokenPurpose = 'confirm-email' | 'reset-password' | 'enroll';

/** How long a link of each purpose works. */
function lifetimeOf(app: AppSettings, settings: LocalUserpassSettings, purpose: TokenPurpose): number {
  if (purpose === 'reset-password') return settings.resetTokenLifetimeMs;
  if (purpose === 'enroll') return app.accounts.passwordEnrollTokenExpirationInDays * 86_400_000;
  return settings.confirmationTokenLifetimeMs;
}

/** The user owning `email` and that email's record, or `null`. */
async function findAccount(
  ctx: ServerContext,
  app: AppSettings,
  email: string,
): Promise<{ user: UserRecord; email: EmailRecord } | null> {
  const user = await ctx.storage.findUserByEmail(app.id, email);
  const entry = user?.emails.find((e) => e.address.toLowerCase() === email.toLowerCase());
  return user && entry ? { user, email: entry } : null;
}

async function applyNewPassword(
  ctx: ServerContext,
  app: AppSettings,
  userId: string,
  hash: string,
  verifiedEmail: string | null,
) {
  const now = ctx.now();
  await ctx.storage.transaction(async (tx) => {
    await tx.setPasswordHash(userId, hash, now);
    await tx.revokeUserSessions(userId, now);
    if (verifiedEmail) await tx.setEmailVerified(app.id, userId, verifiedEmail, true);
  });
  ctx.changes.userChanged(userId);
  await ctx.storage.recordAuditEvent({ appId: app.id, userId, type: 'password-reset', now });
}

async function consumeToken(ctx: ServerContext, purpose: TokenPurpose, input: { token: string; tokenId: string }) {
  if (
    typeof input.token !== 'string' ||
    typeof input.tokenId !== 'string' ||
    input.token.length > 256 ||
    input.tokenId.length > 64
  )
    return null;
  return ctx.storage.consumeOneTimeToken({
    id: input.tokenId,
    tokenHash: secretHash(input.token),
    purpose,
    now: ctx.now(),
  });
}

/** A new single-use token for `user` and `purpose`; older unspent ones of that purpose stop working. */
async function replaceToken(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  purpose: TokenPurpose,
  email: string,
): Promise<{ token: string; tokenId: string }> {
  const lifetimeMs = lifetimeOf(app, providerSettings(app), purpose);
  await ctx.storage.deleteOneTimeTokens(user.id, purpose);
  const now = ctx.now();
  const token = randomSecret();
  const tokenId = objectId(now);
  await ctx.storage.createOneTimeToken({
    id: tokenId,
    appId: app.id,
    userId: user.id,
    purpose,
    tokenHash: secretHash(token),
    data: { email },
    now,
    expiresAt: now + lifetimeMs,
  });
  return { token, tokenId };
}

/**
 * Makes a token and mails its link — to the app's own page, or to the URL the app configured — after the
 * response: the caller answers at once, so a known address (token written, mail sent) and an unknown one
 * (nothing to do) take the same time to answer (ASVS 6.3.8).
 */
function mailLink(
  ctx: ServerContext,
  app: AppSettings,
  settings: LocalUserpassSettings,
  user: UserRecord,
  purpose: TokenPurpose,
  email: string,
): void {
  ctx.background('account mail', async () => {
    const { token, tokenId } = await replaceToken(ctx, app, user, purpose, email);
    // Reset and enrollment links both open the password page (reset/`resetPasswordUrl`), which accepts either.
    const password = purpose !== 'confirm-email';
    const page = `${ctx.config.publicUrl}/app/${encodeURIComponent(app.id)}/${password ? 'reset' : 'confirm'}`;
    const url = new URL((password ? settings.resetPasswordUrl : settings.emailConfirmationUrl) ?? page);
    url.searchParams.set('token', token);
    url.searchParams.set('tokenId', tokenId);
    const lifetimeMs = lifetimeOf(app, settings, purpose);
    const input = { appName: app.name, to: email, link: url.toString(), expiresIn: humanDuration(lifetimeMs) };
    const templates = {
      'confirm-email': confirmationEmail,
      'reset-password': resetPasswordEmail,
      enroll: enrollmentEmail,
    };
    await ctx.mail.send(app.id, templates[purpose](input), { kind: purpose });
  });
}

async function runConfirmation(
  ctx: ServerContext,
  app: AppSettings,
  settings: LocalUserpassSettings,
  user: UserRecord,
  email: string,
  options: { deleteOnFailure: boolean },
) {
  const name = settings.confirmationFunction as string; // the schema requires it in function mode
  const { token, tokenId } = await replaceToken(ctx, app, user, 'confirm-email', email);
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
    throw errors.confirmFailed(email);
  }
  if (status === 'success') await confirmUser(ctx, app, { token, tokenId });
}

/** `1800000` → `30 minutes`, `172800000` → `48 hours`. */
export function humanDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (ms % size === 0 && ms >= size && !(unit === 'day' && ms / size < 3)) {
      const n = ms / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
