import { z } from 'zod';

/** Settings of the `oauth2-apple` provider (Sign in with Apple ID tokens). */
export const appleConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Service / bundle ids whose ID tokens are accepted (the token's `aud`). */
    clientIds: z.array(z.string().min(1)).min(1),
    issuer: z.url().default('https://appleid.apple.com'),
    jwksUrl: z.url({ protocol: /^https?$/ }).default('https://appleid.apple.com/auth/keys'),
    /**
     * For realm-web's redirect flow (`Credentials.apple(redirectUrl)`): the Services ID, the team id, and the
     * Sign in with Apple key (its id and `.p8` PEM), which signs the client secret. Apple answers by
     * `form_post` to `<publicUrl>/api/client/v2.0/auth/callback`; its endpoints are under `issuer`.
     */
    servicesId: z.string().min(1).max(256).optional(),
    teamId: z
      .string()
      .regex(/^[A-Z0-9]{10}$/, 'expected the 10-character Apple team id')
      .optional(),
    keyId: z
      .string()
      .regex(/^[A-Z0-9]{10}$/, 'expected the 10-character key id')
      .optional(),
    privateKey: z
      .string()
      .max(4096)
      .refine(
        (v) => /-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/.test(v),
        'expected the .p8 key (PEM)',
      )
      .optional(),
  })
  .strict()
  .refine(
    (v) =>
      [v.servicesId, v.teamId, v.keyId, v.privateKey].every((x) => x === undefined) ||
      [v.servicesId, v.teamId, v.keyId, v.privateKey].every((x) => x !== undefined),
    'the redirect flow needs servicesId, teamId, keyId and privateKey together',
  );
