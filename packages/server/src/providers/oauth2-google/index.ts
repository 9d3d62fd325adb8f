import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../../accounts/index.js';
import type { AppSettings, ServerContext } from '../../context.js';
import { oidcRedirectProvider } from '../../oauth/oidc-redirect.js';
import { tokenFields } from '../../oauth/services/oidc.js';
import { identityFromIdToken, isLoopbackHttp, verifyIdToken } from '../oidc-id-token.js';
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
  const issuers = acceptedIssuers(settings.issuer);
  const audiences = Array.isArray(settings.clientId) ? settings.clientId : [settings.clientId];
  const tokens =
    payload.id_token !== undefined
      ? { idToken: payload.id_token }
      : await exchangeCode(settings, audiences[0] as string, payload.authCode as string, ctx.now());
  const claims = await verifyIdToken(
    { issuers, jwksUrl: settings.jwksUrl, audiences },
    tokens.idToken as string,
    ctx.now(),
    'Google',
  );
  return { ...identityFromIdToken(PROVIDER, claims), tokens };
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
  logIn: async (ctx, app, payload, info) => ({
    user: await findOrCreateUserForIdentity(ctx, app, await prove(ctx, app, payload), info),
  }),
  link: async (ctx, app, user, payload, info) => linkIdentity(ctx, app, user, await prove(ctx, app, payload), info),
};

type GoogleSettings = NonNullable<AppSettings['providers']['oauth2-google']>;

// Google issues tokens as both "https://accounts.google.com" and "accounts.google.com".
function acceptedIssuers(issuer: string): string[] {
  return issuer === 'https://accounts.google.com' ? ['https://accounts.google.com', 'accounts.google.com'] : [issuer];
}

/**
 * `Credentials.google({ redirectUrl })`: the authorization-code flow with the first client id and
 * the client secret; without a secret the provider serves token logins only.
 */
export const googleRedirect = oidcRedirectProvider(PROVIDER, (app) => {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled) return null;
  if (!settings.clientSecret) return 'needs-client-secret';
  return {
    label: 'Google',
    clientId: (Array.isArray(settings.clientId) ? settings.clientId[0] : settings.clientId) as string,
    clientSecret: settings.clientSecret,
    issuer: settings.issuer,
    acceptedIssuers: acceptedIssuers(settings.issuer),
    jwksUrl: settings.jwksUrl,
    authorizationEndpoint: settings.authorizationEndpoint,
    tokenEndpoint: settings.tokenEndpoint,
    scope: 'openid email profile',
  };
});

/**
 * `Credentials.google({ authCode })`: the server auth code is exchanged at the token endpoint with the client
 * secret (oauth4webapi), and the ID token that comes back is then verified like any other. Plain HTTP is
 * allowed only for a loopback token endpoint (tests, local development).
 */
async function exchangeCode(
  settings: GoogleSettings,
  clientId: string,
  code: string,
  now: number,
): Promise<JsonObject & { idToken: string }> {
  const refuse = (why: string) => new GatehouseError('AuthError', `invalid Google authCode: ${why}`);
  if (!settings.clientSecret)
    throw new GatehouseError('InvalidParameter', 'Google authCode login needs clientSecret in the provider settings');
  const as: oauth.AuthorizationServer = {
    issuer: settings.issuer,
    token_endpoint: settings.tokenEndpoint,
    jwks_uri: settings.jwksUrl,
  };
  const client: oauth.Client = { client_id: clientId };
  const loopback = isLoopbackHttp(settings.tokenEndpoint);
  try {
    const params = oauth.validateAuthResponse(as, client, new URLSearchParams({ code }), oauth.skipStateCheck);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretPost(settings.clientSecret),
      params,
      settings.redirectUri,
      oauth.nopkce,
      {
        signal: AbortSignal.timeout(5000),
        [oauth.allowInsecureRequests]: loopback,
      },
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: oauth.expectNoNonce,
      requireIdToken: true,
    });
    if (typeof result.id_token !== 'string') throw refuse('no id_token in the answer');
    return { ...tokenFields(result, now), idToken: result.id_token };
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    if (error instanceof oauth.ResponseBodyError)
      throw refuse(error.error === 'invalid_grant' ? 'the code is invalid, expired or already used' : error.error);
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
      throw refuse('the token endpoint did not answer in time');
    throw refuse('the code could not be exchanged');
  }
}
