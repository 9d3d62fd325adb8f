import { z } from 'zod';

/** Settings of the `oauth2-facebook` provider (Facebook login). */
export const facebookConfig = z
  .object({
    enabled: z.boolean().default(true),
  })
  .strict();
