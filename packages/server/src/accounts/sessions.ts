import { createHash } from 'node:crypto';
import {
  GatehouseError,
  isObjectIdHex,
  type JsonObject,
  NO_DEVICE_ID,
  ObjectId,
  objectId,
  randomSecret,
  timingSafeEqual,
} from '@gatehouse-auth/core';
import type { SessionRecord, UserRecord, UserState } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { secretHash } from '../tokens/hash.js';
import { customDataOf, notifyLogout } from './hooks.js';

/**
 * Sessions: one per login, whatever the front. An App Services login's session is of kind `refresh` (its
 * client holds a refresh token naming it plus a secret only the hash of which is stored); a Meteor login's is
 * of kind `resume` (its client holds a login token, stored as Meteor stores it, `base64(sha256(token))`, so
 * tokens imported from Meteor resume as they did). Both end the same ways: logout, revocation, password
 * change or reset, user deletion.
 */

/** Tokens handed to a client after a login. */
export interface LoginResult {
  accessToken: string;
  refreshToken: string;
  userId: string;
  deviceId: string;
  sessionId: string;
}

/** An authenticated request: the app, the user and the session behind an access token. */
export interface Authenticated {
  app: AppSettings;
  user: UserRecord;
  session: SessionRecord;
}

/** Last-used times are written at most this often per session, so refreshes stay read-mostly. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The device id for a new session: the one the client sent (`options.device.deviceId`, an EJSON ObjectId
 * from realm-web) when it is a real one, else a new ObjectId. Never the all-zero "none" id, and
 * never anything that is not 24 hex — realm-web would throw on every later login.
 */
export function deviceIdFrom(options: unknown): string {
  const device = (options as { device?: { deviceId?: unknown } } | undefined)?.device;
  const raw = device?.deviceId;
  const hex = raw instanceof ObjectId ? raw.hex : typeof raw === 'string' ? raw : null;
  return hex && isObjectIdHex(hex) && hex !== NO_DEVICE_ID ? hex.toLowerCase() : objectId();
}

/**
 * Starts an App Services session for `user` — one login, one session — and issues its access and refresh
 * tokens. Anonymous sessions get the app's (long) anonymous lifetime.
 */
export async function startSession(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  input: { providerType: string; deviceId: string; apiKeyId?: string | null; info: RequestInfo | null },
): Promise<LoginResult> {
  const now = ctx.now();
  const secret = randomSecret();
  const lifetime =
    input.providerType === 'anon-user' ? app.anonymousRefreshTokenLifetimeMs : app.refreshTokenLifetimeMs;
  const session = await ctx.storage.createSession({
    id: objectId(now),
    appId: app.id,
    userId: user.id,
    deviceId: input.deviceId,
    refreshHash: secretHash(secret),
    providerType: input.providerType,
    apiKeyId: input.apiKeyId ?? null,
    meta: sessionMeta(input.info),
    now,
    expiresAt: now + lifetime,
  });
  const common = { appId: app.id, userId: user.id, sessionId: session.id, deviceId: session.deviceId, now };
  const [accessToken, refreshToken] = await Promise.all([
    ctx.tokens.issueAccess({
      ...common,
      customData: await customDataOf(ctx, app, user),
      lifetimeMs: accessLifetime(app, session, now),
    }),
    ctx.tokens.issueRefresh({ ...common, secret, expiresAt: session.expiresAt }),
  ]);
  return { accessToken, refreshToken, userId: user.id, deviceId: session.deviceId, sessionId: session.id };
}

/** What a Meteor login returns: the login token (only the client keeps it) and its session. */
export interface ResumeLogin {
  userId: string;
  token: string;
  session: SessionRecord;
}

/** `base64(sha256(token))`, Meteor's `_hashLoginToken`: how resume tokens are stored (and imported). */
export function hashLoginToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/**
 * Starts a Meteor (DDP) session: a new login token for `user`, living `accounts.loginExpirationInDays` — or,
 * for `getNewToken`, as long as the session it replaces (`expiresAt`).
 */
export async function startResumeSession(
  ctx: ServerContext,
  app: AppSettings,
  userId: string,
  input: { providerType: string; info: RequestInfo | null; expiresAt?: number },
): Promise<ResumeLogin> {
  const token = randomSecret();
  const now = ctx.now();
  const session = await ctx.storage.createSession({
    id: objectId(now),
    appId: app.id,
    userId,
    deviceId: objectId(now),
    kind: 'resume',
    refreshHash: hashLoginToken(token),
    providerType: input.providerType,
    meta: { ...sessionMeta(input.info), via: 'ddp' },
    now,
    expiresAt: input.expiresAt ?? now + app.accounts.loginExpirationInDays * 86_400_000,
  });
  return { userId, token, session };
}

/**
 * The user and session behind a Meteor login token (`login({ resume })`). Refusals carry Meteor's own texts
 * as their messages, which the DDP front passes on.
 */
export async function verifyResumeToken(
  ctx: ServerContext,
  app: AppSettings,
  token: string,
): Promise<{ user: UserRecord; session: SessionRecord }> {
  const session = await ctx.storage.findSessionByHash(app.id, hashLoginToken(token));
  const now = ctx.now();
  if (session?.kind !== 'resume' || session.appId !== app.id)
    throw new GatehouseError('InvalidSession', "You've been logged out by the server. Please log in again.");
  // Disabling ends the sessions; the holder of a genuine token is told why.
  const user = await ctx.storage.getUser(app.id, session.userId);
  if (user?.disabled) throw new GatehouseError('UserDisabled', 'Login forbidden');
  if (session.revokedAt !== null)
    throw new GatehouseError('InvalidSession', "You've been logged out by the server. Please log in again.");
  if (!isActive(session, now))
    throw new GatehouseError('InvalidSession', 'Your session has expired. Please log in again.');
  if (!user) throw new GatehouseError('UserDisabled', 'Login forbidden');
  await ctx.storage.touchSession(app.id, session.id, now);
  return { user, session };
}

/**
 * Meteor's `getNewToken`: a new login token for the same user and provider, expiring when the current one
 * does (Meteor copies `when`). The current session must still live.
 */
export async function renewResumeSession(
  ctx: ServerContext,
  app: AppSettings,
  sessionId: string,
  info: RequestInfo | null,
): Promise<ResumeLogin> {
  const current = await ctx.storage.getSession(app.id, sessionId);
  if (!current || current.appId !== app.id || !isActive(current, ctx.now()))
    throw new GatehouseError('InvalidSession', 'Invalid login token');
  return startResumeSession(ctx, app, current.userId, {
    providerType: current.providerType,
    info,
    expiresAt: current.expiresAt,
  });
}

/** What a session remembers of the client that opened it (shown in the user's session list). */
function sessionMeta(info: RequestInfo | null): JsonObject {
  return info?.userAgent ? { userAgent: info.userAgent.slice(0, 256) } : {};
}

/**
 * An access token never outlives its session: a refresh just before the session ends gets a token that ends
 * with it, so a resource server verifying through the JWKS alone stops accepting it then too.
 */
function accessLifetime(app: AppSettings, session: SessionRecord, now: number): number {
  return Math.max(1_000, Math.min(app.accessTokenLifetimeMs, session.expiresAt - now));
}

/**
 * The live session behind a refresh token, with its user's state, in one read: signature, expiry, and the
 * secret's hash against the stored one (constant time). Anything wrong is `InvalidSession` with the message
 * realm-web's `logOut` tolerates.
 */
async function sessionOfRefreshToken(
  ctx: ServerContext,
  refreshToken: string,
  options: { sayDisabled?: boolean } = {},
): Promise<{ session: SessionRecord; user: UserState }> {
  const now = ctx.now();
  const claims = await ctx.tokens.verifyRefresh(refreshToken, now);
  const found = await ctx.storage.getSessionWithUser(claims.aud, claims.sid);
  if (!found) throw deadRefresh();
  const { session, user } = found;
  if (session.userId !== claims.sub || session.kind !== 'refresh') throw deadRefresh();
  if (!timingSafeEqual(session.refreshHash, secretHash(claims.secret))) throw deadRefresh();
  // Disabling ends the sessions; the holder of a genuine refresh token is told why (logout still succeeds
  // quietly: realm-web's `logOut` tolerates only the dead-session answer).
  if (options.sayDisabled && user.disabled) throw userDisabled();
  if (!isActive(session, now)) throw deadRefresh();
  return found;
}

function userDisabled(): GatehouseError {
  return new GatehouseError('UserDisabled', 'user disabled');
}

/**
 * Authenticates a refresh token for the routes that use one (the API-key routes): the app, the
 * user (whole) and the live session; anything wrong is `InvalidSession`.
 */
export async function authenticateRefresh(ctx: ServerContext, refreshToken: string): Promise<Authenticated> {
  const { session } = await sessionOfRefreshToken(ctx, refreshToken, { sayDisabled: true });
  const app = ctx.config.apps.get(session.appId);
  const user = app && (await ctx.storage.getUser(session.appId, session.userId));
  if (!app || !user || user.disabled) throw deadRefresh();
  return { app, user, session };
}

/**
 * `POST /auth/session`: a new access token for the same session, carrying fresh custom data (how
 * `refreshCustomData()` works). The refresh token is not rotated (clients only read the access
 * token). One database read on the hot path; last-used times are written at most once a minute.
 */
export async function refreshAccessToken(ctx: ServerContext, refreshToken: string): Promise<string> {
  const { session, user } = await sessionOfRefreshToken(ctx, refreshToken, { sayDisabled: true });
  const app = ctx.config.apps.get(session.appId);
  if (!app || user.disabled) throw deadRefresh();
  const now = ctx.now();
  if (now - session.lastUsedAt > TOUCH_INTERVAL_MS) await ctx.storage.touchSession(app.id, session.id, now);
  return issueAccessToken(ctx, app, session, user);
}

/** A new access token for an existing session, carrying the user's current custom data. */
export async function issueAccessToken(
  ctx: ServerContext,
  app: AppSettings,
  session: SessionRecord,
  user: UserState,
): Promise<string> {
  return ctx.tokens.issueAccess({
    appId: app.id,
    userId: user.id,
    sessionId: session.id,
    deviceId: session.deviceId,
    customData: await customDataOf(ctx, app, user),
    now: ctx.now(),
    lifetimeMs: accessLifetime(app, session, ctx.now()),
  });
}

/**
 * `DELETE /auth/session`: revokes the session. An anonymous user whose last session ends is deleted: nobody
 * can ever sign in as it again (realm-core marks such a user removed), so keeping it would only leak rows.
 */
export async function endSession(ctx: ServerContext, refreshToken: string, info: RequestInfo | null): Promise<void> {
  const { session } = await sessionOfRefreshToken(ctx, refreshToken);
  if (!(await logOutSession(ctx, session, info))) throw deadRefresh();
}

/**
 * Ends a session its owner logs out of (App Services logout, DDP `logout`): revoked, announced, `onLogout`
 * told. `false` when it had already ended. An anonymous user whose last session ends is deleted: nobody can
 * ever sign in as it again (realm-core marks such a user removed), so keeping it would only leak rows.
 */
export async function logOutSession(
  ctx: ServerContext,
  session: Pick<SessionRecord, 'id' | 'appId' | 'userId'>,
  info: RequestInfo | null,
): Promise<boolean> {
  const now = ctx.now();
  if (!(await ctx.storage.revokeSession(session.appId, session.id, now))) return false;
  await ctx.events.emit({
    type: 'logout',
    appId: session.appId,
    userId: session.userId,
    ...requestFacts(info),
    detail: { sessionId: session.id },
  });
  const user = await ctx.storage.getUser(session.appId, session.userId);
  await notifyLogout(ctx, user, info);
  if (user && isAnonymousOnly(user) && (await ctx.storage.listActiveSessions(user.appId, user.id, now)).length === 0) {
    await ctx.storage.deleteUser(user.appId, user.id);
  }
  return true;
}

/**
 * Authenticates an access token: signature, expiry, type, a known app, a live session and an enabled user.
 * Checking the session makes logout and revocation take effect at once (ASVS 7.4.1), not when the token
 * expires.
 */
export async function authenticateAccess(ctx: ServerContext, accessToken: string): Promise<Authenticated> {
  const now = ctx.now();
  const claims = await ctx.tokens.verifyAccess(accessToken, now);
  const app = ctx.config.apps.get(claims.aud);
  if (!app) throw invalidAccess();
  // Both ids come from the verified token, so the two reads run side by side.
  const [session, user] = await Promise.all([
    ctx.storage.getSession(app.id, claims.sid),
    ctx.storage.getUser(app.id, claims.sub),
  ]);
  if (!session || !isActive(session, now) || session.userId !== claims.sub || session.appId !== app.id)
    throw invalidAccess();
  if (!user || user.disabled) throw invalidAccess();
  return { app, user, session };
}

export function isActive(session: SessionRecord, now: number): boolean {
  return session.revokedAt === null && session.expiresAt > now;
}

export function isAnonymousOnly(user: UserRecord): boolean {
  return user.identities.length > 0 && user.identities.every((i) => i.providerType === 'anon-user');
}

function deadRefresh(): GatehouseError {
  return new GatehouseError('InvalidSession', 'invalid session: failed to find refresh token');
}

function invalidAccess(): GatehouseError {
  return new GatehouseError('InvalidSession', 'invalid session: invalid access token');
}

/** A session as its owner sees it: never its secret's hash. */
export interface SessionView {
  id: string;
  device_id: string;
  provider_type: string;
  kind: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  /** The session of the request that asked. */
  current: boolean;
}

/** The user's live sessions, newest first (Gatehouse's `GET /auth/sessions`). */
export async function listSessions(
  ctx: ServerContext,
  user: UserRecord,
  currentId: string | null,
): Promise<SessionView[]> {
  const sessions = await ctx.storage.listActiveSessions(user.appId, user.id, ctx.now());
  return sessions.map((s) => ({
    id: s.id,
    device_id: s.deviceId,
    provider_type: s.providerType,
    kind: s.kind,
    created_at: s.createdAt,
    last_used_at: s.lastUsedAt,
    expires_at: s.expiresAt,
    current: s.id === currentId,
  }));
}

/** Ends one of the user's own sessions; another user's (or an unknown) id is `NotFound`. */
export async function revokeOwnSession(
  ctx: ServerContext,
  user: UserRecord,
  sessionId: string,
  info: RequestInfo | null,
): Promise<void> {
  const session = await ctx.storage.getSession(user.appId, sessionId);
  if (!session || session.userId !== user.id || !(await ctx.storage.revokeSession(user.appId, session.id, ctx.now())))
    throw new GatehouseError('NotFound', 'session not found');
  await ctx.events.emit({
    type: 'session-revoked',
    appId: user.appId,
    userId: user.id,
    ...requestFacts(info),
    detail: { sessionId },
  });
}

/**
 * Ends every session of the user but `keepSessionId` (Meteor's `logoutOtherClients` / `removeOtherTokens`,
 * Gatehouse's `POST /auth/sessions/logout-others`); returns how many ended.
 */
export async function logoutOtherSessions(
  ctx: ServerContext,
  user: Pick<UserRecord, 'id' | 'appId'>,
  keepSessionId: string,
  info: RequestInfo | null,
): Promise<number> {
  const count = await ctx.storage.revokeUserSessions(user.appId, user.id, ctx.now(), keepSessionId);
  await ctx.events.emit({
    type: 'other-sessions-revoked',
    appId: user.appId,
    userId: user.id,
    ...requestFacts(info),
    detail: { count },
  });
  return count;
}
