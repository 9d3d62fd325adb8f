import { z } from 'zod';

/**
 * Settings of the `oauth2-google` provider: token-based Google login and, when `clientSecret` is
 * set, realm-web's redirect flow (`Credentials.google({ redirectUrl })`, see oauth/redirect-flow.ts).
 */
export const googleConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** OAuth client id(s) whose ID tokens are accepted (the token's `aud`). */
    clientId: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    issuer: z.url().default('https://accounts.google.com'),
    jwksUrl: z.url({ protocol: /^https?$/ }).default('https://www.googleapis.com/oauth2/v3/certs'),
    /** For `authCode` logins: the client secret, the token endpoint and the redirect URI the code was made for. */
    clientSecret: z.string().min(1).optional(),
    tokenEndpoint: z.url({ protocol: /^https?$/ }).default('https://oauth2.googleapis.com/token'),
    redirectUri: z.string().default(''),
    /**
     * For the redirect flow: where the browser is sent to sign in. Google's by default; the token endpoint,
     * issuer and JWKS URL above serve the flow too, and the IdP calls back to `<publicUrl>/api/client/v2.0/auth/callback`.
     */
    authorizationEndpoint: z.url({ protocol: /^https?$/ }).default('https://accounts.google.com/o/oauth2/v2/auth'),
  })
  .strict();
