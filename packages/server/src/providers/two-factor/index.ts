import { z } from 'zod';
import { finishTwoFactorLogin, PASSWORD_PROVIDER } from '../../accounts/index.js';
import type { CredentialProvider } from '../registry.js';

/**
 * `two-factor` credentials (a Gatehouse extension): `{ challenge, code }` — the second step of a login that
 * answered 401 `TwoFactorRequired` with a `challenge`, finished with an authenticator code or a recovery code.
 */
export const twoFactorProvider: CredentialProvider<{ challenge: string; code: string }> = {
  type: 'two-factor',
  schema: z.object({ challenge: z.string().min(1).max(256), code: z.string().min(1).max(64) }).strict(),
  // Any app whose users can have a second factor: one with passwords or passwordless sign-in.
  enabled: (app) => app.providers[PASSWORD_PROVIDER]?.enabled === true || app.accounts.passwordless,
  logIn: async (ctx, app, input, info) => ({ user: (await finishTwoFactorLogin(ctx, app, input, info)).user }),
};
