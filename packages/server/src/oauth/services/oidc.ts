import type { JsonObject } from '@gatehouse-auth/core';
import { isGatehouseError } from '@gatehouse-auth/core';
import type { JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { isLoopbackHttp, verifyIdToken } from '../../providers/oidc-id-token.js';
import { defined, expiresAtOf, SERVICE_TIMEOUT_MS, serviceError, text } from './http.js';
import {
  clientSecret,
  commonSettings,
  type LoginOptions,
  type OAuth2Service,
  type ServiceSettings,
} from './service.js';

/** Settings of a generic OpenID Connect service (Okta, Keycloak, Microsoft Entra, GitLab, …). */
export const oidcSettings = z
  .object({
    ...commonSettings,
    /** Marks a service that is not built in as an OpenID Connect one. */
    type: z.literal('oidc'),
    /** For people: `Okta`. Defaults to the service's name. */
    label: z.string().min(1).max(100).optional(),
    /** The issuer; its `/.well-known/openid-configuration` names every endpoint. */
    issuer: z.url({ protocol: /^https?$/ }),
    clientId: z.string().min(1).max(256),
    secret: clientSecret,
    /** Scopes asked for unless the login call says (`requestPermissions`); `openid` is always added. */
    scope: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
      .max(50)
      .default(['openid', 'email', 'profile']),
  })
  .strict();

type OidcSettings = z.output<typeof oidcSettings>;

/** What an OpenID Connect service needs beyond its settings. */
export interface OidcFlavour<S> {
  name: string;
  /** For people, before settings are known: `Google`. */
  defaultLabel: string;
  label: (settings: S) => string;
  identityProvider: string;
  settings: z.ZodType<S>;
  requiresStart: boolean;
  connection(settings: S): {
    issuer: string;
    clientId: string;
    secret: string;
    /** Scopes unless the login asks for others (`requestPermissions`). */
    defaultScope: string[];
    /** Scopes always asked for besides `openid` (Google: `email`, as Meteor's client adds it). */
    requiredScope?: string[];
  };
  /** Service-specific login page parameters (Google: `access_type`, `prompt`, `login_hint`). */
  extraParams(settings: S, options: LoginOptions): Record<string, string>;
  /** Meteor's `serviceData` from the checked ID token claims and the token answer. */
  serviceData(claims: JWTPayload, tokens: oauth.TokenEndpointResponse, now: number): JsonObject & { id: string };
}

const discovered = new Map<string, { at: number; as: Promise<oauth.AuthorizationServer> }>();
const DISCOVERY_TTL_MS = 3_600_000;

/** The issuer's metadata, from its discovery document (cached an hour; a failure is not cached). */
async function metadata(label: string, issuer: string): Promise<oauth.AuthorizationServer> {
  const cached = discovered.get(issuer);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.as;
  const url = new URL(issuer);
  const as = (async () => {
    try {
      const response = await oauth.discoveryRequest(url, {
        algorithm: 'oidc',
        signal: AbortSignal.timeout(SERVICE_TIMEOUT_MS),
        [oauth.allowInsecureRequests]: isLoopbackHttp(`${issuer}/`),
      });
      return await oauth.processDiscoveryResponse(url, response);
    } catch {
      throw serviceError(label, "the issuer's discovery document could not be read");
    }
  })();
  discovered.set(issuer, { at: Date.now(), as });
  as.catch(() => discovered.delete(issuer));
  return as;
}

/**
 * An OAuth2 service speaking OpenID Connect: endpoints from discovery, the code exchanged with the client
 * secret (and the PKCE verifier when Gatehouse started the login), the ID token's issuer, audience, times and
 * nonce checked by oauth4webapi and its signature against the issuer's JWKS.
 */
export function oidcService<S extends ServiceSettings>(flavour: OidcFlavour<S>): OAuth2Service<S> {
  return {
    name: flavour.name,
    label: flavour.defaultLabel,
    protocol: 'oauth2',
    identityProvider: flavour.identityProvider,
    clientIdField: 'clientId',
    settings: flavour.settings,
    requiresStart: flavour.requiresStart,
    async authorizationUrl(s, request) {
      const { issuer, clientId, defaultScope, requiredScope = [] } = flavour.connection(s);
      const as = await metadata(flavour.label(s), issuer);
      if (!as.authorization_endpoint) throw serviceError(flavour.label(s), 'the issuer has no authorization endpoint');
      const scopes = new Set(['openid', ...requiredScope, ...(request.options.requestPermissions ?? defaultScope)]);
      const url = new URL(as.authorization_endpoint);
      const loginUrlParameters = { ...(s.loginUrlParameters as Record<string, string> | undefined) };
      url.search = new URLSearchParams({
        ...loginUrlParameters,
        ...request.options.loginUrlParameters,
        ...flavour.extraParams(s, request.options),
        response_type: 'code',
        client_id: clientId,
        scope: [...scopes].join(' '),
        redirect_uri: request.redirectUri,
        state: request.state,
        ...(request.nonce ? { nonce: request.nonce } : {}),
        ...(request.codeChallenge ? { code_challenge: request.codeChallenge, code_challenge_method: 'S256' } : {}),
      }).toString();
      return url;
    },
    async finish(s, answer) {
      const label = flavour.label(s);
      const { issuer, clientId, secret } = flavour.connection(s);
      const as = await metadata(label, issuer);
      const client: oauth.Client = { client_id: clientId };
      const options = {
        signal: AbortSignal.timeout(SERVICE_TIMEOUT_MS),
        [oauth.allowInsecureRequests]: isLoopbackHttp(`${issuer}/`),
      };
      let tokens: oauth.TokenEndpointResponse;
      try {
        const params = oauth.validateAuthResponse(as, client, answer.params, answer.params.get('state') ?? '');
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          oauth.ClientSecretPost(secret),
          params,
          answer.redirectUri,
          answer.codeVerifier ?? oauth.nopkce,
          options,
        );
        tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: answer.nonce ?? oauth.expectNoNonce,
          // A login Gatehouse started sent a nonce: only an ID token proves this answer belongs to it.
          requireIdToken: answer.nonce !== undefined,
        });
      } catch (failure) {
        if (failure instanceof oauth.ResponseBodyError)
          throw serviceError(
            label,
            failure.error === 'invalid_grant'
              ? 'the code is invalid, expired or already used'
              : `the token endpoint refused the code (${failure.error.slice(0, 100)})`,
          );
        if (failure instanceof oauth.AuthorizationResponseError)
          throw serviceError(label, `the answer is an error (${failure.error.slice(0, 100)})`);
        if (failure instanceof Error && (failure.name === 'TimeoutError' || failure.name === 'AbortError'))
          throw serviceError(label, 'the token endpoint did not answer in time');
        if (failure instanceof oauth.OperationProcessingError && /nonce/i.test(failure.message))
          throw serviceError(label, 'the ID token was not issued for this login (nonce)');
        if (failure instanceof oauth.OperationProcessingError && /"iss"/.test(failure.message))
          throw serviceError(label, 'the answer came from another issuer');
        throw serviceError(label, 'the code could not be exchanged');
      }
      let claims: JWTPayload;
      if (typeof tokens.id_token === 'string') {
        if (!as.jwks_uri) throw serviceError(label, 'the issuer publishes no keys');
        claims = await verifyIdToken(
          { issuers: [as.issuer], jwksUrl: as.jwks_uri, audiences: [clientId] },
          tokens.id_token,
          answer.now,
          label,
        );
        if (answer.nonce !== undefined && claims.nonce !== answer.nonce)
          throw serviceError(label, 'the ID token was not issued for this login (nonce)');
      } else {
        // A client that asked for `email profile` without `openid` (Meteor's default Google scopes) may get no
        // ID token: the user is then read from the userinfo endpoint with the access token, as Meteor does.
        claims = await userInfo(label, as, client, tokens.access_token, options);
      }
      const name = text(claims.name) ?? text(claims.preferred_username);
      return {
        serviceData: flavour.serviceData(claims, tokens, answer.now),
        options: { profile: defined({ name }) },
      };
    },
  };
}

/** The token answer's parts Meteor keeps: tokens, expiry, scopes. */
export function tokenFields(tokens: oauth.TokenEndpointResponse, now: number): JsonObject {
  return defined({
    accessToken: tokens.access_token,
    idToken: typeof tokens.id_token === 'string' ? tokens.id_token : undefined,
    // Sent on the first authorization only (Google: with access_type=offline): never overwritten by its absence.
    refreshToken: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : undefined,
    expiresAt: expiresAtOf(now, tokens.expires_in),
    scope: typeof tokens.scope === 'string' ? tokens.scope.split(' ').filter(Boolean) : undefined,
  }) as JsonObject;
}

/** A generic OpenID Connect service named `name` (config: `services.<name>: { type: 'oidc', issuer, … }`). */
export function genericOidcService(name: string): OAuth2Service<OidcSettings> {
  return oidcService<OidcSettings>({
    name,
    defaultLabel: name,
    label: (s) => s.label ?? name,
    identityProvider: `oidc-${name}`,
    settings: oidcSettings,
    // No Meteor client builds this login itself: Gatehouse always starts it, with PKCE and a nonce.
    requiresStart: true,
    connection: (s) => ({ issuer: s.issuer, clientId: s.clientId, secret: s.secret, defaultScope: s.scope }),
    extraParams: (_s, options): Record<string, string> => (options.loginHint ? { login_hint: options.loginHint } : {}),
    serviceData(claims, tokens, now) {
      const fields: JsonObject = {};
      for (const key of [
        'email',
        'email_verified',
        'name',
        'preferred_username',
        'given_name',
        'family_name',
        'picture',
        'locale',
      ]) {
        const value = claims[key];
        if (typeof value === 'string' ? value.length <= 2048 : typeof value === 'boolean')
          fields[key] = value as string | boolean;
      }
      return { ...fields, ...tokenFields(tokens, now), id: claims.sub as string };
    },
  });
}

async function userInfo(
  label: string,
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  accessToken: string,
  options: oauth.UserInfoRequestOptions,
): Promise<JWTPayload> {
  if (!as.userinfo_endpoint) throw serviceError(label, 'no ID token in the answer');
  try {
    const response = await oauth.userInfoRequest(as, client, accessToken, options);
    const claims = await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, response);
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw serviceError(label, 'the user has no id');
    return claims as JWTPayload;
  } catch (failure) {
    if (isGatehouseError(failure)) throw failure;
    if (failure instanceof Error && (failure.name === 'TimeoutError' || failure.name === 'AbortError'))
      throw serviceError(label, 'the user endpoint did not answer in time');
    throw serviceError(label, 'the user endpoint refused the token');
  }
}
