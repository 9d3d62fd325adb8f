import { GatehouseError } from '@gatehouse-auth/core';
import { createMiddleware } from 'hono/factory';
import { authenticateAccess, authenticateRefresh } from '../accounts/index.js';
import type { ServerContext } from '../context.js';
import type { GatehouseEnv } from './env.js';

/** The token in an `Authorization: Bearer …` header; `must authenticate first` if there is none. */
export function bearerToken(header: string | null | undefined): string {
  const match = header == null ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new GatehouseError('InvalidSession', 'must authenticate first');
  return match[1] as string;
}

/**
 * Routes for a signed-in user: the access token in `Authorization` must name a live session of an enabled
 * user of a configured app (revocation takes effect at once, not when the token expires). Sets `auth`.
 */
export function requireAccess(ctx: ServerContext) {
  return createMiddleware<GatehouseEnv>(async (c, next) => {
    c.set('auth', await authenticateAccess(ctx, bearerToken(c.req.header('authorization'))));
    await next();
  });
}

/**
 * Routes App Services authenticates with the REFRESH token (the user API key routes): the same checks as a
 * refresh. Sets `auth`.
 */
export function requireRefresh(ctx: ServerContext) {
  return createMiddleware<GatehouseEnv>(async (c, next) => {
    c.set('auth', await authenticateRefresh(ctx, bearerToken(c.req.header('authorization'))));
    await next();
  });
}
