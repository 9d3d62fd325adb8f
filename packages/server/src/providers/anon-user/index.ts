import { objectId, randomBytes } from '@gatehouse/core';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';
import { type LoginResult, startSession } from '../../sessions/index.js';

/**
 * The identity id App Services gave anonymous users: `<24-hex>-<24 lowercase letters>` (spec §6).
 */
function anonymousSubject(): string {
  const letters = Array.from(randomBytes(24), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${objectId()}-${letters}`;
}

/**
 * `anon-user` login: every call creates a new user (spec §5.2) with one anonymous identity, and a session.
 */
export async function logInAnonymously(
  ctx: ServerContext,
  app: AppSettings,
  deviceId: string,
  info: RequestInfo,
): Promise<LoginResult> {
  const now = ctx.now();
  const user = await ctx.storage.createUser({
    id: objectId(now),
    appId: app.id,
    identities: [{ providerType: 'anon-user', providerId: 'anon-user', subject: anonymousSubject() }],
    now,
  });
  const result = await startSession(ctx, app, user, { providerType: 'anon-user', deviceId });
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: user.id,
    type: 'login',
    ip: info.address,
    now,
    detail: { provider: 'anon-user' },
  });
  return result;
}
