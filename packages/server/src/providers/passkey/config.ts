import { parseDuration } from '@gatehouse-auth/core';
import { z } from 'zod';

/** An origin as browsers put it in WebAuthn's client data: scheme, host and port, nothing else. */
const origin = z
  .url({ protocol: /^https?$/ })
  .refine((v) => new URL(v).origin === v.replace(/\/+$/, ''), 'expected an origin such as https://app.example.com')
  .transform((v) => v.replace(/\/+$/, ''));

/**
 * Settings of the `passkey` provider: WebAuthn credentials users register on their signed-in account and sign
 * in with (docs/passkeys.md). Off unless configured.
 *
 * @example
 * ```json
 * "providers": { "passkey": { "rpId": "example.com", "origins": ["https://app.example.com"] } }
 * ```
 */
export const passkeyConfig = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * The relying party id passkeys are bound to: a host name, the pages' host or a parent domain of it.
     * Default: the host of `publicUrl`. Changing it later makes every registered passkey unusable.
     */
    rpId: z
      .string()
      .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'expected a host name')
      .optional(),
    /** The name authenticators show beside the passkey. Default: the app's name. */
    rpName: z.string().min(1).max(200).optional(),
    /**
     * The pages allowed to register and use passkeys, as origins. Default: the origin of `publicUrl`, of the
     * app's `rootUrl`, and the `corsOrigins` (except `*`) whose host is the rp id or under it.
     */
    origins: z.array(origin).min(1).max(100).optional(),
    /** Whether the authenticator must verify the person (PIN, biometrics): `required` or `preferred`. */
    userVerification: z.enum(['required', 'preferred']).default('preferred'),
    /** How long a challenge may be answered. */
    challengeLifetime: z
      .string()
      .refine((v) => parseDuration(v) !== null, { message: "expected a duration such as '5m'" })
      .default('5m'),
    /** Passkeys one user may register. */
    maxPasskeysPerUser: z.number().int().min(1).max(100).default(20),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.rpId === undefined || v.origins === undefined) return;
    for (const [i, o] of v.origins.entries()) {
      const host = new URL(o).hostname;
      if (host !== v.rpId && !host.endsWith(`.${v.rpId}`))
        ctx.addIssue({ code: 'custom', path: ['origins', i], message: `host is not ${v.rpId} or under it` });
    }
  });
