import { z } from 'zod';

/** Settings of the `custom-function` provider: the config module's function that authenticates a payload. */
export const customFunctionConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Name of the function in the config module's `functions`. */
    function: z.string().min(1),
  })
  .strict();
