import type { webcrypto } from 'node:crypto';
import { fromBase64Url, toBase64Url, utf8 } from '@gatehouse-auth/core';

type CryptoKey = webcrypto.CryptoKey;

/**
 * Seals mail bodies kept in the outbox table: they carry live one-time links, and the database otherwise
 * stores only hashes of secrets. AES-256-GCM with a key derived (HKDF-SHA-256) from a signing key's private
 * part, which every instance has; the key id is kept with the text so a mail sealed before a key rotation
 * still opens while the old key stays configured. The mail's id is bound in as additional data, so a sealed
 * body cannot be moved to another row.
 */
export interface Sealer {
  seal(text: string, id: string): Promise<string>;
  /** The text, or `null` when no configured key opens it (rotated out) or it was tampered with. */
  open(sealed: string, id: string): Promise<string | null>;
}

/** A key as the configuration holds it: only its id and private `d` member are read. */
export interface SealingKeySource {
  kid: string;
  privateJwk: Record<string, unknown>;
}

const VERSION = 'v1';

/**
 * @example
 * ```ts
 * const sealer = await createSealer(config.keys);
 * const stored = await sealer.seal(JSON.stringify(message), mailId);
 * ```
 */
export async function createSealer(sources: readonly SealingKeySource[]): Promise<Sealer> {
  const keys = new Map<string, CryptoKey>();
  for (const source of sources) {
    const d = source.privateJwk.d;
    if (typeof d !== 'string') continue;
    const material = await crypto.subtle.importKey('raw', utf8(d), 'HKDF', false, ['deriveKey']);
    const key = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: utf8('gatehouse'), info: utf8('mail-outbox v1') },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
    keys.set(source.kid, key);
  }
  const first = sources.find((s) => keys.has(s.kid));
  if (!first) throw new Error('mail outbox: no signing key with a private part to seal mail with');
  const sealingKey = keys.get(first.kid) as CryptoKey;
  return {
    async seal(text, id) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: utf8(id) },
        sealingKey,
        utf8(text),
      );
      // The kid is base64url too: it may hold dots.
      return [VERSION, toBase64Url(utf8(first.kid)), toBase64Url(iv), toBase64Url(new Uint8Array(sealed))].join('.');
    },
    async open(sealed, id) {
      const [version, kid, iv, body] = sealed.split('.');
      if (version !== VERSION || !kid || !iv || !body) return null;
      const kidBytes = fromBase64Url(kid);
      const key = kidBytes && keys.get(new TextDecoder().decode(kidBytes));
      const ivBytes = fromBase64Url(iv);
      const bodyBytes = fromBase64Url(body);
      if (!key || !ivBytes || !bodyBytes) return null;
      try {
        const text = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: ivBytes as Uint8Array<ArrayBuffer>, additionalData: utf8(id) },
          key,
          bodyBytes as Uint8Array<ArrayBuffer>,
        );
        return new TextDecoder().decode(text);
      } catch {
        return null;
      }
    },
  };
}
