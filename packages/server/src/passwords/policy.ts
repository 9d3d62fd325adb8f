import { GatehouseError } from '@gatehouse-auth/core';
import { isCommonPassword } from './common-passwords.js';
import { normalizePassword } from './normalize.js';

/**
 * What a new password must satisfy: the `minPasswordLength`, `maxPasswordLength` and `rejectCommonPasswords`
 * settings of the email/password provider (defaults 8, 256, true). There are no composition rules (ASVS 6.2.5,
 * NIST SP 800-63B).
 *
 * @example
 * ```ts
 * const policy: PasswordPolicy = { minLength: 15, maxLength: 256, rejectCommon: true };
 * ```
 */
export interface PasswordPolicy {
  /** Fewest characters (Unicode code points after NFKC). ASVS 6.2.1: 8; NIST: 15 when it is the only factor. */
  minLength: number;
  /** Most characters; passwords are never truncated (ASVS 6.2.9 asks to allow at least 64). */
  maxLength: number;
  /** Refuse passwords on the common-password list ({@link isCommonPassword}). */
  rejectCommon: boolean;
}

// In `u` mode a surrogate pair is one code point, so this matches only unpaired surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Checks a new password (registration, reset, change) and returns it NFKC-normalised, ready for
 * `PasswordHasher.hash`. Length counts Unicode code points after normalisation, so `🔑` is one character.
 *
 * Throws `GatehouseError('PasswordPolicy')` with `password must be between 8 and 256 characters` (the App
 * Services wording, with this policy's numbers; `details` carries `minLength` and `maxLength`) or
 * `password is too common`; `GatehouseError('BadRequest')` when the value is not a string or not valid
 * Unicode (an unpaired surrogate).
 *
 * @example
 * ```ts
 * const policy = { minLength: 8, maxLength: 256, rejectCommon: true };
 * checkPassword('correct horse battery staple', policy); // 'correct horse battery staple'
 * checkPassword('short', policy); // throws PasswordPolicy: password must be between 8 and 256 characters
 * checkPassword('Password123', policy); // throws PasswordPolicy: password is too common
 * ```
 */
export function checkPassword(password: unknown, policy: PasswordPolicy): string {
  if (typeof password !== 'string') throw new GatehouseError('BadRequest', 'password must be a string');
  // Encoding would turn each unpaired surrogate into U+FFFD, so different inputs would share one hash.
  if (LONE_SURROGATE.test(password)) throw new GatehouseError('BadRequest', 'password must be valid Unicode text');

  const normalized = normalizePassword(password);
  const length = countCodePoints(normalized, policy.maxLength + 1);
  if (length < policy.minLength || length > policy.maxLength) {
    throw new GatehouseError(
      'PasswordPolicy',
      `password must be between ${policy.minLength} and ${policy.maxLength} characters`,
      { details: { minLength: policy.minLength, maxLength: policy.maxLength } },
    );
  }
  if (policy.rejectCommon && isCommonPassword(normalized)) {
    throw new GatehouseError('PasswordPolicy', 'password is too common');
  }
  return normalized;
}

/** Code points in `text`, counting no further than `stop`. */
function countCodePoints(text: string, stop: number): number {
  let count = 0;
  for (const _ of text) {
    if (++count >= stop) break;
  }
  return count;
}
