import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import * as oauth from 'oauth4webapi';
import type { AppSettings } from '../context.js';
import { identityFromIdToken, isLoopbackHttp, verifyIdToken } from '../providers/oidc-id-token.js';
import type { RedirectProvider } from './redirect-provider.js';
import { tokenFields } from './services/oidc.js';

/** What an OpenID Connect provider needs for the redirect flow. */
export interface OidcRedirectSettings {
  /** Shown in error messages: `Google`. */
  label: string;
  clientId: string;
  /** Secret: sent only to the token endpoint, never logged. */
  clientSecret: string;
  /** The issuer the token endpoint's ID token must carry (oauth4webapi compares it exactly). */
  issuer: string;
  /** Every issuer spelling accepted when the ID token's signature is checked (Google has two). */
  acceptedIssuers: string[];
  jwksUrl: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scope: string;
}

const TOKEN_ENDPOINT_TIMEOUT_MS = 5000;

/**
 * A redirect provider for an OpenID Connect IdP: the code is exchanged with the client secret and the PKCE
 * verifier (oauth4webapi, which also checks an `iss` response parameter when sent, RFC 9207, and the ID
 * token's issuer, audience, times and nonce); then the ID token's signature is verified against the
 * provider's JWKS exactly as an `id_token` login's is, audience the client id only.
 *
 * @example
 * ```ts
 * export const googleRedirect = oidcRedirectProvider('oauth2-google', (app) => ({ label: 'Google', … }));
 * ```
 */
export function oidcRedirectProvider(
  type: string,
  settingsOf: (app: AppSettings) => OidcRedirectSettings | 'needs-client-secret' | null,
): RedirectProvider {
  return {
    type,
    redirectSettings(app) {
      const settings = settingsOf(app);
      if (settings === null || settings === 'needs-client-secret') return settings;
      const { label, clientId, authorizationEndpoint, scope } = settings;
      return { label, clientId, authorizationEndpoint, scope, nonce: true };
    },
    async finish(ctx, app, answer) {
      const settings = settingsOf(app);
      if (settings === null || settings === 'needs-client-secret')
        throw new GatehouseError('AuthProviderNotFound', `authentication via '${type}' is unsupported`);
      const refuse = (why: string) => new GatehouseError('AuthError', `${settings.label} login failed: ${why}`);
      const as: oauth.AuthorizationServer = {
        issuer: settings.issuer,
        authorization_endpoint: settings.authorizationEndpoint,
        token_endpoint: settings.tokenEndpoint,
        jwks_uri: settings.jwksUrl,
      };
      const client: oauth.Client = { client_id: settings.clientId };
      const loopback = isLoopbackHttp(settings.tokenEndpoint);
      let idToken: string;
      let tokens: oauth.TokenEndpointResponse;
      try {
        const checked = oauth.validateAuthResponse(as, client, answer.params, answer.params.get('state') as string);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          oauth.ClientSecretPost(settings.clientSecret),
          checked,
          answer.callbackUrl,
          answer.codeVerifier,
          { signal: AbortSignal.timeout(TOKEN_ENDPOINT_TIMEOUT_MS), [oauth.allowInsecureRequests]: loopback },
        );
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: answer.nonce,
          requireIdToken: true,
        });
        if (typeof result.id_token !== 'string') throw refuse('no ID token in the answer');
        idToken = result.id_token;
        tokens = result;
      } catch (failure) {
        if (isGatehouseError(failure)) throw failure;
        if (failure instanceof oauth.ResponseBodyError)
          throw refuse(
            failure.error === 'invalid_grant' ? 'the code is invalid, expired or already used' : failure.error,
          );
        if (failure instanceof Error && (failure.name === 'TimeoutError' || failure.name === 'AbortError'))
          throw refuse('the token endpoint did not answer in time');
        if (failure instanceof oauth.OperationProcessingError && /nonce/i.test(failure.message))
          throw refuse('the ID token was not issued for this login (nonce)');
        throw refuse('the code could not be exchanged');
      }
      const claims = await verifyIdToken(
        { issuers: settings.acceptedIssuers, jwksUrl: settings.jwksUrl, audiences: [settings.clientId] },
        idToken,
        ctx.now(),
        settings.label,
      );
      // oauth4webapi checked it already; kept explicit because the nonce is what binds this token to this login.
      if (claims.nonce !== answer.nonce) throw refuse('the ID token was not issued for this login (nonce)');
      return { ...identityFromIdToken(type, claims), tokens: tokenFields(tokens, ctx.now()) };
    },
  };
}
