import { GatehouseError } from '@gatehouse-auth/core';
import type { LocalUserpassSettings } from '../config/resolve.js';
import type { AppSettings, ServerContext } from '../context.js';
import { checkPassword, type PasswordPolicy, type PasswordVerification } from '../passwords/index.js';

/** The email/password provider's type, in URLs, identities and sessions. */
export const PASSWORD_PROVIDER = 'local-userpass';

/**
 * A password as a client gives it: the text typed, or — from Meteor clients, which hash before sending — its
 * SHA-256 digest. A digest cannot be checked against the password policy (Meteor's own server cannot either):
 * it is accepted as is, and docs/meteor.md says so.
 */
export type PasswordInput = string | { digest: string };

/**
 * The app's email/password settings, or `AuthProviderNotFound` when the app has the provider off: every
 * password flow of every front starts here.
 */
export function passwordSettings(app: AppSettings): LocalUserpassSettings {
  const settings = app.providers[PASSWORD_PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PASSWORD_PROVIDER}' is unsupported`);
  return settings;
}

export function passwordPolicy(app: AppSettings): PasswordPolicy {
  const settings = passwordSettings(app);
  return {
    minLength: settings.minPasswordLength,
    maxLength: settings.maxPasswordLength,
    rejectCommon: settings.rejectCommonPasswords,
  };
}

/** A new password: checked against the app's policy (plain text only), then hashed. */
export async function hashNewPassword(ctx: ServerContext, app: AppSettings, password: PasswordInput): Promise<string> {
  if (typeof password !== 'string') return ctx.passwords.hashDigest(password.digest);
  return ctx.passwords.hash(checkPassword(password, passwordPolicy(app)));
}

/**
 * Refuses a password longer than the app allows before any hashing (a megabyte-long guess must cost nothing).
 */
export function assertPasswordLength(app: AppSettings, password: PasswordInput): void {
  const max = passwordSettings(app).maxPasswordLength;
  if (typeof password === 'string' && [...password].length > max)
    throw new GatehouseError('BadRequest', `password must be at most ${max} characters`);
}

/** Checks `password` against a stored hash; with `null` (no such user or no password) a dummy check of equal cost. */
export async function checkStoredPassword(
  ctx: ServerContext,
  phc: string | null,
  password: PasswordInput,
): Promise<PasswordVerification> {
  if (phc === null) {
    await ctx.passwords.verifyDummy(typeof password === 'string' ? password : password.digest);
    return { ok: false, needsRehash: false };
  }
  return typeof password === 'string'
    ? ctx.passwords.verify(phc, password)
    : ctx.passwords.verifyDigest(phc, password.digest);
}

/** Today's hash for a password that just proved right against an older one (imported bcrypt, weaker argon2). */
export function rehash(ctx: ServerContext, phc: string, password: PasswordInput): Promise<string> {
  return typeof password === 'string' ? ctx.passwords.rehash(phc, password) : ctx.passwords.hashDigest(password.digest);
}
