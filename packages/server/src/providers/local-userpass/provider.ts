import { z } from 'zod';
import type { CredentialProvider } from '../registry.js';
import { authenticate, linkAccount, PROVIDER } from './index.js';

/** `local-userpass` credentials: `{ username, password }` — the username is the email (spec §5.1). */
export const localUserpassProvider: CredentialProvider<{ username: string; password: string }> = {
  type: PROVIDER,
  schema: z.object({ username: z.string().max(1024), password: z.string().max(4096) }).strict(),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  logIn: async (ctx, app, payload, info) => ({ user: await authenticate(ctx, app, payload, info) }),
  link: (ctx, app, user, payload, info) => linkAccount(ctx, app, user, payload, info),
};
