/**
 * Passwords: the policy a new password must meet, and argon2id hashing off the event loop.
 *
 * A password is NFKC-normalised ({@link normalizePassword}) and otherwise used exactly as received: never
 * trimmed, case-folded or truncated (ASVS 6.2.8, NIST SP 800-63B).
 *
 * @example
 * ```ts
 * import { checkPassword, createPasswordHasher } from './passwords/index.js';
 *
 * const hasher = createPasswordHasher(config.passwordHashing);
 * // registration
 * const password = checkPassword(body.password, { minLength: 8, maxLength: 256, rejectCommon: true });
 * const passwordHash = await hasher.hash(password);
 * // login
 * const { ok, needsRehash } = await hasher.verify(passwordHash, body.password);
 * ```
 *
 * @module
 */
export { isCommonPassword } from './common-passwords.js';
export type { HashTask } from './hash-worker.cjs';
export {
  createHashPool,
  createPasswordHasher,
  type HashPool,
  type PasswordHasher,
  type PasswordHashingOptions,
  type PasswordVerification,
} from './hasher.js';
export { METEOR_HASH_PREFIX, meteorDigests, meteorHash } from './meteor.js';
export { normalizePassword } from './normalize.js';
export { checkPassword, type PasswordPolicy } from './policy.js';
