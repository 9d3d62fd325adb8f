import { randomBytes } from 'node:crypto';
import { GatehouseError, objectId, randomSecret } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import { Secret, TOTP } from 'otpauth';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { vaultOf } from '../oauth/vault.js';
import { secretHash } from '../tokens/hash.js';
import { attemptLimits } from './limits.js';
import { refuseLogin } from './login.js';

/**
 * Two-factor sign-in with TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps — what every authenticator app
 * reads from an `otpauth://` QR code), Meteor's `accounts-2fa` on the account core:
 *
 * - `startTwoFactor` makes a secret (pending until confirmed) and its QR code; the secret is kept sealed with
 *   the configuration's `encryptionKeys`, for that user only.
 * - `enableTwoFactor` turns it on with a first correct code and hands out ten one-time recovery codes (kept
 *   only as hashes). A wrong first code leaves it off.
 * - `proveSecondFactor` is the second step of every login of a user who has it on: a TOTP code of the current
 *   step or one either side, each step accepted once (a code seen over a shoulder cannot be replayed), or an
 *   unused recovery code. Wrong codes count on the same failed-attempt limits as passwords.
 */

/** Time step of the codes, in seconds. */
const PERIOD = 30;
/** Steps either side of the current one a code may come from (clocks of phones drift). */
const WINDOW = 1;
const RECOVERY_CODES = 10;
/** How long the second step of an HTTP login may wait for its code. */
const CHALLENGE_LIFETIME_MS = 5 * 60_000;

/** What `generate2faActivationQrCode` answers: the QR code as SVG, the secret in base32 and its URI. */
export interface TwoFactorActivation {
  svg: string;
  secret: string;
  uri: string;
}

function sealContext(app: AppSettings, userId: string): string {
  return `totp:${app.id}:${userId}`;
}

function totpOf(secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });
}

/**
 * A new pending secret for `user`, with its QR code. Refused with `TwoFactorEnabled` while two-factor is on
 * (turn it off first, as Meteor asks). The account name in the authenticator is the username, else the first
 * address, else the id (Meteor's choice).
 *
 * @example
 * ```ts
 * const { svg, secret, uri } = await startTwoFactor(ctx, app, user, 'Notes');
 * ```
 */
export async function startTwoFactor(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  appName: string,
): Promise<TwoFactorActivation> {
  const vault = vaultOf(ctx);
  if (!vault.enabled)
    throw new GatehouseError('Forbidden', 'two-factor sign-in needs encryptionKeys in the configuration');
  const existing = await ctx.storage.getSecondFactor(app.id, user.id);
  if (existing?.enabledAt != null) throw twoFactorEnabled();
  const secret = new Secret({ size: 20 }).base32;
  const label = user.username ?? user.emails[0]?.address ?? user.id;
  const uri = totpOf(secret, appName.trim().slice(0, 128), label).toString();
  // Loaded on the first enrolment, not at startup: few requests need it, every process would hold it.
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  const stored = await ctx.storage.setPendingSecondFactor(
    app.id,
    user.id,
    vault.seal(secret, sealContext(app, user.id)),
    ctx.now(),
  );
  if (!stored) throw twoFactorEnabled();
  return { svg, secret, uri };
}

/**
 * Turns two-factor on with a first code from the pending secret, and returns the recovery codes (shown once).
 * No pending secret: `BadRequest`; a wrong code: `TwoFactorInvalid` (counted), and two-factor stays off.
 */
export async function enableTwoFactor(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  code: string,
  info: RequestInfo,
): Promise<{ recoveryCodes: string[] }> {
  const limits = secondFactorLimits(ctx, app, user.id, info);
  await limits.check();
  const factor = await ctx.storage.getSecondFactor(app.id, user.id);
  if (factor?.enabledAt != null) throw twoFactorEnabled();
  const secret = factor ? vaultOf(ctx).open(factor.secret, sealContext(app, user.id)) : null;
  if (!factor || secret === null)
    throw new GatehouseError(
      'BadRequest',
      'The user does not have a secret generated. You may have to call the function generateSvgCode first.',
    );
  const step = matchingStep(ctx, secret, code);
  if (step === null) {
    await limits.failed();
    throw new GatehouseError('TwoFactorInvalid', 'invalid two-factor code');
  }
  await limits.succeeded();
  const recoveryCodes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  const enabled = await ctx.storage.enableSecondFactor(app.id, user.id, {
    step,
    recoveryCodeHashes: recoveryCodes.map((c) => recoveryHash(app, user.id, c)),
    now: ctx.now(),
  });
  if (!enabled) throw twoFactorEnabled();
  await ctx.events.emit({
    type: 'two-factor-enabled',
    appId: app.id,
    userId: user.id,
    address: info.address,
    detail: {},
  });
  return { recoveryCodes };
}

/**
 * Turns two-factor off (the user's own `disableUser2fa`, or the operator resetting a lost phone) and forgets
 * the secret and recovery codes. `false` when it was not set up.
 */
export async function disableTwoFactor(
  ctx: ServerContext,
  app: AppSettings,
  userId: string,
  info: { address: string | null },
  by: 'user' | 'operator',
): Promise<boolean> {
  const removed = await ctx.storage.deleteSecondFactor(app.id, userId);
  if (removed)
    await ctx.events.emit({
      type: 'two-factor-disabled',
      appId: app.id,
      userId,
      address: info.address,
      detail: { by },
    });
  return removed;
}

/** Whether the user has two-factor on (a pending secret does not count). */
export async function hasTwoFactor(ctx: ServerContext, app: AppSettings, userId: string): Promise<boolean> {
  return (await ctx.storage.getSecondFactor(app.id, userId))?.enabledAt != null;
}

/** How many unused recovery codes the user has. */
export function recoveryCodesLeft(ctx: ServerContext, app: AppSettings, userId: string): Promise<number> {
  return ctx.storage.countRecoveryCodes(app.id, userId);
}

/**
 * The second step of a login whose first factor already proved `user`. Nothing to do when two-factor is off.
 * Without a code: `TwoFactorRequired` — over HTTP (`challenge: true`) carrying a short-lived challenge that
 * `finishTwoFactorLogin` redeems with the code, so the password need not be sent twice. A wrong or replayed code:
 * `TwoFactorInvalid`, counted on the failed-attempt limits.
 */
export async function proveSecondFactor(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  code: string | undefined,
  info: RequestInfo,
  options: { challenge: boolean; provider: string },
): Promise<void> {
  const factor = await ctx.storage.getSecondFactor(app.id, user.id);
  if (factor?.enabledAt == null) return;
  if (code === undefined || code === '') {
    const details: Record<string, unknown> = {};
    if (options.challenge) details.challenge = await issueChallenge(ctx, app, user.id, options.provider);
    throw new GatehouseError('TwoFactorRequired', 'a two-factor code is required', { details });
  }
  const limits = secondFactorLimits(ctx, app, user.id, info);
  await limits.check();
  const secret = vaultOf(ctx).open(factor.secret, sealContext(app, user.id));
  const now = ctx.now();
  const step = secret === null ? null : matchingStep(ctx, secret, code);
  const accepted =
    step !== null
      ? await ctx.storage.useTotpStep(app.id, user.id, step, now)
      : isRecoveryCodeShape(code) &&
        (await ctx.storage.useRecoveryCode(app.id, user.id, recoveryHash(app, user.id, code), now));
  if (!accepted) {
    await limits.failed();
    const refusal = { userId: user.id, provider: options.provider, reason: 'two-factor', info };
    throw await refuseLogin(ctx, app, refusal, new GatehouseError('TwoFactorInvalid', 'invalid two-factor code'));
  }
  await limits.succeeded();
}

/**
 * Redeems an HTTP login's challenge with the code: the user the first step proved, once the code is right. The
 * challenge is spent by the attempt, right or wrong (a wrong code means signing in again).
 */
export async function finishTwoFactorLogin(
  ctx: ServerContext,
  app: AppSettings,
  input: { challenge: string; code: string },
  info: RequestInfo,
): Promise<{ user: UserRecord; provider: string }> {
  const dot = input.challenge.indexOf('.');
  const invalid = () => new GatehouseError('TwoFactorInvalid', 'the two-factor challenge is invalid or expired');
  if (dot < 1 || input.challenge.length > 256) throw invalid();
  const record = await ctx.storage.consumeOneTimeToken({
    appId: app.id,
    id: input.challenge.slice(0, dot),
    tokenHash: secretHash(input.challenge.slice(dot + 1)),
    purpose: 'two-factor-challenge',
    now: ctx.now(),
  });
  const user = record?.userId ? await ctx.storage.getUser(app.id, record.userId) : null;
  if (!record || !user) throw invalid();
  const provider = typeof record.data.provider === 'string' ? record.data.provider : 'local-userpass';
  await proveSecondFactor(ctx, app, user, input.code, info, { challenge: false, provider });
  return { user, provider };
}

/**
 * The failed-attempt limits of a user's second factor: the same three counters as passwords, under a name of
 * their own — a right password clears the password's account-and-address counter, and must not clear the
 * count of wrong codes that follow it.
 */
function secondFactorLimits(ctx: ServerContext, app: AppSettings, userId: string, info: { address: string | null }) {
  return attemptLimits(ctx, app, `two-factor:${userId}`, info.address);
}

async function issueChallenge(ctx: ServerContext, app: AppSettings, userId: string, provider: string) {
  const now = ctx.now();
  const id = objectId(now);
  const secret = randomSecret();
  await ctx.storage.createOneTimeToken({
    id,
    appId: app.id,
    userId,
    purpose: 'two-factor-challenge',
    tokenHash: secretHash(secret),
    data: { provider },
    now,
    expiresAt: now + CHALLENGE_LIFETIME_MS,
  });
  return `${id}.${secret}`;
}

/** The time step `code` belongs to (current ± WINDOW), or `null`. */
function matchingStep(ctx: ServerContext, secret: string, code: string): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const timestamp = ctx.now();
  const delta = totpOf(secret).validate({ token: code, timestamp, window: WINDOW });
  return delta === null ? null : Math.floor(timestamp / 1000 / PERIOD) + delta;
}

/** `xxxxx-xxxxx` in lower-case hex: easy to read aloud and type, 40 bits each. */
function newRecoveryCode(): string {
  const hex = randomBytes(5).toString('hex');
  return `${hex.slice(0, 5)}-${hex.slice(5)}`;
}

function isRecoveryCodeShape(code: string): boolean {
  return /^[0-9a-f]{5}-?[0-9a-f]{5}$/i.test(code.trim());
}

function recoveryHash(app: AppSettings, userId: string, code: string): string {
  return secretHash(`recovery:${app.id}:${userId}:${code.trim().toLowerCase().replace('-', '')}`);
}

function twoFactorEnabled(): GatehouseError {
  return new GatehouseError('TwoFactorEnabled', 'two-factor sign-in is already on; turn it off first');
}
