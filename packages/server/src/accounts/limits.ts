import { GatehouseError } from '@gatehouse-auth/core';
import type { AppSettings, ServerContext } from '../context.js';
import { addressKey } from '../rate-limit/index.js';

/**
 * The failed-attempt limits every check of a secret goes through — a password login over HTTP or DDP, linking
 * an email/password account, the current password of a password change, the reset function's password check,
 * a reset or verification token, a forgot-password request — whatever the front. Three counters, as the
 * configuration names them:
 *
 * - the account from one client address (`failedLoginsPerAccountAndAddress`, 10 by default),
 * - the account from everywhere (`failedLoginsPerAccount`, 100: a guesser spread over many addresses),
 * - the client address against any account (`failedLoginsPerAddress`, 50; IPv6 per /64).
 *
 * All three are checked before any work is done and all three count a failure; a success clears the first.
 */
export interface AttemptLimits {
  /** Throws `TooManyRequests` (with `retryAfterSeconds`) when any counter is at its limit. */
  check(): Promise<void>;
  /** Counts one failure on every counter. */
  failed(): Promise<void>;
  /** Clears the account-and-address counter after a success. */
  succeeded(): Promise<void>;
}

/**
 * The limits of one account as seen from one address. `account` names the account being tried: the user id
 * when the user is known (so switching between username, email and id selectors shares one counter), else the
 * name as typed, folded — so unknown names are limited exactly like known ones.
 *
 * @example
 * ```ts
 * const limits = attemptLimits(ctx, app, `user:${user.id}`, address);
 * await limits.check();
 * if (!ok) { await limits.failed(); throw invalidCredentials(); }
 * await limits.succeeded();
 * ```
 */
export function attemptLimits(
  ctx: ServerContext,
  app: AppSettings,
  account: string | null,
  address: string | null,
): AttemptLimits {
  const limits = ctx.config.rateLimits;
  const where = addressKey(address);
  // `null`: a secret that names no account (an API key): only the address counter applies — a shared
  // per-account counter would let anyone lock every API key of the app out.
  const checks = [
    ...(account === null
      ? []
      : [
          { key: `fail:${app.id}:${account}:${where}`, limit: limits.failedLoginsPerAccountAndAddress },
          { key: `fail:${app.id}:${account}`, limit: limits.failedLoginsPerAccount },
        ]),
    { key: `fail-addr:${where}`, limit: limits.failedLoginsPerAddress },
  ];
  return {
    async check() {
      const blocked = await ctx.limiter.blocked(checks, ctx.now());
      if (blocked) throw tooManyAttempts(blocked.retryAfterMs);
    },
    async failed() {
      await ctx.limiter.count(
        checks.map((c) => c.key),
        limits.windowMs,
        ctx.now(),
      );
    },
    async succeeded() {
      if (account !== null) await ctx.limiter.reset(checks[0]?.key as string);
    },
  };
}

/**
 * A per-address budget for creating accounts (anonymous logins and sign-ups), so one address cannot make
 * users without bound. Generous by default (`rateLimits.newAccountsPerAddress`, 100 per window).
 */
export async function countNewAccount(ctx: ServerContext, address: string | null): Promise<void> {
  const limits = ctx.config.rateLimits;
  const key = `new-account:${addressKey(address)}`;
  const now = ctx.now();
  const blocked = await ctx.limiter.blocked([{ key, limit: limits.newAccountsPerAddress }], now);
  if (blocked)
    throw new GatehouseError('TooManyRequests', 'too many new accounts from this address, try again later', {
      details: { retryAfterSeconds: Math.ceil(blocked.retryAfterMs / 1000) },
    });
  await ctx.limiter.count([key], limits.windowMs, now);
}

export function tooManyAttempts(retryAfterMs: number): GatehouseError {
  return new GatehouseError('TooManyRequests', 'too many failed attempts, try again later', {
    details: { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
  });
}
