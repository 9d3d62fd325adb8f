import { GatehouseError, isGatehouseError, type JsonObject } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { attemptLogin } from './hooks.js';
import { type LoginResult, type ResumeLogin, startResumeSession, startSession } from './sessions.js';

/** Who a credential proved, and with what. */
export interface Proven {
  user: UserRecord;
  /** The API key that authenticated, if any (a session cannot delete its own key). */
  apiKeyId?: string | null;
}

/** The kind of session a login opens: App Services tokens for a device, or a Meteor login token. */
export type SessionRequest = { kind: 'refresh'; deviceId: string } | { kind: 'resume' };

export type SessionOf<S extends SessionRequest> = S extends { kind: 'refresh' } ? LoginResult : ResumeLogin;

/** One login as the hooks name it. */
export interface LoginAttemptInfo {
  /** The hooks' `attempt.type`: `password`, `resume`, or the provider type (`anon-user`, `oauth2-google`, …). */
  type: string;
  /** The hooks' `attempt.methodName`: `login`, `createUser`, `resetPassword`, `verifyEmail`, … */
  methodName: string;
  /** The provider the session is recorded with (`local-userpass`, `anon-user`, …). */
  providerType: string;
  info: RequestInfo;
  /** An external login's services data for the hooks' `attempt.user.services` (Meteor shows them). */
  services?: (user: UserRecord) => Record<string, JsonObject>;
}

/**
 * Every login of every front: `prove` establishes the user (or throws the refusal); `validateLoginAttempt`
 * hooks may refuse it; a disabled user is refused; the session of the requested kind starts; `login` is
 * announced; `onLogin` / `onLoginFailure` hear the outcome.
 *
 * @example
 * ```ts
 * const result = await logIn(ctx, app, { type: 'password', methodName: 'login', providerType: 'local-userpass', info },
 *   async () => ({ user: await verifyPassword(ctx, app, { selector, password }, info) }), { kind: 'resume' });
 * ```
 */
export async function logIn<S extends SessionRequest>(
  ctx: ServerContext,
  app: AppSettings,
  attempt: LoginAttemptInfo,
  prove: () => Promise<Proven>,
  session: S,
): Promise<SessionOf<S>> {
  try {
    return await startLogin(ctx, app, attempt, prove, session);
  } catch (error) {
    // Every refused login is in the audit log once: checks that record their own failure (password, API key,
    // disabled user) mark it; any other refusal — a bad token of an outside provider, a hook saying no, a
    // limit — is recorded here with its code. An outage is not a refusal.
    if (isGatehouseError(error) && !announced.has(error) && !OUTAGES.has(error.code))
      await ctx.events.emit({
        type: 'login-failed',
        appId: app.id,
        userId: null,
        ...requestFacts(attempt.info),
        detail: { provider: attempt.providerType, reason: error.code },
      });
    throw error;
  }
}

const OUTAGES = new Set(['ServiceUnavailable', 'ServiceBusy', 'InternalServerError']);
const announced = new WeakSet<object>();

/** Marks a refusal whose `login-failed` event its check already emitted, so {@link logIn} does not repeat it. */
export function announcedFailure<E extends object>(error: E): E {
  announced.add(error);
  return error;
}

async function startLogin<S extends SessionRequest>(
  ctx: ServerContext,
  app: AppSettings,
  attempt: LoginAttemptInfo,
  prove: () => Promise<Proven>,
  session: S,
): Promise<SessionOf<S>> {
  let proven: Proven | undefined;
  return attemptLogin(
    ctx,
    app,
    attempt,
    async () => {
      proven = await prove();
      if (proven.user.disabled) {
        await ctx.events.emit({
          type: 'login-failed',
          appId: app.id,
          userId: proven.user.id,
          ...requestFacts(attempt.info),
          detail: { provider: attempt.providerType, reason: 'user-disabled' },
        });
        throw announcedFailure(new GatehouseError('UserDisabled', 'user disabled'));
      }
      return proven.user;
    },
    async (user) => {
      const started =
        session.kind === 'refresh'
          ? await startSession(ctx, app, user, {
              providerType: attempt.providerType,
              deviceId: session.deviceId,
              apiKeyId: proven?.apiKeyId ?? null,
              info: attempt.info,
            })
          : await startResumeSession(ctx, app, user.id, { providerType: attempt.providerType, info: attempt.info });
      await ctx.events.emit({
        type: 'login',
        appId: app.id,
        userId: user.id,
        ...requestFacts(attempt.info),
        detail: { provider: attempt.providerType, via: session.kind === 'refresh' ? 'http' : 'ddp' },
      });
      return started as SessionOf<S>;
    },
  );
}
