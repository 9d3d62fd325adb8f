import { GatehouseError } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { foldFreshAccount } from './fold.js';
import type { LoginSelector } from './identifiers.js';
import { verifyPassword } from './password-login.js';
import { PASSWORD_PROVIDER } from './password-rules.js';

/**
 * Links an email/password account to `user` — how an anonymous user is upgraded: register, confirm, then
 * `linkCredentials`. The account's credentials are checked like a login (limits, confirmation). A fresh
 * account — only its email/password identity, never signed in — is folded into `user` ({@link
 * foldFreshAccount}); an account that has been used belongs to someone and is refused.
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
  await foldFreshAccount(ctx, app, user, account, PASSWORD_PROVIDER, info);
}
