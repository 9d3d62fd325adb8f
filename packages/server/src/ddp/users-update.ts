import type { JsonObject } from '@gatehouse-auth/core';
import { checkModifier, denied, updateOwnProfile } from '../account/profile.js';
import type { AppSettings, ServerContext } from '../context.js';
import type { DdpLogin } from './accounts.js';
import { MeteorError } from './wire.js';

/**
 * `Meteor.users.update(userId, { $set: { 'profile.name': … } })` from a client — the `/users/update` method:
 * Meteor's checks on the selector and options here, the modifier rules in `account/profile.ts` (spec
 * meteor-accounts §8). Returns the new profile (the method's result is the count, 1).
 */
export async function updateOwnProfileOverDdp(
  ctx: ServerContext,
  app: AppSettings,
  login: DdpLogin | null,
  params: unknown[],
): Promise<JsonObject> {
  const [selector, modifier, options] = params;
  if (
    selector === null ||
    typeof selector !== 'object' ||
    Array.isArray(selector) ||
    Object.keys(selector).join() !== '_id'
  ) {
    throw new MeteorError(403, 'Not permitted. Untrusted code may only update documents by ID.');
  }
  const id = (selector as { _id: unknown })._id;
  checkModifier(modifier);
  if (options && typeof options === 'object' && (options as { upsert?: unknown }).upsert) throw denied();
  if (!login || typeof id !== 'string' || id !== login.userId) throw denied();
  const user = await ctx.storage.getUser(app.id, login.userId);
  if (!user) throw denied();
  return updateOwnProfile(ctx, app, user, modifier);
}
