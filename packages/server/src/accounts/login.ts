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
/** Refusals whose `login-failed` event their check already emitted ({@link refuseLogin}). */
const announced = new WeakSet<object>();

/** Why a check refused a login, for its `login-failed` event. */
export interface LoginRefusal {
  /** The user the attempt named, when there is one. */
  userId: string | null;
  provider: string;
  reason: string;
  info: RequestInfo | null;
  /** More secret-free facts (`during: 'change-password'`). */
  detail?: JsonObject;
}

/**
 * Records a login a check refused — one `login-failed` event, with the client it came from — and returns
 * `error` marked so {@link logIn} does not record it a second time. Every check that knows why it refused (a
 * password, a mailed code, a second factor, a passkey, an API key, a disabled user) goes through here.
 *
 * @example
 * ```ts
 * throw await refuseLogin(ctx, app, { userId: null, provider: 'api-key', reason: 'unknown-key', info }, error);
 * ```
 */
export async function refuseLogin<E extends object>(
  ctx: ServerContext,
  app: AppSettings,
  refusal: LoginRefusal,
  error: E,
): Promise<E> {
  await ctx.events.emit({
    type: 'login-failed',
    appId: app.id,
    userId: refusal.userId,
    ...requestFacts(refusal.info),
    detail: { provider: refusal.provider, reason: refusal.reason, ...refusal.detail },
  });
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
        const refusal = { userId: proven.user.id, provider: attempt.providerType, reason: 'user-disabled' };
        const error = new GatehouseError('UserDisabled', 'user disabled');
        throw await refuseLogin(ctx, app, { ...refusal, info: attempt.info }, error);
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
