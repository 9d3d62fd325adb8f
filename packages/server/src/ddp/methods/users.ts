import { checkModifier, denied, updateOwnProfile } from '../../accounts/index.js';
import { MeteorError } from '../wire.js';
import type { DdpMethod } from './method.js';

/**
 * `Meteor.users.update(userId, { $set: { 'profile.name': … } })` from a client — the `/users/update` method:
 * Meteor's checks on the selector and options here, the modifier rules in the core (accounts/profile.ts).
 * The method's result is the count, 1.
 */
export const updateUser: DdpMethod = async (call) => {
  const [selector, modifier, options] = call.params;
  if (
    selector === null ||
    typeof selector !== 'object' ||
    Array.isArray(selector) ||
    Object.keys(selector).join() !== '_id'
  )
    throw new MeteorError(403, 'Not permitted. Untrusted code may only update documents by ID.');
  const id = (selector as { _id: unknown })._id;
  checkModifier(modifier);
  if (options && typeof options === 'object' && (options as { upsert?: unknown }).upsert) throw denied();
  const login = call.login;
  if (!login || typeof id !== 'string' || id !== login.userId) throw denied();
  const user = await call.ctx.storage.getUser(call.app.id, login.userId);
  if (!user) throw denied();
  await updateOwnProfile(call.ctx, call.app, user, modifier, call.info);
  return 1;
};

/**
 * `/users/insert` and `/users/remove`: clients may never create or delete users through the collection —
 * Meteor's restricted `users` collection answers 403 `Access denied`.
 */
export const refuseUsersWrite: DdpMethod = async () => {
  throw new MeteorError(403, 'Access denied');
};
