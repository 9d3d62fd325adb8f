import { z } from 'zod';

/**
 * Settings of the `oauth2-facebook` provider: token-based Facebook login and realm-web's redirect
 * flow (`Credentials.facebook(redirectUrl)`, see oauth/redirect-flow.ts).
 */
export const facebookConfig = z
  .object({
    enabled: z.boolean().default(true),
    appId: z.string().regex(/^\d{1,32}$/, 'expected the numeric Facebook app id'),
    /** Secret: never logged, never sent anywhere but the Graph API. */
    appSecret: z.string().min(8),
    graphBaseUrl: z.url({ protocol: /^https?$/ }).default('https://graph.facebook.com/v19.0'),
    /** For the redirect flow: Facebook's login dialog. The code is exchanged at `<graphBaseUrl>/oauth/access_token`. */
    authorizationEndpoint: z.url({ protocol: /^https?$/ }).default('https://www.facebook.com/v19.0/dialog/oauth'),
  })
  .strict();
