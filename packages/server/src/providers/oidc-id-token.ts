import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { ProvenIdentity } from '../accounts/index.js';

/**
 * ID tokens from an OpenID provider (Google, Apple): the signature against the provider's published keys
 * (fetched from the configured JWKS URL only — never a URL from the token), the issuer exactly as configured
 * (mix-up defence, CVE-2026-31813), the audience one of the app's client ids, `exp`/`iat`, asymmetric
 * algorithms only. The identity is (provider, `sub`); the email never selects a user.
 */
export interface IdTokenSettings {
  issuers: string[];
  jwksUrl: string;
  audiences: string[];
}

const keySets = new Map<string, JWTVerifyGetKey>();

function keySet(url: string): JWTVerifyGetKey {
  let set = keySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 3_600_000 });
    keySets.set(url, set);
  }
  return set;
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** Verifies an ID token; a refusal is `AuthError` with the reason (never the token). */
export async function verifyIdToken(
  settings: IdTokenSettings,
  token: string,
  now: number,
  provider: string,
): Promise<JWTPayload> {
  const refuse = (why: string) => new GatehouseError('AuthError', `invalid ${provider} id token: ${why}`);
  if (token.length > 16_384) throw refuse('token too large');
  try {
    const { payload } = await jwtVerify(token, keySet(settings.jwksUrl), {
      algorithms: ALGORITHMS,
      issuer: settings.issuers,
      audience: settings.audiences,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: 60,
      currentDate: new Date(now),
    });
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw refuse('"sub" missing');
    return payload;
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    if (error instanceof errors.JWTExpired) throw refuse('token expired');
    if (error instanceof errors.JWTClaimValidationFailed) throw refuse(`claim "${error.claim}" does not match`);
    if (error instanceof errors.JWKSTimeout) throw refuse("the provider's keys did not answer in time");
    if (error instanceof errors.JWKSNoMatchingKey) throw refuse('no key matches the token');
    if (error instanceof errors.JWSSignatureVerificationFailed) throw refuse('signature verification failed');
    if (error instanceof errors.JOSEAlgNotAllowed) throw refuse('algorithm not allowed');
    if (error instanceof errors.JOSEError) throw refuse(error.message.slice(0, 200));
    throw refuse("the provider's keys could not be fetched");
  }
}

/** `email_verified` as providers send it: a boolean, or (Apple) the string "true". */
export function emailVerified(value: unknown): boolean {
  return value === true || value === 'true';
}

/** The identity and profile an ID token proves (App Services profile keys, string values). */
export function identityFromIdToken(providerType: string, payload: JWTPayload): ProvenIdentity {
  const profile: JsonObject = {};
  const text = (v: unknown) => (typeof v === 'string' && v.length <= 1024 ? v : undefined);
  const email = text(payload.email);
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) profile[key] = value;
  };
  put('name', text(payload.name));
  put('email', email);
  put('picture', text(payload.picture));
  put('first_name', text(payload.given_name));
  put('last_name', text(payload.family_name));
  const verified = emailVerified(payload.email_verified);
  return {
    providerType,
    providerId: providerType,
    subject: payload.sub as string,
    data: { ...(email ? { email, email_verified: verified } : {}), iss: String(payload.iss) },
    profile,
    ...(email ? { email: { address: email, verified } } : {}),
  };
}

/**
 * True for a plain-HTTP URL on the loopback interface — the only place a token endpoint may be reached without
 * TLS (tests, local development); oauth4webapi refuses plain HTTP otherwise.
 *
 * @example
 * ```ts
 * isLoopbackHttp('http://127.0.0.1:4000/token'); // true
 * isLoopbackHttp('http://idp.example/token'); // false
 * ```
 */
export function isLoopbackHttp(url: string): boolean {
  return /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(url);
}
