import { parseDuration } from '@gatehouse-auth/core';
import { z } from 'zod';

/** Longest a login may wait for the function: requests stay bounded. */
const MAX_TIMEOUT_MS = 60_000;

/**
 * Settings of the `custom-function` provider: the config module's function that turns a client's payload
 * into an external user id. Start-up fails when `function` names no function in the config module's
 * `functions` (config/schema.ts).
 *
 * @example
 * ```js
 * // gatehouse.config.mjs
 * export default {
 *   // …
 *   functions: { authenticate: async (payload) => lookUpUserId(payload) },
 *   apps: { 'myapp-abcde': { providers: { 'custom-function': { function: 'authenticate', timeout: '5s' } } } },
 * };
 * ```
 */
export const customFunctionConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Name of the function in the config module's `functions`. */
    function: z.string().min(1).max(200),
    /** How long a login waits for the function before refusing (at most 60 s). */
    timeout: z
      .string()
      .refine((v) => {
        const ms = parseDuration(v);
        return ms !== null && ms > 0 && ms <= MAX_TIMEOUT_MS;
      }, "expected a duration from '1ms' to '60s', such as '10s'")
      .default('10s'),
  })
  .strict();
