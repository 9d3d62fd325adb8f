import { GatehouseError } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { identityTaken } from './external.js';
import type { LoginSelector } from './identifiers.js';
import { verifyPassword } from './password-login.js';
import { PASSWORD_PROVIDER } from './password-rules.js';

/**
 * Links an email/password account to `user` — how an anonymous user is upgraded: register, confirm, then
 * `linkCredentials`. The account's credentials are checked like a login (limits, confirmation). A fresh
 * account — only its email/password identity, never signed in — is folded into `user` (identity, email and
 * password move over, the empty account is removed) in one transaction; an account that has been used belongs
 * to someone and is refused.
 */
export async function linkPasswordAccount(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  input: { selector: LoginSelector; password: string },
  info: RequestInfo,
): Promise<void> {
  const account = await verifyPassword(ctx, app, input, info);
  if (account.id === user.id) return;
  if (user.identities.some((i) => i.providerType === PASSWORD_PROVIDER))
    throw new GatehouseError('InvalidParameter', 'this user already has an email/password identity');
  const now = ctx.now();
  const identity = account.identities.find((i) => i.providerType === PASSWORD_PROVIDER);
  const fresh =
    identity !== undefined &&
    account.identities.length === 1 &&
    (await ctx.storage.listActiveSessions(app.id, account.id, now)).length === 0;
  if (!fresh) throw identityTaken();
  const hash = await ctx.storage.getPasswordHash(app.id, account.id);
  await ctx.storage.transaction(async (tx) => {
    // Deleting the empty account first frees its email and identity for `user`.
    await tx.deleteUser(app.id, account.id);
    for (const email of account.emails) await tx.addEmail(app.id, user.id, email, now);
    await tx.addIdentity(
      app.id,
      user.id,
      {
        providerType: PASSWORD_PROVIDER,
        providerId: identity.providerId,
        subject: identity.subject,
        data: identity.data,
      },
      now,
    );
    if (hash) await tx.setPasswordHash(app.id, user.id, hash, now);
  });
  await ctx.events.emit({
    type: 'identity-linked',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { provider: PASSWORD_PROVIDER },
  });
}
