import { objectId, randomBytes } from '@gatehouse-auth/core';
import { z } from 'zod';
import { createAccount } from '../../accounts/index.js';
import type { CredentialProvider } from '../registry.js';

/** The identity id App Services gave anonymous users: `<24-hex>-<24 lowercase letters>`. */
function anonymousSubject(): string {
  const letters = Array.from(randomBytes(24), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${objectId()}-${letters}`;
}

/**
 * `anon-user` login: every call creates a new user with one anonymous identity — through the account core, so
 * the hooks see it and the per-address budget for new accounts applies. Anonymous credentials cannot be linked
 * to another user (realm-core refuses locally; we refuse on the server).
 */
export const anonUserProvider: CredentialProvider<Record<string, never>> = {
  type: 'anon-user',
  schema: z.object({}).strict(),
  enabled: (app) => app.providers['anon-user']?.enabled === true,
  async logIn(ctx, app, _payload, info) {
    const identity = { providerType: 'anon-user', providerId: 'anon-user', subject: anonymousSubject() };
    return { user: await createAccount(ctx, app, { identity }, 'anonymous', info) };
  },
};
