import { GatehouseError } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { z } from 'zod';
import type { Proven } from '../accounts/index.js';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';

/**
 * One credential kind of the App Services protocol. The wire layer validates the payload with `schema`
 * (after taking off the `provider` and `options` envelope), then calls `logIn` or `link`; hooks, sessions and
 * tokens are the account core's (`logIn` in accounts/login.ts), so every provider gets them alike.
 */
export interface CredentialProvider<P = unknown> {
  /** The provider type, which is also its name in URLs. */
  readonly type: string;
  /** The credential payload, strict: unknown fields are refused. */
  readonly schema: z.ZodType<P>;
  /** Whether the app has this provider switched on. */
  enabled(app: AppSettings): boolean;
  /** Finds — or, for providers that create accounts on first use, creates — the user the payload proves. */
  logIn(ctx: ServerContext, app: AppSettings, payload: P, info: RequestInfo): Promise<Proven>;
  /**
   * Adds the identity the payload proves to `user`. Refuses an identity that belongs to another user. Absent
   * when the credential kind cannot be linked (anonymous).
   */
  link?(ctx: ServerContext, app: AppSettings, user: UserRecord, payload: P, info: RequestInfo): Promise<void>;
}

/** The refusal for a provider the app does not have. */
export function providerNotFound(type: string): GatehouseError {
  return new GatehouseError('AuthProviderNotFound', `authentication via '${type.slice(0, 64)}' is unsupported`);
}
