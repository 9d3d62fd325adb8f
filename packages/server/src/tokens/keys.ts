import { createPrivateKey, type JsonWebKey, type KeyObject as NodeKeyObject } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, type KeyObject } from 'jose';

/** Algorithms Gatehouse signs with. ES256 is the default: the most widely verified. */
export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

/** A configured key, as the config file holds it. */
export interface SigningKeyConfig {
  kid: string;
  alg: SigningAlgorithm;
  privateJwk: Record<string, unknown>;
}

/** An imported key pair with its public JWK. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey | KeyObject | Uint8Array;
  publicKey: CryptoKey | KeyObject | Uint8Array;
  /** The private key as node:crypto holds it, for signing without a thread-pool round trip. */
  signingKey: NodeKeyObject;
  publicJwk: JWK;
}

/** Members of a private JWK that must never be published. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Imports configured keys. The first key signs; every key verifies, so a rotated-out key keeps verifying the
 * tokens it signed until they expire. Throws an Error naming the key on a bad JWK (start-up fails).
 */
export async function importSigningKeys(keys: readonly SigningKeyConfig[]): Promise<SigningKey[]> {
  const seen = new Set<string>();
  const out: SigningKey[] = [];
  for (const [index, key] of keys.entries()) {
    if (seen.has(key.kid)) throw new Error(`keys[${index}]: duplicate kid '${key.kid}'`);
    seen.add(key.kid);
    const jwk = key.privateJwk as JWK;
    if (typeof jwk.d !== 'string') throw new Error(`keys[${index}] (${key.kid}): privateJwk is not a private key`);
    const publicJwk: JWK = {};
    for (const [k, v] of Object.entries(jwk))
      if (!PRIVATE_MEMBERS.includes(k)) (publicJwk as Record<string, unknown>)[k] = v;
    try {
      const privateKey = await importJWK(jwk, key.alg);
      const publicKey = await importJWK(publicJwk, key.alg);
      out.push({
        kid: key.kid,
        alg: key.alg,
        privateKey,
        publicKey,
        signingKey: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }),
        publicJwk: { ...publicJwk, kid: key.kid, alg: key.alg, use: 'sig' },
      });
    } catch (error) {
      throw new Error(`keys[${index}] (${key.kid}): cannot import the key for ${key.alg}: ${(error as Error).message}`);
    }
  }
  return out;
}

/**
 * Makes a new signing key (what `gatehouse init` and `gatehouse dev` write into the config).
 *
 * @example
 * ```ts
 * const key = await generateSigningKey('ES256'); // { kid: '2026-11-22-…', alg: 'ES256', privateJwk: {…} }
 * ```
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'ES256'): Promise<SigningKeyConfig> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const privateJwk = await exportJWK(privateKey);
  const stamp = new Date().toISOString().slice(0, 10);
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
  return { kid: `${stamp}-${random}`, alg, privateJwk: privateJwk as Record<string, unknown> };
}

/** The JSON Web Key Set served at `/.well-known/jwks.json`: public members only. */
export function jwks(keys: readonly SigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}
