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
import type { AppSettings, ServerContext } from '../context.js';
import { customDataOf, notifyLogout } from '../hooks/index.js';
import { secretHash } from '../tokens/hash.js';

/** Tokens handed to a client after a login (spec §5.2). */
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
 * from realm-web, spec §2.4) when it is a real one, else a new ObjectId. Never the all-zero "none" id, and
 * never anything that is not 24 hex — realm-web would throw on every later login (spec §2.4).
 */
export function deviceIdFrom(options: unknown): string {
  const device = (options as { device?: { deviceId?: unknown } } | undefined)?.device;
  const raw = device?.deviceId;
  const hex = raw instanceof ObjectId ? raw.hex : typeof raw === 'string' ? raw : null;
  return hex && isObjectIdHex(hex) && hex !== NO_DEVICE_ID ? hex.toLowerCase() : objectId();
}

/**
 * Starts a session for `user` — one login, one session — and issues its access and refresh tokens.
 * Anonymous sessions get the app's (long) anonymous lifetime.
 */
export async function startSession(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  input: { providerType: string; deviceId: string; apiKeyId?: string | null; meta?: JsonObject },
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
    meta: input.meta ?? {},
    now,
    expiresAt: now + lifetime,
  });
  const common = { appId: app.id, userId: user.id, sessionId: session.id, deviceId: session.deviceId, now };
  const [accessToken, refreshToken] = await Promise.all([
    ctx.tokens.issueAccess({
      ...common,
      customData: await customDataOf(ctx, app, user),
      lifetimeMs: app.accessTokenLifetimeMs,
    }),
    ctx.tokens.issueRefresh({ ...common, secret, expiresAt: session.expiresAt }),
  ]);
  return { accessToken, refreshToken, userId: user.id, deviceId: session.deviceId, sessionId: session.id };
}

/**
 * The live session behind a refresh token, with its user's state, in one read: signature, expiry, and the
 * secret's hash against the stored one (constant time). Anything wrong is `InvalidSession` with the message
 * realm-web's `logOut` tolerates (spec §7.2).
 */
async function sessionOfRefreshToken(
  ctx: ServerContext,
  refreshToken: string,
): Promise<{ session: SessionRecord; user: UserState }> {
  const now = ctx.now();
  const claims = await ctx.tokens.verifyRefresh(refreshToken, now);
  // The session is looked up in the app the verified token names (`aud`).
  const found = await ctx.storage.getSessionWithUser(claims.aud, claims.sid);
  if (!found) throw deadRefresh();
  const { session } = found;
  if (!isActive(session, now) || session.userId !== claims.sub || session.kind !== 'refresh') throw deadRefresh();
  if (!timingSafeEqual(session.refreshHash, secretHash(claims.secret))) throw deadRefresh();
  return found;
}

/**
 * Authenticates a refresh token for the routes that use one (the API-key routes, spec §3.2): the app, the
 * user (whole) and the live session; anything wrong is `InvalidSession`.
 */
export async function authenticateRefresh(ctx: ServerContext, refreshToken: string): Promise<Authenticated> {
  const { session } = await sessionOfRefreshToken(ctx, refreshToken);
  const app = ctx.config.apps.get(session.appId);
  const user = app && (await ctx.storage.getUser(session.appId, session.userId));
  if (!app || !user || user.disabled) throw deadRefresh();
  return { app, user, session };
}

/**
 * `POST /auth/session`: a new access token for the same session, carrying fresh custom data (how
 * `refreshCustomData()` works, spec §7.1). The refresh token is not rotated (clients only read the access
 * token, spec §2.3). One database read on the hot path; last-used times are written at most once a minute.
 */
export async function refreshAccessToken(ctx: ServerContext, refreshToken: string): Promise<string> {
  const { session, user } = await sessionOfRefreshToken(ctx, refreshToken);
  const app = ctx.config.apps.get(session.appId);
  if (!app || user.disabled) throw deadRefresh();
  const now = ctx.now();
  if (now - session.lastUsedAt > TOUCH_INTERVAL_MS) await ctx.storage.touchSession(session.appId, session.id, now);
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
    lifetimeMs: app.accessTokenLifetimeMs,
  });
}

/**
 * `DELETE /auth/session`: revokes the session. An anonymous user whose last session ends is deleted: nobody
 * can ever sign in as it again (realm-core marks such a user removed), so keeping it would only leak rows.
 */
export async function endSession(ctx: ServerContext, refreshToken: string): Promise<void> {
  const { session } = await sessionOfRefreshToken(ctx, refreshToken);
  const now = ctx.now();
  if (!(await ctx.storage.revokeSession(session.appId, session.id, now))) throw deadRefresh();
  ctx.changes.userChanged(session.userId);
  const user = await ctx.storage.getUser(session.appId, session.userId);
  await notifyLogout(ctx, user, null);
  if (user && isAnonymousOnly(user) && (await ctx.storage.listActiveSessions(user.appId, user.id, now)).length === 0) {
    await ctx.storage.deleteUser(user.appId, user.id);
  }
  await ctx.storage.recordAuditEvent({
    appId: session.appId,
    userId: session.userId,
    type: 'logout',
    now,
    detail: { sessionId: session.id },
  });
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

/** The token in an `Authorization: Bearer …` header; `must authenticate first` if there is none. */
export function bearerToken(header: string | null): string {
  const match = header === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new GatehouseError('InvalidSession', 'must authenticate first');
  return match[1] as string;
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
