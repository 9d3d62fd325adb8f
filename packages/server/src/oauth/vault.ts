import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GatehouseError } from '@gatehouse-auth/core';
import type { ServerContext } from '../context.js';

/**
 * Encryption at rest for what external services hand over — access tokens, refresh tokens, OAuth 1.0a token
 * secrets — and for client secrets stored in the database: AES-256-GCM (node:crypto) with keys from the
 * configuration's `encryptionKeys`. The first key encrypts; every listed key decrypts, so a key is rotated by
 * putting a new one first and removing the old one once nothing sealed with it is left.
 *
 * A sealed value is `v1.<kid>.<iv>.<ciphertext+tag>` (base64url parts). The caller names what the value
 * belongs to (`context`, authenticated as AES-GCM's additional data): a sealed token copied into another
 * user's row does not open there.
 */
export interface SecretVault {
  /** Whether any key is configured; without one nothing can be sealed. */
  readonly enabled: boolean;
  /**
   * Encrypts `plaintext` for `context`.
   *
   * @example
   * ```ts
   * const sealed = vault.seal(accessToken, `identity:${appId}:oauth2-github:${subject}`);
   * ```
   */
  seal(plaintext: string, context: string): string;
  /** Decrypts a sealed value for `context`; `null` when it is not one, its key is gone, or it was altered. */
  open(sealed: string, context: string): string | null;
}

/** One configured key: an id (kept in sealed values) and 32 random bytes, base64url or base64. */
export interface EncryptionKeyConfig {
  kid: string;
  key: string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Builds a vault from configured keys (validated at start-up: each key decodes to exactly 32 bytes).
 *
 * @example
 * ```ts
 * const vault = createVault([{ kid: '2026-01', key: 'q0f…' }]);
 * vault.open(vault.seal('token', 'ctx'), 'ctx'); // 'token'
 * ```
 */
export function createVault(keys: readonly EncryptionKeyConfig[]): SecretVault {
  const decoded = keys.map((k) => ({ kid: k.kid, key: decodeKey(k.key) }));
  const byId = new Map(decoded.map((k) => [k.kid, k.key]));
  const current = decoded[0];
  return {
    enabled: current !== undefined,
    seal(plaintext, context) {
      if (!current) throw new GatehouseError('InternalServerError', 'no encryption key is configured (encryptionKeys)');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [VERSION, current.kid, iv.toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION) return null;
      const key = byId.get(parts[1] as string);
      if (!key) return null;
      const iv = Buffer.from(parts[2] as string, 'base64url');
      const body = Buffer.from(parts[3] as string, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        return null;
      }
    },
  };
}

/** A key as configured → its 32 bytes; throws for anything else (the config schema reports it first). */
export function decodeKey(text: string): Buffer {
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== 32 || !/^[A-Za-z0-9+/_-]{43}=?$/.test(text))
    throw new Error('an encryption key must be 32 random bytes in base64url (43 characters)');
  return bytes;
}

/** A new random key in the configured form (`gatehouse init` and `gatehouse keys` write one). */
export function generateEncryptionKey(kid = `k${new Date().toISOString().slice(0, 10)}`): EncryptionKeyConfig {
  return { kid, key: randomBytes(32).toString('base64url') };
}

const vaults = new WeakMap<object, SecretVault>();

/** The vault of a running Gatehouse (one per configuration). */
export function vaultOf(ctx: Pick<ServerContext, 'config'>): SecretVault {
  let vault = vaults.get(ctx.config);
  if (!vault) {
    vault = createVault(ctx.config.encryptionKeys);
    vaults.set(ctx.config, vault);
  }
  return vault;
}
