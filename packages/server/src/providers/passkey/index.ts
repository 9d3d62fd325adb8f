import { z } from 'zod';
import { PASSKEY_PROVIDER, verifyPasskeyLogin } from '../../accounts/index.js';
import type { CredentialProvider } from '../registry.js';
import { authenticationResponse } from './schemas.js';

/**
 * `passkey` login: `{ response }`, the browser's answer to the sign-in options of
 * `POST …/auth/providers/passkey/options` (accounts/passkeys.ts checks it). Through the login route, so the
 * hooks, sessions and the `login` event are everyone's. A passkey is added to a signed-in account with the
 * account routes (`/auth/passkeys`), not by linking.
 */
export const passkeyProvider: CredentialProvider<{ response: z.infer<typeof authenticationResponse> }> = {
  type: PASSKEY_PROVIDER,
  schema: z.object({ response: authenticationResponse }).strict(),
  enabled: (app) => app.providers.passkey?.enabled === true,
  async logIn(ctx, app, payload, info) {
    return { user: await verifyPasskeyLogin(ctx, app, payload.response, info) };
  },
};
