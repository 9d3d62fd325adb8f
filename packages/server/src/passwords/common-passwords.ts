import { createRequire } from 'node:module';

/** The slice of `@zxcvbn-ts/language-common` used here: its frequency-ranked leaked-password list. */
interface CommonLanguagePackage {
  dictionary: { 'passwords-common': readonly string[] };
}

let common: ReadonlySet<string> | undefined;

/**
 * True when the password, compared case-insensitively, is one of the ~49,000 most common passwords of the
 * zxcvbn list (`@zxcvbn-ts/language-common`, drawn from leaked-password corpora, lowercase ASCII). ASVS 6.2.4
 * asks for at least the top 3,000. Pass the password already normalised ({@link normalizePassword}).
 *
 * The list is loaded and indexed once, on first use (about 25 ms), not when the server starts.
 *
 * @example
 * ```ts
 * isCommonPassword('Password123'); // true
 * isCommonPassword('correct horse battery staple'); // false
 * ```
 */
export function isCommonPassword(password: string): boolean {
  common ??= loadCommonPasswords();
  return common.has(password.toLowerCase());
}

function loadCommonPasswords(): ReadonlySet<string> {
  // require(), not import(): the policy check is synchronous, and this keeps the list out of start-up.
  const require = createRequire(import.meta.url);
  const { dictionary } = require('@zxcvbn-ts/language-common') as CommonLanguagePackage;
  const words = dictionary['passwords-common'];
  if (!Array.isArray(words) || words.length < 10_000) {
    throw new Error('@zxcvbn-ts/language-common no longer ships its common-password list');
  }
  return new Set(words.map((word) => word.toLowerCase()));
}
