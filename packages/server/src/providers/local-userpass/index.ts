import { z } from 'zod';
import {
  linkPasswordAccount,
  PASSWORD_PROVIDER,
  proveSecondFactor,
  selectorOfLoginName,
  verifyPassword,
} from '../../accounts/index.js';
import type { CredentialProvider } from '../registry.js';

/**
 * `local-userpass` credentials: `{ username, password }` — the username is the email for App Services
 * clients; a name without `@` is a username. The checks are the account core's (`verifyPassword`).
 */
export const localUserpassProvider: CredentialProvider<{ username: string; password: string }> = {
  type: PASSWORD_PROVIDER,
  schema: z.object({ username: z.string().max(1024), password: z.string().max(4096) }).strict(),
  enabled: (app) => app.providers[PASSWORD_PROVIDER]?.enabled === true,
  logIn: async (ctx, app, { username, password }, info) => {
    const user = await verifyPassword(ctx, app, { selector: selectorOfLoginName(username), password }, info);
    // A user with two-factor on: 401 `TwoFactorRequired` with a challenge for the `two-factor` provider.
    await proveSecondFactor(ctx, app, user, undefined, info, { challenge: true, provider: PASSWORD_PROVIDER });
    return { user };
  },
  link: (ctx, app, user, { username, password }, info) =>
    linkPasswordAccount(ctx, app, user, { selector: selectorOfLoginName(username), password }, info),
};
