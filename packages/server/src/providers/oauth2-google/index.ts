import { GatehouseError } from '@gatehouse/core';
import { z } from 'zod';
import type { AppSettings, ServerContext } from '../../context.js';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../federated.js';
import { identityFromIdToken, verifyIdToken } from '../oidc-id-token.js';
import type { CredentialProvider } from '../registry.js';

export const PROVIDER = 'oauth2-google';

async function prove(
  ctx: ServerContext,
  app: AppSettings,
  payload: { id_token?: string; authCode?: string },
): Promise<ProvenIdentity> {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  if (payload.id_token === undefined) {
    // The authorization-code exchange (Credentials.google({ authCode })) is not built yet: say so plainly.
    throw new GatehouseError(
      'InvalidParameter',
      'Google login with an authCode is not supported yet; send an id_token',
    );
  }
  // Google issues tokens as both "https://accounts.google.com" and "accounts.google.com".
  const issuers =
    settings.issuer === 'https://accounts.google.com'
      ? ['https://accounts.google.com', 'accounts.google.com']
      : [settings.issuer];
  const audiences = Array.isArray(settings.clientId) ? settings.clientId : [settings.clientId];
  const claims = await verifyIdToken(
    { issuers, jwksUrl: settings.jwksUrl, audiences },
    payload.id_token,
    ctx.now(),
    'Google',
  );
  return identityFromIdToken(PROVIDER, claims);
}

const schema = z
  .object({ id_token: z.string().min(1).max(16_384).optional(), authCode: z.string().min(1).max(4096).optional() })
  .strict()
  .refine(
    (v) => (v.id_token === undefined) !== (v.authCode === undefined),
    'send exactly one of id_token and authCode',
  );

/** `oauth2-google` with an ID token (`Credentials.google({ idToken })`). */
export const googleProvider: CredentialProvider<z.output<typeof schema>> = {
  type: PROVIDER,
  schema,
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  logIn: async (ctx, app, payload) => ({
    user: await findOrCreateUserForIdentity(ctx, app, await prove(ctx, app, payload)),
  }),
  link: async (ctx, app, user, payload) => linkIdentity(ctx, app, user, await prove(ctx, app, payload)),
};
