import { z } from 'zod';

/** Settings of the `custom-function` provider (custom function login). */
export const customFunctionConfig = z
  .object({
    enabled: z.boolean().default(true),
  })
  .strict();
