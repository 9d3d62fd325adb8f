import { z } from 'zod';

/** Settings of the `oauth2-apple` provider (Apple login). */
export const appleConfig = z
  .object({
    enabled: z.boolean().default(true),
  })
  .strict();
