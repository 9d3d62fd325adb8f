import { createHash } from 'node:crypto';

/**
 * Password hashes imported from Meteor (`services.password.bcrypt` / `.argon2`) are hashes of the password's
 * SHA-256 hex digest, not of the password. They are stored with this prefix so
 * the hasher knows to digest first; the next successful login replaces them with a native argon2id hash.
 *
 * @example
 * ```ts
 * meteorHash('$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'); // 'meteor-sha256:$2b$10$…'
 * ```
 */
export const METEOR_HASH_PREFIX = 'meteor-sha256:';

/** The stored form of an imported Meteor bcrypt or argon2 hash. */
export function meteorHash(hash: string): string {
  return `${METEOR_HASH_PREFIX}${hash}`;
}

/**
 * The digests a Meteor client could have hashed for `password`: Meteor's own SHA-256 first, which encodes each
 * UTF-16 code unit on its own (a surrogate pair becomes two 3-byte sequences, CESU-8 style), then — only when
 * the password has characters outside the Basic Multilingual Plane, where the two differ — SHA-256 of standard
 * UTF-8, which a fixed Meteor (PR #14277) would use (so: try both).
 *
 * @example
 * ```ts
 * meteorDigests('password'); // ['5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8']
 * ```
 */
export function meteorDigests(password: string): string[] {
  const cesu = createHash('sha256').update(codeUnitUtf8(password)).digest('hex');
  const standard = createHash('sha256').update(password, 'utf8').digest('hex');
  return cesu === standard ? [cesu] : [cesu, standard];
}

/** UTF-8 of each UTF-16 code unit separately — what Meteor's `sha` package feeds to SHA-256. */
function codeUnitUtf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(bytes);
}
