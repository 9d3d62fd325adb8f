/**
 * Usernames as people type them and as Gatehouse compares them — the PRECIS `UsernameCaseMapped` profile
 * (RFC 8265 §3.3) with a mixed-script rule (Unicode TR #39, "highly restrictive"):
 *
 * - the **display** form is the name as the user spelled it, trimmed and NFC-normalised;
 * - the **comparison key** is width-folded and case-folded (NFKC, lower case, NFKC again): `ａdmin`, `Admin` and
 *   `admin` have one key, so only one of them can exist in an app;
 * - refused outright: controls, format characters (zero-width spaces and joiners, right-to-left overrides and
 *   other bidi controls), default-ignorable characters such as Hangul fillers, spaces, `@` (a name with `@` is
 *   read as an email at login), unassigned code points;
 * - refused as confusable: letters from more than one script (`аdmin` with a Cyrillic `а`), except the
 *   combinations one language writes together (Latin with Han and Japanese kana; Latin with Han and Hangul;
 *   Latin with Han and Bopomofo); a right-to-left name must start with a right-to-left letter.
 *
 * Whole-script look-alikes (a name written entirely in Cyrillic that looks Latin) are not detected.
 */

/** Longest username, in code points of its display form. */
export const MAX_USERNAME_LENGTH = 64;

/** Why a username was refused. */
export type UsernameProblem = 'empty' | 'too-long' | 'forbidden-character' | 'mixed-scripts' | 'bidi';

export type PreparedUsername = { ok: true; display: string; key: string } | { ok: false; problem: UsernameProblem };

const FORBIDDEN = /[\s@\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{Default_Ignorable_Code_Point}\u3164\uFFA0]/u;

/** Scripts told apart by the mixed-script rule; a letter of any other script counts as one more script. */
const SCRIPTS: [string, RegExp][] = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Nko',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Ethiopic',
  'Cherokee',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Bopomofo',
].map((name) => [name, new RegExp(`^\\p{Script=${name}}$`, 'u')]);

const RIGHT_TO_LEFT = new Set(['Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Nko']);

/** Script sets that one writing system uses together (TR #39 "highly restrictive"). */
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Hangul']),
  new Set(['Latin', 'Han', 'Bopomofo']),
];

function scriptOf(char: string): string | null {
  if (!/\p{L}|\p{M}|\p{N}/u.test(char)) return null;
  for (const [name, pattern] of SCRIPTS) if (pattern.test(char)) return name;
  // Digits, marks and the like of no particular script (Common, Inherited) do not mix scripts.
  if (/^[\p{Script=Common}\p{Script=Inherited}]$/u.test(char)) return null;
  return `other:${char.codePointAt(0)}`;
}

/**
 * The comparison key of a username: NFKC, lower case, NFKC. Two names with the same key are the same name.
 *
 * @example
 * ```ts
 * usernameKey('ＡＤＭＩＮ'); // 'admin'
 * ```
 */
export function usernameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/**
 * Checks a username and gives its display form and comparison key.
 *
 * @example
 * ```ts
 * prepareUsername(' Ada '); // { ok: true, display: 'Ada', key: 'ada' }
 * prepareUsername('\u0430dmin'); // { ok: false, problem: 'mixed-scripts' } (Cyrillic а)
 * prepareUsername('admin\u200b'); // { ok: false, problem: 'forbidden-character' }
 * ```
 */
export function prepareUsername(raw: string): PreparedUsername {
  const display = raw.trim().normalize('NFC');
  const chars = [...display];
  if (chars.length === 0) return { ok: false, problem: 'empty' };
  if (chars.length > MAX_USERNAME_LENGTH) return { ok: false, problem: 'too-long' };
  if (FORBIDDEN.test(display)) return { ok: false, problem: 'forbidden-character' };
  const key = usernameKey(display);
  if (key.length === 0 || FORBIDDEN.test(key)) return { ok: false, problem: 'forbidden-character' };
  const scripts = new Set<string>();
  for (const char of [...key]) {
    const script = scriptOf(char);
    if (script !== null) scripts.add(script);
  }
  if (scripts.size > 1 && !ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s))))
    return { ok: false, problem: 'mixed-scripts' };
  if ([...scripts].some((s) => RIGHT_TO_LEFT.has(s)) && !RIGHT_TO_LEFT.has(scriptOf(chars[0] as string) ?? ''))
    return { ok: false, problem: 'bidi' };
  return { ok: true, display, key };
}
