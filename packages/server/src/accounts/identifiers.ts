import { GatehouseError, MAX_USERNAME_LENGTH, prepareUsername } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, ServerContext } from '../context.js';
import { assertMailAddress } from '../email/index.js';

/**
 * How people name accounts: email addresses, usernames, and the login selectors built from them. One rule
 * for every front: the App Services login name, Meteor's `{ username } | { email } | { id }`, the server API.
 */

/** Longest email address accepted (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;

/**
 * Trims and NFC-normalises an email address and checks its shape: one `@`, a non-empty local part of at most
 * 64 characters, a dotted domain, no whitespace, control characters or header-injection material. Unicode
 * (internationalised) addresses are allowed. Comparison is case-insensitive (done by the storage layer).
 *
 * @example
 * ```ts
 * normalizeEmail('  Ann@Example.com '); // 'Ann@Example.com'
 * ```
 */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().normalize('NFC');
  const at = email.lastIndexOf('@');
  if (
    email.length === 0 ||
    email.length > MAX_EMAIL_LENGTH ||
    at < 1 ||
    at > 64 ||
    email.indexOf('@') !== at ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    /[\s\u0000-\u001f\u007f<>()[\]\\,;:"\p{Cf}]/u.test(email) ||
    !/^[^.].*\.[^.]+$/.test(email.slice(at + 1)) ||
    email.includes('..')
  ) {
    throw new GatehouseError('BadRequest', 'invalid email address');
  }
  assertMailAddress(email);
  return email;
}

/**
 * Checks a username (see `prepareUsername` in `@gatehouse-auth/core`: PRECIS `UsernameCaseMapped`, mixed
 * scripts refused) and returns it as the user spelled it; uniqueness is by its comparison key, which the
 * storage derives.
 */
export function normalizeUsername(raw: string): string {
  const prepared = prepareUsername(raw);
  if (!prepared.ok) throw invalidUsername(prepared.problem);
  return prepared.display;
}

function invalidUsername(problem: string): GatehouseError {
  const why: Record<string, string> = {
    empty: 'it is empty',
    'too-long': `it is longer than ${MAX_USERNAME_LENGTH} characters`,
    'forbidden-character': 'it contains spaces, "@", invisible or control characters',
    'mixed-scripts': 'it mixes letters of different alphabets',
    bidi: 'a right-to-left name must start with a right-to-left letter',
  };
  return new GatehouseError('BadRequest', `invalid username: ${why[problem] ?? problem}`, {
    details: { problem },
  });
}

/** Which account a login names. */
export type LoginSelector = { username: string } | { email: string } | { id: string };

/**
 * The App Services login name as a selector: a name with `@` is an email, anything else a username (Meteor
 * clients send a name with `@` as an email too).
 */
export function selectorOfLoginName(name: string): LoginSelector {
  const trimmed = name.trim().normalize('NFC');
  return trimmed.includes('@') ? { email: trimmed } : { username: trimmed };
}

/**
 * The counter name of a selector for the failed-attempt limits when no user matched: the name as typed,
 * folded, so `Ann` and `ann` share one.
 */
export function selectorKey(selector: LoginSelector): string {
  if ('id' in selector) return `id:${selector.id}`;
  if ('email' in selector) return `email:${selector.email.trim().toLowerCase()}`;
  return `name:${selector.username.trim().normalize('NFKC').toLowerCase()}`;
}

/**
 * The user a selector names, or `null`: by id; by email (any letter case); by username — an exact match
 * first, then a case-insensitive one that must be unique (Meteor's rule). Overlong or empty names match
 * nobody.
 */
export async function findUserBySelector(
  ctx: ServerContext,
  app: AppSettings,
  selector: LoginSelector,
): Promise<UserRecord | null> {
  if ('id' in selector) return selector.id.length > 64 ? null : ctx.storage.getUser(app.id, selector.id);
  if ('email' in selector) {
    const email = selector.email.trim();
    if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return null;
    return ctx.storage.findUserByEmail(app.id, email);
  }
  const name = selector.username.trim().normalize('NFC');
  if (name.length === 0 || [...name].length > MAX_USERNAME_LENGTH * 2) return null;
  const matches = await ctx.storage.findUsersByUsername(app.id, name);
  return matches.length === 1 ? (matches[0] as UserRecord) : null;
}
