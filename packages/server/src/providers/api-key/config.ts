import { z } from 'zod';

/** Settings of the `api-key` provider (user and server API keys). */
export const apiKeyConfig = z
  .object({
    enabled: z.boolean().default(true),
  })
  .strict();
