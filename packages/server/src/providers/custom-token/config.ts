import { z } from 'zod';

/** Settings of the `custom-token` provider (custom JWT login). */
export const customTokenConfig = z
  .object({
    enabled: z.boolean().default(true),
  })
  .strict();
