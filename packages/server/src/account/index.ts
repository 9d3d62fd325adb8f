import { GatehouseError } from '@gatehouse-auth/core';
import type { SessionRecord, UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, ServerContext } from '../context.js';
import { checkPassword } from '../passwords/index.js';
import { providerSettings } from '../providers/local-userpass/index.js';

/**
 * A signed-in user managing their own account (extensions App Services lacked; Meteor's `logoutOtherClients`
 * and `changePassword`, spec meteor-accounts §2.3, §4.4; ASVS 7.5.2, 6.2.3): list and end sessions, change
 * the password. HTTP and DDP both call these.
 */

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

/** The user's live sessions, newest first. */
export async function listSessions(
  ctx: ServerContext,
  user: UserRecord,
  current: SessionRecord,
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
    current: s.id === current.id,
  }));
}

/** Ends one of the user's own sessions; another user's (or an unknown) id is `NotFound`. */
export async function revokeOwnSession(ctx: ServerContext, user: UserRecord, sessionId: string): Promise<void> {
  const session = await ctx.storage.getSession(user.appId, sessionId);
  if (!session || session.userId !== user.id || !(await ctx.storage.revokeSession(user.appId, session.id, ctx.now()))) {
    throw new GatehouseError('NotFound', 'session not found');
  }
  ctx.changes.userChanged(user.id);
  await ctx.storage.recordAuditEvent({
    appId: user.appId,
    userId: user.id,
    type: 'session-revoked',
    now: ctx.now(),
    detail: { sessionId },
  });
}

/** Ends every session of the user but `current` (Meteor's `logoutOtherClients`); returns how many. */
export async function logoutOtherSessions(
  ctx: ServerContext,
  user: UserRecord,
  current: SessionRecord,
): Promise<number> {
  const count = await ctx.storage.revokeUserSessions(user.appId, user.id, ctx.now(), current.id);
  ctx.changes.userChanged(user.id);
  await ctx.storage.recordAuditEvent({
    appId: user.appId,
    userId: user.id,
    type: 'other-sessions-revoked',
    now: ctx.now(),
    detail: { count },
  });
  return count;
}

/** A password as typed, or — from Meteor clients — its SHA-256 digest. */
export type PasswordInput = string | { digest: string };

/** Wrong current passwords allowed per user within the failed-login window. */
const CURRENT_PASSWORD_ATTEMPTS = 10;

/**
 * Changes the password: the current one must be right (ASVS 6.2.3) and the new one must meet the policy;
 * every other session ends, this one stays (Meteor's `changePassword`; ASVS 7.4.3). Wrong current passwords
 * are limited per user, so a stolen access token cannot be used to guess the password. A new password given
 * as a Meteor digest cannot be checked against the policy (Meteor's own limitation): it is stored as is.
 */
export async function changePassword(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  current: SessionRecord,
  input: { currentPassword: PasswordInput; newPassword: PasswordInput },
): Promise<void> {
  const settings = providerSettings(app);
  const stored = await ctx.storage.getPasswordHash(user.appId, user.id);
  if (!stored) throw new GatehouseError('BadRequest', 'user has no password set');
  const next =
    typeof input.newPassword === 'string'
      ? checkPassword(input.newPassword, {
          minLength: settings.minPasswordLength,
          maxLength: settings.maxPasswordLength,
          rejectCommon: settings.rejectCommonPasswords,
        })
      : input.newPassword;
  const key = `change-password:${user.id}`;
  const blocked = await ctx.limiter.blocked([{ key, limit: CURRENT_PASSWORD_ATTEMPTS }], ctx.now());
  if (blocked) {
    throw new GatehouseError('TooManyRequests', 'too many failed attempts, try again later', {
      details: { retryAfterSeconds: Math.ceil(blocked.retryAfterMs / 1000) },
    });
  }
  const currentPassword = input.currentPassword;
  const verdict =
    typeof currentPassword === 'string'
      ? await ctx.passwords.verify(stored, currentPassword)
      : await ctx.passwords.verifyDigest(stored, currentPassword.digest);
  if (!verdict.ok) {
    await ctx.limiter.count([key], ctx.config.rateLimits.windowMs, ctx.now());
    throw new GatehouseError('InvalidPassword', 'invalid username/password');
  }
  const hash = typeof next === 'string' ? await ctx.passwords.hash(next) : await ctx.passwords.hashDigest(next.digest);
  const now = ctx.now();
  await ctx.storage.transaction(async (tx) => {
    await tx.setPasswordHash(user.appId, user.id, hash, now);
    await tx.revokeUserSessions(user.appId, user.id, now, current.id);
  });
  ctx.changes.userChanged(user.id);
  await ctx.storage.recordAuditEvent({ appId: app.id, userId: user.id, type: 'password-changed', now });
}
