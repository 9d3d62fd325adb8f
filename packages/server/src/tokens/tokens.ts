import { createPrivateKey, createPublicKey, type JsonWebKeyInput } from 'node:crypto';
import { GatehouseError, type JsonObject, serialize } from '@gatehouse/core';
import { createDecoder, createSigner, createVerifier } from 'fast-jwt';
import type { SigningKey } from './keys.js';

/** Claims of an access token (spec §2.2; ARCHITECTURE "Tokens and sessions"). */
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
 * realm-core parses both (spec §2.1); `typ` tells them apart so one can never stand in for the other
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
  const issuer = options.issuer;

  // fast-jwt signs and verifies with node:crypto on the calling thread: a few tens of µs per token, where
  // WebCrypto (what jose uses) costs about four times as much CPU and a thread-pool round trip — and every
  // login, refresh and authenticated request pays for one or two. Keys go in as PEM, one verifier per `kid`,
  // each allowing only its key's algorithm (no `none`, no HMAC, no algorithm confusion).
  const signer = createSigner({
    key: pemOf(active, 'private'),
    algorithm: active.alg,
    kid: active.kid,
    header: { alg: active.alg, typ: 'JWT' },
  });
  const decode = createDecoder({ complete: true });
  const verifiers = new Map(
    options.keys.map((key) => [
      key.kid,
      createVerifier({
        key: pemOf(key, 'public'),
        algorithms: [key.alg],
        allowedIss: issuer,
        // Time is checked below against the caller's clock (tests freeze it); fast-jwt would read its own.
        ignoreExpiration: true,
        ignoreNotBefore: true,
        cache: false,
      }),
    ]),
  );

  const sign = (payload: Record<string, unknown>, now: number, exp: number): Promise<string> =>
    Promise.resolve(signer({ ...payload, iss: issuer, iat: Math.floor(now / 1000), exp: Math.floor(exp / 1000) }));

  async function verify(token: string, now: number, typ: 'access' | 'refresh'): Promise<Record<string, unknown>> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3)
      throw invalid(typ);
    let payload: Record<string, unknown>;
    try {
      const { header } = decode(token) as { header: { kid?: unknown } };
      const verifier = typeof header.kid === 'string' ? verifiers.get(header.kid) : undefined;
      if (!verifier) throw invalid(typ);
      payload = verifier(token) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof GatehouseError) throw error;
      throw invalid(typ);
    }
    const { sub, aud, exp, iat } = payload;
    if (typeof sub !== 'string' || typeof aud !== 'string' || !Number.isInteger(exp) || !Number.isInteger(iat))
      throw invalid(typ);
    if ((exp as number) * 1000 <= now) throw invalid(typ, true);
    if (payload.typ !== typ || typeof payload.sid !== 'string' || typeof payload.baas_device_id !== 'string')
      throw invalid(typ);
    return payload;
  }

  const base = (payload: Record<string, unknown>): AccessClaims => ({
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
          // App Services put custom data into the token as canonical EJSON (spec §7.4).
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

/** A key as PEM, which fast-jwt takes: from the key pair imported (and checked) by `importSigningKeys`. */
function pemOf(key: SigningKey, part: 'private' | 'public'): string {
  const jwk = part === 'public' ? key.publicJwk : key.privateJwk;
  const object =
    part === 'public'
      ? createPublicKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' })
      : createPrivateKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' });
  return object.export({ type: part === 'public' ? 'spki' : 'pkcs8', format: 'pem' }) as string;
}

function invalid(typ: 'access' | 'refresh', expired = false): GatehouseError {
  if (typ === 'refresh') return new GatehouseError('InvalidSession', 'invalid session: failed to find refresh token');
  return new GatehouseError(
    'InvalidSession',
    expired ? 'invalid session: access token expired' : 'invalid session: invalid access token',
  );
}
