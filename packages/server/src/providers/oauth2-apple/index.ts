import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../../accounts/index.js';
import type { AppSettings, ServerContext } from '../../context.js';
import type { RedirectProvider } from '../../oauth/redirect-provider.js';
import { exchangeAppleCode } from '../../oauth/services/apple.js';
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
  return { ...identityFromIdToken(PROVIDER, claims), tokens: { idToken: token } };
}

/** `oauth2-apple` with an ID token (`Credentials.apple(idToken)`). */
export const appleProvider: CredentialProvider<{ id_token: string }> = {
  type: PROVIDER,
  schema: z.object({ id_token: z.string().min(1).max(16_384) }).strict(),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  logIn: async (ctx, app, { id_token }, info) => ({
    user: await findOrCreateUserForIdentity(ctx, app, await prove(ctx, app, id_token), info),
  }),
  link: async (ctx, app, user, { id_token }, info) =>
    linkIdentity(ctx, app, user, await prove(ctx, app, id_token), info),
};

/**
 * `Credentials.apple(redirectUrl)`: Apple's authorize page with `response_mode=form_post` (so Apple
 * posts the answer to the callback), the code exchanged with a client secret signed from the `.p8` key
 * (`oauth/services/apple.ts`), the ID token checked against Apple's keys and the nonce.
 */
export const appleRedirect: RedirectProvider = {
  type: PROVIDER,
  redirectSettings(app) {
    const settings = app.providers[PROVIDER];
    if (!settings?.enabled) return null;
    if (!settings.servicesId) return 'needs-client-secret';
    return {
      label: 'Apple',
      clientId: settings.servicesId,
      authorizationEndpoint: `${settings.issuer.replace(/\/+$/, '')}/auth/authorize`,
      scope: 'name email',
      nonce: true,
      extraParams: { response_mode: 'form_post' },
    };
  },
  async finish(ctx, app, answer) {
    const settings = app.providers[PROVIDER];
    if (!settings?.enabled || !settings.servicesId || !settings.teamId || !settings.keyId || !settings.privateKey)
      throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
    const result = await exchangeAppleCode(
      {
        clientId: settings.servicesId,
        teamId: settings.teamId,
        keyId: settings.keyId,
        secret: settings.privateKey,
        issuer: settings.issuer.replace(/\/+$/, ''),
      },
      answer.params.get('code') as string,
      answer.callbackUrl,
      ctx.now(),
    );
    if (result.claims.nonce !== answer.nonce)
      throw new GatehouseError('AuthError', 'Apple login failed: the ID token was not issued for this login (nonce)');
    const { claims, ...tokens } = result;
    return { ...identityFromIdToken(PROVIDER, claims), tokens: tokens as JsonObject };
  },
};
