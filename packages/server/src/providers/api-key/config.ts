import { z } from 'zod';

/** Settings of the `api-key` provider (user API keys, spec §10). */
export const apiKeyConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Keys one user may hold (App Services allowed 20). */
    maxKeysPerUser: z.number().int().min(1).max(1000).default(20),
  })
  .strict();
