import { sign as signBytes } from 'node:crypto';
import { GatehouseError, type JsonObject, serialize } from '@gatehouse-auth/core';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import type { SigningKey } from './keys.js';

/** Claims of an access token. */
export interface AccessClaims {
  sub: string;
  aud: string;
  sid: string;
  deviceId: string;
  exp: number;
  iat: number;
}

/** Claims of a refresh token. `secret` is matched against the session's stored hash. */
export interface RefreshClaims extends AccessClaims {
  secret: string;
}

/** Tokens longer than this are refused before any parsing (an attacker's token costs us nothing). */
const MAX_TOKEN_LENGTH = 8192;

/**
 * Signs and verifies Gatehouse's JWTs. Both token kinds are JWTs with integer `exp`/`iat` because
 * realm-core parses both; `typ` tells them apart so one can never stand in for the other
 * (ASVS 9.2.2).
 */
export interface TokenService {
  issueAccess(input: {
    appId: string;
    userId: string;
    sessionId: string;
    deviceId: string;
    customData: JsonObject;
    now: number;
    lifetimeMs: number;
  }): Promise<string>;
  issueRefresh(input: {
    appId: string;
    userId: string;
    sessionId: string;
    deviceId: string;
    secret: string;
    now: number;
    expiresAt: number;
  }): Promise<string>;
  /** Verifies signature, issuer, expiry and type; any failure is `InvalidSession`. */
  verifyAccess(token: string, now: number): Promise<AccessClaims>;
  verifyRefresh(token: string, now: number): Promise<RefreshClaims>;
}

export function createTokenService(options: { keys: readonly SigningKey[]; issuer: string }): TokenService {
  const [active] = options.keys;
  if (!active) throw new Error('no signing key');
  const byKid = new Map(options.keys.map((k) => [k.kid, k]));
  const algorithms = [...new Set(options.keys.map((k) => k.alg))];
  const issuer = options.issuer;

  const sign = jwsSigner(active, issuer);

  async function verify(token: string, now: number, typ: 'access' | 'refresh'): Promise<JWTPayload> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3)
      throw invalid(typ);
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid === undefined ? undefined : byKid.get(header.kid);
          if (!key || key.alg !== header.alg) throw new errors.JWKSNoMatchingKey();
          return key.publicKey;
        },
        { algorithms, issuer, currentDate: new Date(now), requiredClaims: ['sub', 'aud', 'exp', 'iat'] },
      );
      if (payload.typ !== typ || typeof payload.sid !== 'string' || typeof payload.baas_device_id !== 'string')
        throw invalid(typ);
      return payload;
    } catch (error) {
      if (error instanceof GatehouseError) throw error;
      throw invalid(typ, error instanceof errors.JWTExpired);
    }
  }

  const base = (payload: JWTPayload): AccessClaims => ({
    sub: payload.sub as string,
    aud: payload.aud as string,
    sid: payload.sid as string,
    deviceId: payload.baas_device_id as string,
    exp: payload.exp as number,
    iat: payload.iat as number,
  });

  return {
    issueAccess: async ({ appId, userId, sessionId, deviceId, customData, now, lifetimeMs }) =>
      sign(
        {
          sub: userId,
          aud: appId,
          sid: sessionId,
          typ: 'access',
          baas_device_id: deviceId,
          // App Services put custom data into the token as canonical EJSON.
          user_data: serialize(customData) as JsonObject,
        },
        now,
        now + lifetimeMs,
      ),
    issueRefresh: async ({ appId, userId, sessionId, deviceId, secret, now, expiresAt }) =>
      sign(
        { sub: userId, aud: appId, sid: sessionId, typ: 'refresh', baas_device_id: deviceId, secret },
        now,
        expiresAt,
      ),
    verifyAccess: async (token, now) => base(await verify(token, now, 'access')),
    verifyRefresh: async (token, now) => {
      const payload = await verify(token, now, 'refresh');
      if (typeof payload.secret !== 'string') throw invalid('refresh');
      return { ...base(payload), secret: payload.secret };
    },
  };
}

/**
 * Signs compact JWS tokens with node:crypto, synchronously: a token costs about a quarter of the CPU WebCrypto
 * takes (no thread-pool round trip, no promise per step), which matters on the refresh path. Only signing is
 * done here, on claims Gatehouse itself writes; every token that comes back is verified by jose.
 */
function jwsSigner(key: SigningKey, issuer: string): (payload: JWTPayload, now: number, exp: number) => string {
  const header = base64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'JWT' }));
  // ES256 signatures are the raw r‖s pair in a JWS (RFC 7518 §3.4), not DER; EdDSA hashes internally.
  const digest = key.alg === 'EdDSA' ? null : 'sha256';
  const signingKey = key.alg === 'ES256' ? { key: key.signingKey, dsaEncoding: 'ieee-p1363' as const } : key.signingKey;
  return (payload, now, exp) => {
    const claims = { ...payload, iss: issuer, iat: Math.floor(now / 1000), exp: Math.floor(exp / 1000) };
    const input = `${header}.${base64url(JSON.stringify(claims))}`;
    return `${input}.${signBytes(digest, Buffer.from(input), signingKey).toString('base64url')}`;
  };
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function invalid(typ: 'access' | 'refresh', expired = false): GatehouseError {
  if (typ === 'refresh') return new GatehouseError('InvalidSession', 'invalid session: failed to find refresh token');
  return new GatehouseError(
    'InvalidSession',
    expired ? 'invalid session: access token expired' : 'invalid session: invalid access token',
  );
}
