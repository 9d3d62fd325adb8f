import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { identityTaken } from './external.js';
import { PASSWORD_PROVIDER } from './password-rules.js';

/**
 * Folds a fresh account into `user` — how an anonymous user keeps their id when they add an email/password or
 * a passwordless sign-in. Fresh means: its only identity is `provider`'s and it has never had a live session.
 * Its addresses, that identity and (for email/password) its password move over and the empty account is
 * removed, in one transaction. An account that has been used belongs to someone and is refused, as any
 * identity already taken.
 */
export async function foldFreshAccount(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  account: UserRecord,
  provider: string,
  info: RequestInfo,
): Promise<void> {
  const now = ctx.now();
  const identity = account.identities.find((i) => i.providerType === provider);
  const fresh =
    identity !== undefined &&
    account.identities.length === 1 &&
    (await ctx.storage.listActiveSessions(app.id, account.id, now)).length === 0;
  if (!fresh) throw identityTaken();
  const hash = provider === PASSWORD_PROVIDER ? await ctx.storage.getPasswordHash(app.id, account.id) : null;
  await ctx.storage.transaction(async (tx) => {
    // Deleting the empty account first frees its addresses and identity for `user`.
    await tx.deleteUser(app.id, account.id);
    for (const email of account.emails) await tx.addEmail(app.id, user.id, email, now);
    const { providerId, subject, data } = identity;
    await tx.addIdentity(app.id, user.id, { providerType: provider, providerId, subject, data }, now);
    if (hash) await tx.setPasswordHash(app.id, user.id, hash, now);
  });
  await ctx.events.emit({
    type: 'identity-linked',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { provider },
  });
}
