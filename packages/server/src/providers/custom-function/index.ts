import { GatehouseError, isGatehouseError } from '@gatehouse/core';
import { z } from 'zod';
import type { AppSettings, ServerContext } from '../../context.js';
import { runConfigFunction } from '../../functions/index.js';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../federated.js';
import type { CredentialProvider } from '../registry.js';

/**
 * `custom-function` login (spec §5.1): the config module's function receives the client's payload (Extended
 * JSON decoded) and returns the external user id, or throws to refuse — its message is the answer. The user
 * is keyed on that id; the first login creates it.
 */
export const PROVIDER = 'custom-function';

async function prove(ctx: ServerContext, app: AppSettings, payload: Record<string, unknown>): Promise<ProvenIdentity> {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  let id: unknown;
  try {
    id = await runConfigFunction(ctx, settings.function, [payload]);
  } catch (error) {
    // The function refused (or failed): its message, as a login refusal — never a 500.
    const message = isGatehouseError(error) ? error.message : 'authentication function failed';
    throw new GatehouseError('AuthError', message);
  }
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
    ctx.logger.error({ fn: settings.function }, 'custom-function must return a non-empty string id');
    throw new GatehouseError('AuthError', 'authentication function returned no user id');
  }
  return { providerType: PROVIDER, providerId: PROVIDER, subject: id };
}

export const customFunctionProvider: CredentialProvider<Record<string, unknown>> = {
  type: PROVIDER,
  // The payload is the app's own: any JSON object (the body limit and Extended JSON's depth bound its size).
  schema: z.record(z.string(), z.unknown()),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  logIn: async (ctx, app, payload) => ({
    user: await findOrCreateUserForIdentity(ctx, app, await prove(ctx, app, payload)),
  }),
  link: async (ctx, app, user, payload) => linkIdentity(ctx, app, user, await prove(ctx, app, payload)),
};
