import { badResponse } from './errors.js';
import { asObject } from './transport.js';

/**
 * A user as Meteor's client sees them (`Meteor.user()`): what Gatehouse
 * publishes to the user themselves. Other top-level fields the server sends are kept as they come.
 */
export interface MeteorUser {
  /** The user's id (the same as `User.id`). */
  _id: string;
  /** Only for users who have one. */
  username?: string;
  /** Every address of the user; `verified` once its link was followed (or the app confirms automatically). */
  emails: { address: string; verified: boolean }[];
  /** The profile given at `createUser`, `{}` if none. */
  profile: Record<string, unknown>;
  /** When the user was created. */
  createdAt: Date;
}

/** A Meteor field specifier: `{ profile: 1 }` keeps only `profile` (and `_id`), `{ profile: 0 }` drops it. */
export type FieldSpecifier = Record<string, 0 | 1 | boolean>;

/**
 * The answer of `GET /auth/user` (or the stored copy of it) as a {@link MeteorUser} of user `id`: `createdAt`
 * (milliseconds on the wire) becomes a `Date`, `profile` defaults to `{}`.
 */
export function parseMeteorUser(body: unknown, id: string): MeteorUser {
  const doc = asObject(body);
  const createdAt = doc?.createdAt;
  const emails = (Array.isArray(doc?.emails) ? doc.emails : [null]).map(asObject);
  if (
    doc?._id !== id ||
    !(typeof createdAt === 'number' || createdAt instanceof Date) ||
    (doc.username !== undefined && typeof doc.username !== 'string') ||
    !emails.every((e) => typeof e?.address === 'string')
  )
    throw badResponse("expected a user document with '_id', 'emails' and 'createdAt'");
  return {
    ...doc,
    _id: id,
    emails: (emails as Record<string, unknown>[]).map((e) => ({
      address: e.address as string,
      verified: !!e.verified,
    })),
    profile: asObject(doc.profile) ?? {},
    createdAt: new Date(createdAt),
  };
}

/** Freezes plain objects and arrays all the way down (a cached document is shared by every reader). */
export function deepFreeze<T>(value: T): T {
  if (Array.isArray(value) || asObject(value)?.constructor === Object) {
    for (const inner of Object.values(value as object)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A copy of plain objects, arrays and dates all the way down; other values as they are. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value instanceof Date) return new Date(value);
  const object = asObject(value);
  if (object?.constructor !== Object) return value;
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, copy(inner)]));
}

/** Copies the value at `path` from `from` into `to`, through objects and arrays of objects (Mongo's rule). */
function pick(from: Record<string, unknown>, path: string[], to: Record<string, unknown>): void {
  const [key, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(from, key)) return;
  const value = from[key];
  if (rest.length === 0) {
    to[key] = copy(value);
  } else if (Array.isArray(value)) {
    const items = (to[key] ??= value.map(() => ({}))) as Record<string, unknown>[];
    value.forEach((item, i) => {
      if (asObject(item)) pick(item, rest, items[i] as Record<string, unknown>);
    });
  } else if (asObject(value)) {
    pick(value as Record<string, unknown>, rest, (to[key] ??= {}) as Record<string, unknown>);
  }
}

/** Deletes the value at `path` in `target`, through objects and arrays of objects. */
function drop(target: unknown, path: string[]): void {
  const [key, ...rest] = path as [string, ...string[]];
  if (Array.isArray(target)) for (const item of target) drop(item, path);
  else if (asObject(target) && rest.length === 0) delete (target as Record<string, unknown>)[key];
  else if (asObject(target)) drop((target as Record<string, unknown>)[key], rest);
}

/**
 * Checks a field specifier the way Mongo does and returns the projection it describes: a new object, never
 * the document itself. `{}` keeps everything (Meteor's `{ fields: {} }`). Inclusion keeps `_id` unless
 * `_id: 0`; dotted paths reach into objects and arrays of objects (`'emails.address': 1`).
 *
 * @throws TypeError when `fields` is not an object of 0/1 (or booleans), or mixes inclusion and exclusion.
 */
export function projection(fields: FieldSpecifier): (doc: MeteorUser) => Partial<MeteorUser> {
  if (asObject(fields) === null) throw new TypeError('fields must be an object such as { profile: 1 }');
  const rules = Object.entries(fields);
  for (const [path, rule] of rules)
    if (![0, 1, true, false].includes(rule) || path === '' || path.split('.').includes(''))
      throw new TypeError('fields must map field names to 0 or 1, e.g. { profile: 1 }');
  const others = rules.filter(([path]) => path !== '_id');
  const including = others.length > 0 ? !!others[0]?.[1] : fields._id !== undefined && !!fields._id;
  if (others.some(([, rule]) => !!rule !== including))
    throw new TypeError('fields cannot mix inclusion (1) and exclusion (0), except for _id');
  return (doc) => {
    if (rules.length === 0) return copy(doc) as MeteorUser;
    const record = doc as unknown as Record<string, unknown>;
    if (!including) {
      const result = copy(doc) as Record<string, unknown>;
      for (const [path] of rules) drop(result, path.split('.'));
      return result as Partial<MeteorUser>;
    }
    const result: Record<string, unknown> = {};
    if (fields._id === undefined || fields._id) result._id = doc._id;
    for (const [path] of others) pick(record, path.split('.'), result);
    return result as Partial<MeteorUser>;
  };
}
