import { GatehouseError } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { z } from 'zod';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { type LoginResult, startSession } from '../sessions/index.js';

/** What a provider's credentials prove: who is logging in. */
export interface LoginOutcome {
  user: UserRecord;
  /** The API key that authenticated, if any (a session cannot delete its own key). */
  apiKeyId?: string | null;
}

/**
 * One credential kind of the App Services protocol (spec §5.1). The wire layer validates the payload with
 * `schema` (after taking off the `provider` and `options` envelope), then calls `logIn` or `link`; sessions
 * and tokens are made in one place ({@link completeLogin}), so every provider gets them alike.
 */
export interface CredentialProvider<P = unknown> {
  /** The provider type, which is also its name in URLs. */
  readonly type: string;
  /** The credential payload, strict: unknown fields are refused. */
  readonly schema: z.ZodType<P>;
  /** Whether the app has this provider switched on. */
  enabled(app: AppSettings): boolean;
  /** Finds — or, for providers that create accounts on first use, creates — the user the payload proves. */
  logIn(ctx: ServerContext, app: AppSettings, payload: P, info: RequestInfo): Promise<LoginOutcome>;
  /**
   * Adds the identity the payload proves to `user` (spec §5.3). Refuses an identity that belongs to another
   * user. Absent when the credential kind cannot be linked (anonymous).
   */
  link?(ctx: ServerContext, app: AppSettings, user: UserRecord, payload: P, info: RequestInfo): Promise<void>;
}

/**
 * Turns a proven user into a session: refuses disabled users, starts the session, records the login.
 */
export async function completeLogin(
  ctx: ServerContext,
  app: AppSettings,
  provider: CredentialProvider,
  outcome: LoginOutcome,
  deviceId: string,
  info: RequestInfo,
): Promise<LoginResult> {
  if (outcome.user.disabled) throw new GatehouseError('UserDisabled', 'user disabled');
  const result = await startSession(ctx, app, outcome.user, {
    providerType: provider.type,
    deviceId,
    apiKeyId: outcome.apiKeyId ?? null,
    meta: info.userAgent ? { userAgent: info.userAgent.slice(0, 256) } : {},
  });
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: outcome.user.id,
    type: 'login',
    ip: info.address,
    now: ctx.now(),
    detail: { provider: provider.type },
  });
  return result;
}

/** The refusal for a provider the app does not have (spec §4.4). */
export function providerNotFound(type: string): GatehouseError {
  return new GatehouseError('AuthProviderNotFound', `authentication via '${type.slice(0, 64)}' is unsupported`);
}
