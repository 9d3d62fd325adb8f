import { createPublicKey, type KeyObject } from 'node:crypto';
import { GatehouseError, type JsonObject, type JsonValue, parseDuration } from '@gatehouse-auth/core';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../../accounts/index.js';
import type { AppSettings, ServerContext } from '../../context.js';
import type { CredentialProvider } from '../registry.js';
import { DEFAULT_ALGORITHMS } from './config.js';

/**
 * `custom-token` login (custom JWT): a JWT signed by the app's own issuer. The signature is
 * checked first, against configured keys only (never `jku`/`x5u`/`jwk` from the token), with an algorithm
 * allowlist that never mixes HMAC and public-key algorithms (no `none`, no HS/RS confusion); `exp` is
 * required, `nbf` honoured, `aud`/`iss` checked when configured. The user is keyed on `sub`.
 */
export const PROVIDER = 'custom-token';

type Settings = NonNullable<AppSettings['providers']['custom-token']>;

/** JWKS fetchers, one per app: jose caches keys, refetches on an unknown `kid`, and rate-bounds refetches. */
const remoteKeySets = new WeakMap<Settings, JWTVerifyGetKey>();
const staticKeys = new WeakMap<Settings, KeyObject[]>();

function keyFor(settings: Settings): Uint8Array | JWTVerifyGetKey {
  if (settings.secret !== undefined) return new TextEncoder().encode(settings.secret);
  if (settings.jwksUrl !== undefined) {
    let set = remoteKeySets.get(settings);
    if (!set) {
      set = createRemoteJWKSet(new URL(settings.jwksUrl), {
        timeoutDuration: 5000,
        cooldownDuration: parseDuration(settings.jwksCooldown) ?? 30_000,
        cacheMaxAge: 600_000,
      });
      remoteKeySets.set(settings, set);
    }
    return set;
  }
  let keys = staticKeys.get(settings);
  if (!keys) {
    keys = (settings.publicKeys ?? []).map((k) =>
      typeof k === 'string' ? createPublicKey(k) : createPublicKey({ key: k as never, format: 'jwk' }),
    );
    staticKeys.set(settings, keys);
  }
  const kids = (settings.publicKeys ?? []).map((k) =>
    typeof k === 'string' ? undefined : (k as { kid?: string }).kid,
  );
  const list = keys;
  // With a kid in the header, the key of that kid; without, the only key.
  return (header) => {
    const index = header.kid === undefined ? (list.length === 1 ? 0 : -1) : kids.indexOf(header.kid);
    const key = index === -1 ? undefined : list[index];
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };
}

/** A readable reason for a refused token; never the token itself. */
function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `claim "${error.claim}" ${error.reason === 'check_failed' ? 'does not match' : 'is invalid or missing'}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key matches the token';
  if (error instanceof errors.JWKSTimeout) return "the issuer's key set did not answer in time";
  if (error instanceof errors.JWKSInvalid || error instanceof errors.JOSEError) return error.message.slice(0, 200);
  if (error instanceof TypeError) return "the issuer's key set could not be fetched";
  return 'invalid token';
}

function valueAt(payload: JWTPayload, path: string): unknown {
  let node: unknown = payload;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

async function prove(ctx: ServerContext, app: AppSettings, token: string): Promise<ProvenIdentity> {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  const refuse = (why: string) => new GatehouseError('AuthError', `invalid custom token: ${why}`);
  if (new TextEncoder().encode(token).length > settings.maxTokenBytes) throw refuse('token too large');
  const symmetric = settings.secret !== undefined;
  const algorithms = settings.algorithms ?? (symmetric ? DEFAULT_ALGORITHMS.symmetric : DEFAULT_ALGORITHMS.asymmetric);
  let payload: JWTPayload;
  try {
    const key = keyFor(settings);
    const options = {
      algorithms,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: Math.round((parseDuration(settings.clockSkew) ?? 60_000) / 1000),
      currentDate: new Date(ctx.now()),
      ...(settings.audience === undefined ? {} : { audience: settings.audience }),
      ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
    };
    ({ payload } =
      typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
  } catch (error) {
    throw refuse(reason(error));
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256)
    throw refuse('"sub" must be a string');
  const profile: JsonObject = {};
  for (const { path, field, required } of settings.metadataFields) {
    const value = valueAt(payload, path);
    if (value === undefined || value === null) {
      if (required) throw refuse(`required metadata field "${path}" is missing`);
      continue;
    }
    profile[field] = value as JsonValue;
  }
  return { providerType: PROVIDER, providerId: PROVIDER, subject: payload.sub, profile };
}

export const customTokenProvider: CredentialProvider<{ token: string }> = {
  type: PROVIDER,
  schema: z.object({ token: z.string().min(1).max(65_536) }).strict(),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  async logIn(ctx, app, { token }, info) {
    const identity = await prove(ctx, app, token);
    const user = await findOrCreateUserForIdentity(ctx, app, identity, info);
    // App Services refreshed the metadata fields at every login.
    if (identity.profile && Object.keys(identity.profile).length > 0) {
      const profile = { ...user.profile, ...identity.profile };
      await ctx.storage.setUserProfile(app.id, user.id, profile, ctx.now());
      ctx.changes.userChanged(user.id);
      return { user: { ...user, profile } };
    }
    return { user };
  },
  link: async (ctx, app, user, { token }, info) => linkIdentity(ctx, app, user, await prove(ctx, app, token), info),
};
