import type { JsonObject, JsonValue } from '@gatehouse/core';
import type { AppSettings, ServerContext } from '../context.js';
import type { DdpLogin } from './accounts.js';
import { MeteorError } from './wire.js';

/**
 * `Meteor.users.update(userId, { $set: { 'profile.name': … } })` from a client — the `/users/update` method —
 * under Meteor's built-in rule (spec meteor-accounts §8): a user may change only their own `profile`, by
 * `_id`, with update operators; anything else is `Access denied` and nothing is applied.
 */

/** Operators Meteor allows in a restricted collection; of these Gatehouse applies `$set`, `$unset`, `$inc`. */
const RESTRICTED_OPERATORS = new Set([
  '$inc',
  '$set',
  '$unset',
  '$addToSet',
  '$pop',
  '$pullAll',
  '$pull',
  '$pushAll',
  '$push',
  '$bit',
]);
const SUPPORTED = new Set(['$set', '$unset', '$inc']);
const MAX_PROFILE_BYTES = 16_384;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const denied = (detail = '') => new MeteorError(403, `Access denied${detail}`);

/** Applies an owner's profile update; returns the new profile (the method's result is the count, 1). */
export async function updateOwnProfile(
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
  if (modifier === null || typeof modifier !== 'object' || Array.isArray(modifier)) throw denied();
  const ops = Object.entries(modifier as Record<string, unknown>);
  if (ops.length === 0 || ops.some(([op]) => !op.startsWith('$'))) {
    throw new MeteorError(
      403,
      "Access denied. In a restricted collection you can only update documents, not replace them. Use a Mongo update operator, such as '$set'.",
    );
  }
  for (const [op] of ops)
    if (!RESTRICTED_OPERATORS.has(op)) throw denied(`. Operator ${op} not allowed in a restricted collection.`);
  if (options && typeof options === 'object' && (options as { upsert?: unknown }).upsert) throw denied();
  if (!login || typeof id !== 'string' || id !== login.userId || !app.accounts.allowProfileUpdates) throw denied();

  const user = await ctx.storage.getUser(app.id, login.userId);
  if (!user) throw denied();
  const profile = structuredClone(user.profile) as JsonObject;
  for (const [op, fields] of ops) {
    if (!SUPPORTED.has(op)) throw denied(`. Operator ${op} is not supported by Gatehouse`);
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields))
      throw new MeteorError(400, 'Match failed');
    for (const [path, value] of Object.entries(fields as Record<string, unknown>)) {
      const parts = path.split('.');
      // Only `profile` itself or fields under it (Meteor counts `profile.x` as `profile`).
      if (parts[0] !== 'profile' || parts.some((p) => p === '' || FORBIDDEN_KEYS.has(p)) || parts.length > 16)
        throw denied();
      apply(profile, parts.slice(1), op, value);
    }
  }
  if (JSON.stringify(profile).length > MAX_PROFILE_BYTES) throw new MeteorError(400, 'profile is larger than 16 KiB');
  await ctx.storage.setUserProfile(app.id, user.id, profile, ctx.now());
  ctx.changes.userChanged(user.id);
  return profile;
}

function apply(profile: JsonObject, path: string[], op: string, value: unknown): void {
  if (path.length === 0) {
    // The whole profile: `$set: { profile: {…} }` replaces it, `$unset` empties it.
    if (op === '$unset') for (const key of Object.keys(profile)) delete profile[key];
    else if (op === '$set' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const key of Object.keys(profile)) delete profile[key];
      Object.assign(profile, toJson(value));
    } else throw denied();
    return;
  }
  let node: JsonObject = profile;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) {
      if (op === '$unset') return;
      node[key] = {};
    } else if (typeof next !== 'object' || Array.isArray(next))
      throw new MeteorError(400, `cannot apply ${op} below a non-object`);
    node = node[key] as JsonObject;
  }
  const last = path[path.length - 1] as string;
  if (op === '$unset') delete node[last];
  else if (op === '$set') node[last] = toJson(value);
  else {
    const current = node[last] ?? 0;
    if (typeof value !== 'number' || typeof current !== 'number')
      throw new MeteorError(400, 'Cannot apply $inc to a non-numeric value');
    node[last] = current + value;
  }
}

/** A value as JSON can hold it (Dates become ISO strings); functions and the like are refused. */
function toJson(value: unknown): JsonValue {
  try {
    return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))) as JsonValue;
  } catch {
    throw new MeteorError(400, 'Match failed');
  }
}
