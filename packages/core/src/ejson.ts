/**
 * The subset of MongoDB Extended JSON v2 that App Services clients put on the wire: realm-web
 * serialises request bodies as *canonical* EJSON (`{"$numberInt":"1"}`, `{"$oid":"…"}`, `{"$date":…}`),
 * and App Services put custom user data into tokens the same way.
 */

/** A BSON ObjectId carried as its 24-hex string. Serialises back to `{"$oid": hex}`. */
export class ObjectId {
  readonly hex: string;
  constructor(hex: string) {
    if (!/^[0-9a-fA-F]{24}$/.test(hex)) throw new TypeError('ObjectId needs 24 hex characters');
    this.hex = hex.toLowerCase();
  }
  toString(): string {
    return this.hex;
  }
  toJSON(): { $oid: string } {
    return { $oid: this.hex };
  }
}

/** Thrown by {@link deserialize} for a value that uses an EJSON key wrongly (e.g. `{"$numberInt": 5}`). */
export class EJSONError extends Error {
  override readonly name = 'EJSONError';
}

const MAX_DEPTH = 64;

/**
 * Turns parsed JSON that may contain canonical or relaxed EJSON wrappers into plain JS values:
 * `$numberInt`/`$numberDouble` → number, `$numberLong` → number when safe else bigint, `$oid` →
 * {@link ObjectId}, `$date` → Date. Other objects and arrays are walked; unknown `$`-keys are kept as data.
 *
 * @example
 * ```ts
 * deserialize({ n: { $numberInt: '1' } }); // { n: 1 }
 * ```
 */
export function deserialize(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new EJSONError('value nested too deeply');
  if (Array.isArray(value)) return value.map((v) => deserialize(v, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const key = keys[0] as string;
    const inner = obj[key];
    switch (key) {
      case '$numberInt': {
        if (typeof inner !== 'string' || !/^-?\d+$/.test(inner)) throw new EJSONError('bad $numberInt');
        const n = Number(inner);
        if (n < -2147483648 || n > 2147483647) throw new EJSONError('$numberInt out of range');
        return n;
      }
      case '$numberLong': {
        if (typeof inner !== 'string' || !/^-?\d+$/.test(inner)) throw new EJSONError('bad $numberLong');
        const big = BigInt(inner);
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      case '$numberDouble': {
        if (typeof inner !== 'string') throw new EJSONError('bad $numberDouble');
        if (inner === 'Infinity') return Number.POSITIVE_INFINITY;
        if (inner === '-Infinity') return Number.NEGATIVE_INFINITY;
        if (inner === 'NaN') return Number.NaN;
        const n = Number(inner);
        if (inner.trim() === '' || Number.isNaN(n)) throw new EJSONError('bad $numberDouble');
        return n;
      }
      case '$oid':
        if (typeof inner !== 'string' || !/^[0-9a-fA-F]{24}$/.test(inner)) throw new EJSONError('bad $oid');
        return new ObjectId(inner);
      case '$date': {
        let ms: number;
        if (typeof inner === 'string') ms = Date.parse(inner);
        else if (typeof inner === 'number') ms = inner;
        else {
          const n = deserialize(inner, depth + 1);
          ms = typeof n === 'bigint' ? Number(n) : (n as number);
        }
        if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new EJSONError('bad $date');
        return new Date(ms);
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    // `__proto__` as an own key must stay data, never become the prototype (mass-assignment guard).
    Object.defineProperty(out, key, {
      value: deserialize(obj[key], depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Plain JS values → canonical EJSON (the form App Services put into `user_data`): integers in int32 range
 * become `$numberInt`, other numbers `$numberDouble`, bigints `$numberLong`, Dates `$date`, ObjectIds `$oid`.
 */
export function serialize(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new EJSONError('value nested too deeply');
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return { $numberInt: String(value) };
      if (Number.isNaN(value)) return { $numberDouble: 'NaN' };
      if (!Number.isFinite(value)) return { $numberDouble: value > 0 ? 'Infinity' : '-Infinity' };
      if (Number.isInteger(value)) return { $numberDouble: value.toFixed(1) };
      return { $numberDouble: String(value) };
    case 'bigint':
      return { $numberLong: value.toString() };
    case 'object':
      break;
    default:
      return null;
  }
  if (value instanceof ObjectId) return value.toJSON();
  if (value instanceof Date) return { $date: { $numberLong: String(value.getTime()) } };
  if (Array.isArray(value)) return value.map((v) => serialize(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== undefined)
      Object.defineProperty(out, k, {
        value: serialize(v, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}
