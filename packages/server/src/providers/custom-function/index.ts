import { GatehouseError, isGatehouseError, parseDuration, serialize } from '@gatehouse-auth/core';
import { z } from 'zod';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../../accounts/index.js';
import type { AppSettings, ServerContext } from '../../context.js';
import { runConfigFunction } from '../../functions/index.js';
import type { CredentialProvider } from '../registry.js';

/**
 * `custom-function` login: realm-web's `Credentials.function(payload)` sends the payload object
 * itself as canonical Extended JSON; the body reader has decoded it. The config module's function receives it
 * and returns the external user id, or throws to refuse — its message is the answer (401 `AuthError`). The
 * user is keyed on (`custom-function`, id); the first login creates it, and `?link=true` adds the identity to
 * the calling user instead.
 */
export const PROVIDER = 'custom-function';

/** Longest user id a function may return. */
export const MAX_USER_ID_LENGTH = 256;
/** Largest payload handed to the function, as canonical Extended JSON. */
export const MAX_PAYLOAD_BYTES = 32_768;
/** Deepest payload handed to the function. */
export const MAX_PAYLOAD_DEPTH = 32;

/** What the function gets besides the payload. */
export interface CustomFunctionContext {
  /** The app the login is for, so one function can serve several apps. */
  appId: string;
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_PAYLOAD_DEPTH || value === null || typeof value !== 'object') return depth;
  let deepest = depth;
  for (const v of Object.values(value)) deepest = Math.max(deepest, depthOf(v, depth + 1));
  return deepest;
}

/** The function's payload is the app's own shape, so only its size and depth are checked here. */
const payloadSchema = z.record(z.string(), z.unknown()).superRefine((payload, issues) => {
  if (depthOf(payload) > MAX_PAYLOAD_DEPTH)
    issues.addIssue({ code: 'custom', message: `payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels` });
  else if (JSON.stringify(serialize(payload)).length > MAX_PAYLOAD_BYTES)
    issues.addIssue({ code: 'custom', message: `payload is larger than ${MAX_PAYLOAD_BYTES / 1024} KiB` });
});

/** Runs the app's function on the payload and turns its answer into an identity, or a 4xx refusal. */
async function prove(ctx: ServerContext, app: AppSettings, payload: Record<string, unknown>): Promise<ProvenIdentity> {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  const context: CustomFunctionContext = { appId: app.id };
  let id: unknown;
  try {
    id = await runConfigFunction(ctx, settings.function, [payload, context], {
      timeoutMs: parseDuration(settings.timeout) ?? 10_000,
    });
  } catch (error) {
    // The function refused, failed or timed out: its message, as a login refusal — never a 500.
    const message = isGatehouseError(error) ? error.message : 'authentication function failed';
    throw new GatehouseError('AuthError', message);
  }
  if (typeof id !== 'string' || id.trim().length === 0 || id.length > MAX_USER_ID_LENGTH) {
    // The app's bug, not the client's: the log says what, the client gets a stable refusal.
    ctx.logger.error(
      { fn: settings.function, returned: typeof id === 'string' ? `string of ${id.length}` : typeof id },
      `custom-function must return a non-empty string user id of at most ${MAX_USER_ID_LENGTH} characters`,
    );
    throw new GatehouseError(
      'AuthError',
      typeof id === 'string' && id.length > MAX_USER_ID_LENGTH
        ? `authentication function returned a user id longer than ${MAX_USER_ID_LENGTH} characters`
        : 'authentication function returned no user id',
    );
  }
  return { providerType: PROVIDER, providerId: PROVIDER, subject: id };
}

export const customFunctionProvider: CredentialProvider<Record<string, unknown>> = {
  type: PROVIDER,
  schema: payloadSchema,
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  logIn: async (ctx, app, payload, info) => ({
    user: await findOrCreateUserForIdentity(ctx, app, await prove(ctx, app, payload), info),
  }),
  link: async (ctx, app, user, payload, info) => linkIdentity(ctx, app, user, await prove(ctx, app, payload), info),
};
