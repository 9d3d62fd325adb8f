import type { LinkToken, LoginSelector, PasswordInput } from '../../accounts/index.js';
import { MeteorError, matchFailed } from '../wire.js';

/**
 * Meteor's argument checks (`check(…)` in accounts-base and accounts-password): any mismatch is 400
 * `Match failed` — Meteor sanitises a `Match.Error` to exactly that, never the inner message.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** The intended `passwordValidator`: ≤ 256 characters, or `{ digest: 64 hex, algorithm: 'sha-256' }`. */
export function readPassword(value: unknown): PasswordInput {
  if (typeof value === 'string') {
    if (value.length === 0 || value.length > 256) throw matchFailed();
    return value;
  }
  if (isPlainObject(value)) {
    const { digest, algorithm, ...rest } = value;
    if (
      Object.keys(rest).length === 0 &&
      algorithm === 'sha-256' &&
      typeof digest === 'string' &&
      /^[0-9a-f]{64}$/.test(digest)
    )
      return { digest };
  }
  throw matchFailed();
}

/**
 * `login({ user, password, code? })`: `user` has exactly one non-empty selector key of `username`, `email`,
 * `id`. Meteor's `code` (accounts-2fa) is a non-empty string when present, checked only for users with two-factor on.
 */
export function readPasswordLogin(options: Record<string, unknown>): {
  selector: LoginSelector;
  password: PasswordInput;
  code?: string;
} {
  if (Object.keys(options).some((k) => k !== 'user' && k !== 'password' && k !== 'code')) throw matchFailed();
  if ('code' in options && (typeof options.code !== 'string' || options.code === '' || options.code.length > 64))
    throw matchFailed();
  const user = options.user;
  if (!isPlainObject(user)) throw matchFailed();
  const entries = Object.entries(user);
  if (entries.length !== 1) throw matchFailed();
  const [[key, value]] = entries as [[string, unknown]];
  if (
    !['username', 'email', 'id'].includes(key) ||
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 1024
  )
    throw matchFailed();
  return {
    selector: { [key]: value } as LoginSelector,
    password: readPassword(options.password),
    ...(typeof options.code === 'string' ? { code: options.code } : {}),
  };
}

/**
 * The token of a reset or verification link. Gatehouse links carry `token` and `tokenId`; a Meteor client's
 * `Accounts.resetPassword(token, …)` / `verifyEmail(token)` takes one string, so the app's page passes
 * `"<tokenId>.<token>"`.
 */
export function readLinkToken(value: unknown, expired: string): LinkToken {
  if (typeof value !== 'string' || value.length > 512) throw matchFailed();
  const dot = value.indexOf('.');
  if (dot < 1) throw new MeteorError(403, expired);
  return { tokenId: value.slice(0, dot), token: value.slice(dot + 1) };
}

/** Method called without a login where one is needed. */
export function notLoggedIn(): MeteorError {
  return new MeteorError(401, 'Must be logged in');
}
