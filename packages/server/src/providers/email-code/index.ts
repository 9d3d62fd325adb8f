import { z } from 'zod';
import { linkPasswordlessAccount, PASSWORDLESS_PROVIDER, verifyLoginToken } from '../../accounts/index.js';
import type { CredentialProvider } from '../registry.js';

/**
 * `email-code` credentials (a Gatehouse extension): `{ email, code }` — the code mailed by
 * `POST …/auth/providers/email-code/send`, typed in or taken from the link. The checks are the account core's
 * (`verifyLoginToken`); a user with two-factor on gets `TwoFactorRequired` with a challenge, as for a password.
 * Linking it to an anonymous user keeps that user's id.
 */
export const emailCodeProvider: CredentialProvider<{ email: string; code: string }> = {
  type: PASSWORDLESS_PROVIDER,
  schema: z.object({ email: z.string().min(1).max(1024), code: z.string().min(1).max(64) }).strict(),
  enabled: (app) => app.accounts.passwordless,
  logIn: async (ctx, app, { email, code }, info) => ({
    user: await verifyLoginToken(ctx, app, { selector: { email }, token: code }, info, { challenge: true }),
  }),
  link: (ctx, app, user, input, info) => linkPasswordlessAccount(ctx, app, user, input, info),
};
