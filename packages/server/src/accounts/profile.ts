import { GatehouseError, type JsonObject, type JsonValue } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';

/**
 * A user editing their own `profile` with a Mongo update modifier, under Meteor's built-in rule for
 * `Meteor.users`: only fields under `profile`, only update operators — of which
 * Gatehouse applies `$set`, `$unset` and `$inc` — at most 16 KiB, and only when the app allows profile edits
 * (`accounts.allowProfileUpdates`; `false` is Meteor's `deny({ update: () => true })`). Anything else is
 * refused and nothing is applied. DDP's `/users/update` and HTTP's `PATCH /auth/user` both come here.
 *
 * @example
 * ```ts
 * const profile = await updateOwnProfile(ctx, app, user, { $set: { 'profile.name': 'Ada' }, $inc: { 'profile.visits': 1 } });
 * ```
 */
export async function updateOwnProfile(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  modifier: unknown,
  info: RequestInfo | null = null,
): Promise<JsonObject> {
  const ops = checkModifier(modifier);
  if (!app.accounts.allowProfileUpdates) throw denied();

  const profile = structuredClone(user.profile) as JsonObject;
  for (const [op, fields] of ops) {
    if (!SUPPORTED.has(op)) throw denied(`. Operator ${op} is not supported by Gatehouse`);
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields))
      throw new GatehouseError('BadRequest', 'Match failed');
    for (const [path, value] of Object.entries(fields as Record<string, unknown>)) {
      const parts = path.split('.');
      // Only `profile` itself or fields under it (Meteor counts `profile.x` as `profile`).
      if (parts[0] !== 'profile' || parts.some((p) => p === '' || FORBIDDEN_KEYS.has(p)) || parts.length > 16)
        throw denied();
      apply(profile, parts.slice(1), op, value);
    }
  }
  if (JSON.stringify(profile).length > MAX_PROFILE_BYTES)
    throw new GatehouseError('BadRequest', 'profile is larger than 16 KiB');
  await ctx.storage.setUserProfile(app.id, user.id, profile, ctx.now());
  await ctx.events.emit({ type: 'profile-updated', appId: app.id, userId: user.id, ...requestFacts(info) });
  return profile;
}

/**
 * Meteor's first checks of a client's modifier, before whose document it is: an object of update operators
 * (not a replacement), each one Meteor allows in a restricted collection. Returns its entries.
 */
export function checkModifier(modifier: unknown): [string, unknown][] {
  if (modifier === null || typeof modifier !== 'object' || Array.isArray(modifier)) throw denied();
  const ops = Object.entries(modifier as Record<string, unknown>);
  if (ops.length === 0 || ops.some(([op]) => !op.startsWith('$'))) {
    throw new GatehouseError(
      'Forbidden',
      "Access denied. In a restricted collection you can only update documents, not replace them. Use a Mongo update operator, such as '$set'.",
    );
  }
  for (const [op] of ops)
    if (!RESTRICTED_OPERATORS.has(op)) throw denied(`. Operator ${op} not allowed in a restricted collection.`);
  return ops;
}

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

/** Meteor's refusal for a restricted collection. */
export const denied = (detail = '') => new GatehouseError('Forbidden', `Access denied${detail}`);

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
      throw new GatehouseError('BadRequest', `cannot apply ${op} below a non-object`);
    node = node[key] as JsonObject;
  }
  const last = path[path.length - 1] as string;
  if (op === '$unset') delete node[last];
  else if (op === '$set') node[last] = toJson(value);
  else {
    const current = node[last] ?? 0;
    if (typeof value !== 'number' || typeof current !== 'number' || !Number.isFinite(current + value))
      throw new GatehouseError('BadRequest', 'Cannot apply $inc to a non-numeric value');
    node[last] = current + value;
  }
}

/** A value as JSON can hold it (Dates become ISO strings); functions and the like are refused. */
function toJson(value: unknown): JsonValue {
  try {
    return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))) as JsonValue;
  } catch {
    throw new GatehouseError('BadRequest', 'Match failed');
  }
}
