import { z } from 'zod';

/** Settings of the `oauth2-apple` provider (Sign in with Apple ID tokens). */
export const appleConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Service / bundle ids whose ID tokens are accepted (the token's `aud`). */
    clientIds: z.array(z.string().min(1)).min(1),
    issuer: z.url().default('https://appleid.apple.com'),
    jwksUrl: z.url({ protocol: /^https?$/ }).default('https://appleid.apple.com/auth/keys'),
  })
  .strict();
