import { GatehouseError } from '@gatehouse-auth/core';
import { z } from 'zod';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../../accounts/index.js';
import type { AppSettings, ServerContext } from '../../context.js';
import { identityFromIdToken, verifyIdToken } from '../oidc-id-token.js';
import type { CredentialProvider } from '../registry.js';

export const PROVIDER = 'oauth2-apple';

async function prove(ctx: ServerContext, app: AppSettings, token: string): Promise<ProvenIdentity> {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  const claims = await verifyIdToken(
    { issuers: [settings.issuer], jwksUrl: settings.jwksUrl, audiences: settings.clientIds },
    token,
    ctx.now(),
    'Apple',
  );
  return identityFromIdToken(PROVIDER, claims);
}

/** `oauth2-apple` with an ID token (`Credentials.apple(idToken)`). */
export const appleProvider: CredentialProvider<{ id_token: string }> = {
  type: PROVIDER,
  schema: z.object({ id_token: z.string().min(1).max(16_384) }).strict(),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  logIn: async (ctx, app, { id_token }, info) => ({
    user: await findOrCreateUserForIdentity(ctx, app, await prove(ctx, app, id_token), info),
  }),
  link: async (ctx, app, user, { id_token }) => linkIdentity(ctx, app, user, await prove(ctx, app, id_token)),
};
