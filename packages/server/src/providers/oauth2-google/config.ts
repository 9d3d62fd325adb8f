import { z } from 'zod';

/** Settings of the `oauth2-google` provider (Google login). */
export const googleConfig = z
  .object({
    enabled: z.boolean().default(true),
  })
  .strict();
