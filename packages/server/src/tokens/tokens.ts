import { GatehouseError, type JsonObject, serialize } from '@gatehouse-auth/core';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
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

  const sign = (payload: JWTPayload, now: number, exp: number) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(exp / 1000))
      .sign(active.privateKey);

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
    issueAccess: ({ appId, userId, sessionId, deviceId, customData, now, lifetimeMs }) =>
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
    issueRefresh: ({ appId, userId, sessionId, deviceId, secret, now, expiresAt }) =>
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

function invalid(typ: 'access' | 'refresh', expired = false): GatehouseError {
  if (typ === 'refresh') return new GatehouseError('InvalidSession', 'invalid session: failed to find refresh token');
  return new GatehouseError(
    'InvalidSession',
    expired ? 'invalid session: access token expired' : 'invalid session: invalid access token',
  );
}
