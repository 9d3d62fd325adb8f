import { parseDuration } from '@gatehouse-auth/core';
import { z } from 'zod';

const SYMMETRIC = ['HS256', 'HS384', 'HS512'] as const;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/**
 * Settings of the `custom-token` provider (custom JWT): exactly one key source — a shared
 * `secret` (HS*), `publicKeys` (PEM or JWK), or a `jwksUrl` — an algorithm allowlist that never mixes
 * symmetric and asymmetric algorithms, optional `audience`/`issuer` checks, and metadata fields copied from
 * the token into the user's profile.
 */
export const customTokenConfig = z
  .object({
    enabled: z.boolean().default(true),
    algorithms: z
      .array(z.enum([...SYMMETRIC, ...ASYMMETRIC]))
      .min(1)
      .optional(),
    secret: z.string().min(32, 'use a secret of at least 32 characters').optional(),
    publicKeys: z
      .array(z.union([z.string().includes('-----BEGIN PUBLIC KEY-----'), z.record(z.string(), z.unknown())]))
      .min(1)
      .optional(),
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** After fetching the key set, refetch for an unknown `kid` only after this long (rate bound). */
    jwksCooldown: z
      .string()
      .refine((v) => parseDuration(v) !== null, "expected a duration such as '30s'")
      .default('30s'),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    clockSkew: z
      .string()
      .refine((v) => parseDuration(v) !== null, "expected a duration such as '60s'")
      .default('60s'),
    maxTokenBytes: z.number().int().min(256).max(65_536).default(8192),
    metadataFields: z
      .array(
        z.object({ path: z.string().min(1), field: z.string().min(1), required: z.boolean().default(false) }).strict(),
      )
      .default([]),
  })
  .strict()
  .superRefine((v, ctx) => {
    const sources = [v.secret, v.publicKeys, v.jwksUrl].filter((x) => x !== undefined).length;
    if (sources !== 1)
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'set exactly one of secret, publicKeys, jwksUrl' });
    const symmetric = v.secret !== undefined;
    const bad = (v.algorithms ?? []).filter((a) => (SYMMETRIC as readonly string[]).includes(a) !== symmetric);
    if (bad.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: `${bad.join(', ')} cannot be used with ${symmetric ? 'a shared secret' : 'public keys'} (algorithm confusion)`,
      });
    }
  });

export const DEFAULT_ALGORITHMS = { symmetric: [...SYMMETRIC], asymmetric: [...ASYMMETRIC] };
