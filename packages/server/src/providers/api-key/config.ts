import { z } from 'zod';

/**
 * Settings of the `api-key` provider: user API keys and server API keys (`gatehouse keys`), and
 * `api-key` login with either.
 *
 * @example
 * ```json
 * "providers": { "api-key": { "maxKeysPerUser": 20 } }
 * ```
 */
export const apiKeyConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Keys one user may hold (App Services allowed 20). */
    maxKeysPerUser: z.number().int().min(1).max(1000).default(20),
    /** Server keys the app may have (App Services allowed 100). */
    maxServerKeys: z.number().int().min(1).max(10_000).default(100),
  })
  .strict();
