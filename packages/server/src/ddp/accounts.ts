import { createHash } from 'node:crypto';
import { type JsonObject, ObjectId, objectId, randomSecret } from '@gatehouse-auth/core';
import { isStorageConflictError, type SessionRecord, type UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, ServerContext } from '../context.js';
import { failedLoginUser, prepareNewUser } from '../hooks/index.js';
import { normalizeEmail, normalizeUsername } from '../providers/local-userpass/index.js';
import { addressKey } from '../rate-limit/index.js';
import { isActive } from '../sessions/index.js';
import { MeteorError, matchFailed } from './wire.js';

/**
 * Meteor's accounts methods over DDP (spec meteor-accounts §2.2–2.4), on the same storage and sessions as the
 * HTTP API: a Meteor login token is a session of kind `resume`, stored as Meteor stores it —
 * `base64(sha256(token))` — so tokens imported from Meteor resume as they did.
 */

/** What a connection knows about its login. */
export interface DdpLogin {
  userId: string;
  sessionId: string;
}

/** The value of a successful `login`/`createUser`/`getNewToken` (spec §2.2). */
export interface LoginResultValue {
  id: string;
  token: string;
  tokenExpires: Date;
  type?: string;
}

/** Since Meteor 3.0.3 credential errors are ambiguous by default (spec §2.4). */
export const AMBIGUOUS = 'Something went wrong. Please check your credentials.';

/** `base64(sha256(token))`, Meteor's `_hashLoginToken`. */
export async function hashLoginToken(token: string): Promise<string> {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/** A new login token for `userId`, as a `resume` session expiring at `expiresAt`. */
async function issueLoginToken(
  ctx: ServerContext,
  app: AppSettings,
  userId: string,
  expiresAt: number,
  provider: string,
): Promise<{ token: string; session: SessionRecord }> {
  const token = randomSecret();
  const now = ctx.now();
  const session = await ctx.storage.createSession({
    id: objectId(now),
    appId: app.id,
    userId,
    deviceId: objectId(now),
    kind: 'resume',
    refreshHash: await hashLoginToken(token),
    providerType: provider,
    meta: { via: 'ddp' },
    now,
    expiresAt,
  });
  return { token, session };
}

function loginValue(userId: string, token: string, session: SessionRecord, type: string): LoginResultValue {
  return { id: userId, token, tokenExpires: new Date(session.expiresAt), type };
}

/** `login({ resume })`: the user and session behind a login token (no new token: the client keeps its own). */
export async function verifyResume(
  ctx: ServerContext,
  app: AppSettings,
  token: unknown,
): Promise<{ user: UserRecord; session: SessionRecord; token: string }> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) throw matchFailed();
  const session = await ctx.storage.findSessionByHash(app.id, await hashLoginToken(token));
  const now = ctx.now();
  if (session?.kind !== 'resume' || session.appId !== app.id || session.revokedAt !== null) {
    throw new MeteorError(403, "You've been logged out by the server. Please log in again.");
  }
  if (!isActive(session, now)) throw new MeteorError(403, 'Your session has expired. Please log in again.');
  const user = await ctx.storage.getUser(app.id, session.userId);
  if (!user || user.disabled) throw new MeteorError(403, 'Login forbidden');
  await ctx.storage.touchSession(app.id, session.id, now);
  return { user, session, token };
}

/** The result of a resumed login. */
export function resumed(found: { user: UserRecord; session: SessionRecord; token: string }): {
  value: LoginResultValue;
  login: DdpLogin;
} {
  return {
    value: loginValue(found.user.id, found.token, found.session, 'resume'),
    login: { userId: found.user.id, sessionId: found.session.id },
  };
}

type Selector = { username: string } | { email: string } | { id: string };
type PasswordParam = string | { digest: string; algorithm: 'sha-256' };

/** `check(options, { user, password })`: exactly one non-empty selector key; a string or a sha-256 digest. */
function readPasswordLogin(options: Record<string, unknown>): { selector: Selector; password: PasswordParam } {
  const keys = Object.keys(options);
  if (keys.some((k) => k !== 'user' && k !== 'password' && k !== 'code')) throw matchFailed();
  // Meteor's `code` (accounts-2fa) is a non-empty string when present; Gatehouse has no 2FA yet, so a user has
  // none enabled and the code is not asked for — as Meteor ignores it then.
  if ('code' in options && (typeof options.code !== 'string' || options.code === '' || options.code.length > 64))
    throw matchFailed();
  const user = options.user;
  if (user === null || typeof user !== 'object' || Array.isArray(user)) throw matchFailed();
  const entries = Object.entries(user as Record<string, unknown>);
  if (entries.length !== 1) throw new MeteorError(400, 'User property must have exactly one field');
  const [[key, value]] = entries as [[string, unknown]];
  if (
    !['username', 'email', 'id'].includes(key) ||
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 1024
  )
    throw matchFailed();
  return { selector: { [key]: value } as Selector, password: readPassword(options.password) };
}

/** The intended `passwordValidator` (spec §2.6): ≤ 256 characters, or `{ digest: 64 hex, algorithm: 'sha-256' }`. */
export function readPassword(value: unknown): PasswordParam {
  if (typeof value === 'string') {
    if (value.length === 0 || value.length > 256) throw matchFailed();
    return value;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { digest, algorithm, ...rest } = value as Record<string, unknown>;
    if (
      Object.keys(rest).length === 0 &&
      algorithm === 'sha-256' &&
      typeof digest === 'string' &&
      /^[0-9a-f]{64}$/.test(digest)
    ) {
      return { digest, algorithm };
    }
  }
  throw matchFailed();
}

async function findBySelector(ctx: ServerContext, app: AppSettings, selector: Selector): Promise<UserRecord | null> {
  if ('id' in selector) return ctx.storage.getUser(app.id, selector.id);
  if ('email' in selector) return ctx.storage.findUserByEmail(app.id, selector.email.trim());
  const matches = await ctx.storage.findUsersByUsername(app.id, selector.username.trim());
  // Exact first, then case-insensitive and unique (spec §3): two candidates mean no user.
  return matches.length === 1 ? (matches[0] as UserRecord) : null;
}

/**
 * `login({ user, password })`: the user the credentials prove. Unknown user, missing password and wrong
 * password all answer Meteor's ambiguous message after the same work; failures count against the client
 * address like HTTP logins.
 */
export async function verifyPasswordLogin(
  ctx: ServerContext,
  app: AppSettings,
  options: Record<string, unknown>,
  address: string | null,
): Promise<UserRecord> {
  const { selector, password } = readPasswordLogin(options);
  const limits = ctx.config.rateLimits;
  const addrKey = `login-addr:${addressKey(address)}`;
  const blocked = await ctx.limiter.blocked([{ key: addrKey, limit: limits.failedLoginsPerAddress }], ctx.now());
  if (blocked) {
    throw new MeteorError('too-many-requests', 'Error, too many requests. Please slow down.', {
      timeToReset: blocked.retryAfterMs,
    });
  }
  const user = await findBySelector(ctx, app, selector);
  const hash = user ? await ctx.storage.getPasswordHash(app.id, user.id) : null;
  const check = (phc: string) =>
    typeof password === 'string'
      ? ctx.passwords.verify(phc, password)
      : ctx.passwords.verifyDigest(phc, password.digest);
  let verdict: { ok: boolean; needsRehash: boolean } = { ok: false, needsRehash: false };
  if (user && hash) verdict = await check(hash);
  else await ctx.passwords.verifyDummy(typeof password === 'string' ? password : password.digest);
  if (!user || !hash || !verdict.ok) {
    const reason = !user ? 'User not found' : !hash ? 'User has no password set' : 'Incorrect password';
    await ctx.limiter.count([addrKey], limits.windowMs, ctx.now());
    await ctx.storage.recordAuditEvent({
      appId: app.id,
      userId: user?.id ?? null,
      type: 'login-failed',
      ip: address,
      now: ctx.now(),
      detail: { via: 'ddp' },
    });
    const error = new MeteorError(403, app.accounts.ambiguousErrorMessages ? AMBIGUOUS : reason);
    // Meteor's hooks see the user of a wrong password (spec §2.4: "so hooks see the user").
    if (user) failedLoginUser(error, user);
    throw error;
  }
  if (user.disabled) throw new MeteorError(403, 'Login forbidden');
  if (verdict.needsRehash) {
    // Imported bcrypt, or weaker argon2: today's hash, from the password or from the digest a Meteor client sent
    // (both give argon2id of the digest).
    const next =
      typeof password === 'string'
        ? await ctx.passwords.rehash(hash, password)
        : await ctx.passwords.hashDigest(password.digest);
    await ctx.storage.setPasswordHash(app.id, user.id, next, ctx.now());
  }
  return user;
}

/** A new login token for a proven user (after the login hooks allowed it). */
export async function issueLogin(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  address: string | null,
): Promise<{ value: LoginResultValue; login: DdpLogin }> {
  const { token, session } = await issueLoginToken(
    ctx,
    app,
    user.id,
    ctx.now() + app.accounts.loginExpirationInDays * 86_400_000,
    'local-userpass',
  );
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: user.id,
    type: 'login',
    ip: address,
    now: ctx.now(),
    detail: { provider: 'local-userpass', via: 'ddp' },
  });
  return { value: loginValue(user.id, token, session, 'password'), login: { userId: user.id, sessionId: session.id } };
}

/**
 * `createUser({ username?, email?, password, profile? })`: a new account, through `onCreateUser` and
 * `validateNewUser`; the caller then logs it in, as Meteor does. The password may be a digest: then the
 * stored hash is of the digest.
 */
export async function createUser(ctx: ServerContext, app: AppSettings, options: unknown): Promise<UserRecord> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw matchFailed();
  const {
    username: rawUsername,
    email: rawEmail,
    password: rawPassword,
    profile,
    ...rest
  } = options as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw matchFailed();
  if (rawUsername !== undefined && typeof rawUsername !== 'string') throw matchFailed();
  if (rawEmail !== undefined && typeof rawEmail !== 'string') throw matchFailed();
  if (
    profile !== undefined &&
    (profile === null || typeof profile !== 'object' || Array.isArray(profile) || profile instanceof ObjectId)
  )
    throw matchFailed();
  if (profile !== undefined && JSON.stringify(profile).length > 16_384) throw matchFailed();
  if (!rawUsername && !rawEmail) throw new MeteorError(400, 'Need to set a username or email');
  const password = readPassword(rawPassword);
  const username = rawUsername ? normalizeUsername(rawUsername) : null;
  const email = rawEmail ? normalizeEmail(rawEmail) : null;
  const passwordHash =
    typeof password === 'string' ? await ctx.passwords.hash(password) : await ctx.passwords.hashDigest(password.digest);
  const now = ctx.now();
  const id = objectId(now);
  const emails = email ? [{ address: email, verified: false }] : [];
  const given = (profile as JsonObject | undefined) ?? {};
  const finalProfile = await prepareNewUser(
    ctx,
    app,
    { username, email, profile: given },
    { _id: id, ...(username ? { username } : {}), emails, profile: given, createdAt: new Date(now) },
  );
  let user: UserRecord;
  try {
    user = await ctx.storage.createUser({
      id,
      appId: app.id,
      username,
      profile: finalProfile,
      emails,
      identities: [{ providerType: 'local-userpass', providerId: 'local-userpass', subject: objectId(now) }],
      passwordHash,
      now,
    });
  } catch (error) {
    if (isStorageConflictError(error)) {
      throw new MeteorError(403, error.target === 'username' ? 'Username already exists.' : 'Email already exists.');
    }
    throw error;
  }
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: user.id,
    type: 'user-registered',
    now,
    detail: { via: 'ddp' },
  });
  return user;
}

/** `getNewToken`: a new token for the same user with the same expiry (Meteor copies `when`). */
export async function getNewToken(
  ctx: ServerContext,
  app: AppSettings,
  login: DdpLogin | null,
): Promise<{ value: LoginResultValue; login: DdpLogin }> {
  if (!login) throw new MeteorError('You are not logged in.');
  const current = await ctx.storage.getSession(app.id, login.sessionId);
  if (!current || !isActive(current, ctx.now())) throw new MeteorError('Invalid login token');
  const { token, session } = await issueLoginToken(ctx, app, login.userId, current.expiresAt, current.providerType);
  const value = loginValue(login.userId, token, session, 'resume');
  return {
    value: { id: value.id, token: value.token, tokenExpires: value.tokenExpires },
    login: { userId: login.userId, sessionId: session.id },
  };
}

/** `removeOtherTokens`: every other session of the user ends — other DDP connections close. */
export async function removeOtherTokens(ctx: ServerContext, app: AppSettings, login: DdpLogin | null): Promise<number> {
  if (!login) throw new MeteorError('You are not logged in.');
  return ctx.storage.revokeUserSessions(app.id, login.userId, ctx.now(), login.sessionId);
}

/** `logout`: the connection's session ends. */
export async function logout(
  ctx: ServerContext,
  app: AppSettings,
  login: DdpLogin | null,
  address: string | null,
): Promise<void> {
  if (!login) return;
  await ctx.storage.revokeSession(app.id, login.sessionId, ctx.now());
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: login.userId,
    type: 'logout',
    ip: address,
    now: ctx.now(),
    detail: { via: 'ddp' },
  });
}
