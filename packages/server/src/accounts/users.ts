import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';

/** The App Services profile of a user. */
export interface AppServicesProfile {
  user_id: string;
  domain_id: string;
  identities: { id: string; provider_type: string; provider_id: string; provider_data?: JsonObject }[];
  data: JsonObject;
  type: string;
}

/**
 * The profile document of `GET /auth/profile`: `identities` in the order they were added (linking appends),
 * `data` with the user's profile fields and — for email accounts — `email` (realm-core's
 * email/password test reads it). Values realm-core reads as strings stay strings.
 */
export function appServicesProfile(user: UserRecord): AppServicesProfile {
  const data: JsonObject = { ...user.profile };
  const email = user.emails[0]?.address;
  if (email !== undefined) data.email = email;
  return {
    user_id: user.id,
    domain_id: user.appId,
    identities: user.identities.map((i) => {
      // An external service's data is stored as `{ service, data, sealed }` (oauth/meteor/external-user.ts):
      // only its public fields are shown — the tokens under `sealed` never, not even encrypted.
      const layered = typeof i.data.service === 'string' && i.data.data && typeof i.data.data === 'object';
      const { sealed: _sealed, ...rest } = i.data;
      const data = (layered ? i.data.data : rest) as JsonObject;
      return {
        id: i.id,
        provider_type: i.providerType,
        provider_id: i.providerId,
        ...(Object.keys(data).length ? { provider_data: data } : {}),
      };
    }),
    data,
    type: user.type,
  };
}

/** A user as Meteor's `Meteor.user()` shows it: never services or secrets. */
export interface MeteorUserDocument {
  _id: string;
  username?: string;
  emails: { address: string; verified: boolean }[];
  profile: JsonObject;
  /** Milliseconds since the epoch (EJSON `{ $date }` over DDP). */
  createdAt: number;
}

/**
 * The user's own document: what DDP publishes into `users` (without `_id` and `createdAt`, as Meteor's
 * publication) and what `GET /auth/user` answers.
 */
export function meteorUserDocument(user: UserRecord): MeteorUserDocument {
  return {
    _id: user.id,
    ...(user.username === null ? {} : { username: user.username }),
    emails: user.emails.map((e) => ({ address: e.address, verified: e.verified })),
    profile: user.profile,
    createdAt: user.createdAt,
  };
}

/**
 * Deletes a user with everything that hangs off it (identities, password, sessions, API keys, tokens) in
 * one transaction; the old credentials stop working at once (ASVS 7.4.2).
 */
export async function deleteUser(
  ctx: ServerContext,
  user: Pick<UserRecord, 'id' | 'appId'>,
  info: RequestInfo | null,
  by: 'user' | 'server' | 'admin' = 'user',
): Promise<void> {
  await ctx.storage.deleteUser(user.appId, user.id);
  await ctx.events.emit({
    type: 'user-deleted',
    appId: user.appId,
    userId: user.id,
    ...requestFacts(info),
    detail: { by },
  });
}

/**
 * Disables or enables a user (the operator's): a disabled user's sessions end at once and its logins answer
 * `UserDisabled`.
 */
export async function setUserDisabled(
  ctx: ServerContext,
  user: Pick<UserRecord, 'id' | 'appId'>,
  disabled: boolean,
  info: RequestInfo | null = null,
): Promise<void> {
  const now = ctx.now();
  await ctx.storage.transaction(async (tx) => {
    await tx.setUserDisabled(user.appId, user.id, disabled, now);
    if (disabled) await tx.revokeUserSessions(user.appId, user.id, now);
  });
  await ctx.events.emit({
    type: disabled ? 'user-disabled' : 'user-enabled',
    appId: user.appId,
    userId: user.id,
    ...requestFacts(info),
  });
}

/** Replaces the user's server-written custom data (what access tokens carry as `user_data`). */
export async function setCustomData(
  ctx: ServerContext,
  user: Pick<UserRecord, 'id' | 'appId'>,
  customData: JsonObject,
  info: RequestInfo | null = null,
): Promise<void> {
  if (JSON.stringify(customData).length > 16_384)
    throw new GatehouseError('BadRequest', 'custom data is larger than 16 KiB');
  await ctx.storage.setUserCustomData(user.appId, user.id, customData, ctx.now());
  await ctx.events.emit({ type: 'custom-data-set', appId: user.appId, userId: user.id, ...requestFacts(info) });
}
