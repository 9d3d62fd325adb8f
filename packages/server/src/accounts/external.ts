import { GatehouseError, isGatehouseError, type JsonObject } from '@gatehouse-auth/core';
import { isStorageConflictError, type UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { keepProviderTokens } from '../oauth/meteor/external-user.js';
import { createAccount } from './create.js';

/** An identity proven by an outside party (a JWT issuer, an IdP, the app's function). */
export interface ProvenIdentity {
  providerType: string;
  /** Provider instance name (equals the type for App Services providers). */
  providerId: string;
  /** The external user id: `sub`, or the function's returned id. Unique per provider. */
  subject: string;
  /** Provider data kept with the identity (never secrets or raw tokens). */
  data?: JsonObject;
  /** Profile fields for a new user (name, email, picture, …). */
  profile?: JsonObject;
  /** An email the provider vouches for; stored only if `verified` is what the provider says. */
  email?: { address: string; verified: boolean };
  /**
   * What the provider handed over (`idToken`, `accessToken`, `refreshToken`, `expiresAt`): kept encrypted as
   * Meteor's `services.<service>` when `encryptionKeys` are configured (oauth/meteor/external-user.ts).
   */
  tokens?: JsonObject;
}

/**
 * Logs in with a proven identity: the user who owns (`providerId`, `subject`) — never a user matched by email
 * (a pre-hijack guard) — or, on first use, a new account with that identity, made through the core's
 * `createAccount` (sign-up rules and hooks included). The email a provider gives is kept on the new user only
 * if no other account has it; it never merges accounts.
 */
export async function findOrCreateUserForIdentity(
  ctx: ServerContext,
  app: AppSettings,
  identity: ProvenIdentity,
  info: RequestInfo | null,
): Promise<UserRecord> {
  const user = await findOrCreate(ctx, app, identity, info);
  if (identity.tokens) await keepProviderTokens(ctx, app, user, identity, identity.tokens);
  return user;
}

async function findOrCreate(
  ctx: ServerContext,
  app: AppSettings,
  identity: ProvenIdentity,
  info: RequestInfo | null,
): Promise<UserRecord> {
  const existing = await ctx.storage.findUserByIdentity(app.id, identity.providerId, identity.subject);
  if (existing) return existing;
  const create = (withEmail: boolean) =>
    createAccount(
      ctx,
      app,
      {
        profile: identity.profile ?? {},
        ...(withEmail && identity.email
          ? { email: identity.email.address, emailVerified: identity.email.verified }
          : {}),
        identity: {
          providerType: identity.providerType,
          providerId: identity.providerId,
          subject: identity.subject,
          data: identity.data ?? {},
        },
      },
      'external',
      info,
    );
  try {
    return await create(true);
  } catch (error) {
    if (isStorageConflictError(error) && error.target === 'identity') {
      // Another request created this identity's user a moment ago: that user is the answer.
      const raced = await ctx.storage.findUserByIdentity(app.id, identity.providerId, identity.subject);
      if (raced) return raced;
    }
    if (isGatehouseError(error) && error.code === 'AccountNameInUse') return create(false);
    throw error;
  }
}

/**
 * Adds a proven identity to `user`. An identity that already belongs to this user is fine (a
 * repeated link); one that belongs to another user is refused — accounts are never merged implicitly.
 */
export async function linkIdentity(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  identity: ProvenIdentity,
  info: RequestInfo | null = null,
): Promise<void> {
  const owner = await ctx.storage.findUserByIdentity(app.id, identity.providerId, identity.subject);
  if (owner?.id === user.id) {
    if (identity.tokens) await keepProviderTokens(ctx, app, owner, identity, identity.tokens);
    return;
  }
  if (owner) throw identityTaken();
  try {
    await ctx.storage.addIdentity(
      app.id,
      user.id,
      {
        providerType: identity.providerType,
        providerId: identity.providerId,
        subject: identity.subject,
        data: identity.data ?? {},
      },
      ctx.now(),
    );
  } catch (error) {
    if (isStorageConflictError(error)) throw identityTaken();
    throw error;
  }
  if (identity.tokens) {
    const linked = await ctx.storage.getUser(app.id, user.id);
    if (linked) await keepProviderTokens(ctx, app, linked, identity, identity.tokens);
  }
  await ctx.events.emit({
    type: 'identity-linked',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { provider: identity.providerType },
  });
}

export function identityTaken(): GatehouseError {
  return new GatehouseError('InvalidParameter', 'this identity is already linked to another user');
}
