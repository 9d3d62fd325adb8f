import { objectId, randomBytes } from '@gatehouse-auth/core';
import { z } from 'zod';
import type { CredentialProvider } from '../registry.js';

/**
 * The identity id App Services gave anonymous users: `<24-hex>-<24 lowercase letters>` (spec §6).
 */
function anonymousSubject(): string {
  const letters = Array.from(randomBytes(24), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${objectId()}-${letters}`;
}

/**
 * `anon-user` login: every call creates a new user (spec §5.2) with one anonymous identity. Anonymous
 * credentials cannot be linked to another user (realm-core refuses locally; we refuse on the server).
 */
export const anonUserProvider: CredentialProvider<Record<string, never>> = {
  type: 'anon-user',
  schema: z.object({}).strict(),
  enabled: (app) => app.providers['anon-user']?.enabled === true,
  async logIn(ctx, app) {
    const now = ctx.now();
    const user = await ctx.storage.createUser({
      id: objectId(now),
      appId: app.id,
      identities: [{ providerType: 'anon-user', providerId: 'anon-user', subject: anonymousSubject() }],
      now,
    });
    return { user };
  },
};
