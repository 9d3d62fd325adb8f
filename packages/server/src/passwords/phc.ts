/** Argon2 variants a PHC string can name. Gatehouse hashes with `argon2id` only; the others still verify. */
export type Argon2Algorithm = 'argon2id' | 'argon2i' | 'argon2d';

/** The cost parameters read from an argon2 PHC string. */
export interface Argon2Parameters {
  algorithm: Argon2Algorithm;
  /** 19 (0x13, current) or 16 (0x10, the original; a PHC string without `v=` is this one). */
  version: number;
  /** `m=`, KiB. */
  memoryCost: number;
  /** `t=`, passes. */
  timeCost: number;
  /** `p=`, lanes. */
  parallelism: number;
}

/**
 * The largest parameters Gatehouse hashes with or accepts from stored data: the maxima of `passwordHashing`
 * in the server configuration. A row beyond them was not written by Gatehouse, and verifying it could hold a
 * hashing thread and gigabytes of memory for minutes, so it reads as malformed instead.
 */
export const ARGON2_LIMITS = { memoryCost: 4_194_304, timeCost: 20, parallelism: 16 } as const;

/** Longer than any real argon2 PHC string (~100 characters at default sizes); bounds the parsing work. */
const MAX_PHC_LENGTH = 512;

const ALGORITHMS: ReadonlySet<string> = new Set<Argon2Algorithm>(['argon2id', 'argon2i', 'argon2d']);
const DECIMAL = /^(?:0|[1-9][0-9]{0,9})$/;
const B64 = /^[A-Za-z0-9+/]+$/;

/**
 * Reads the parameters of an argon2 PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), or `null`
 * when it is not one Gatehouse can verify. Only the shape is checked here; the salt and hash bytes are left
 * to the argon2 library.
 *
 * @example
 * ```ts
 * parseArgon2Phc('$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG');
 * // { algorithm: 'argon2id', version: 19, memoryCost: 19456, timeCost: 2, parallelism: 1 }
 * parseArgon2Phc('$2b$10$...'); // null (bcrypt)
 * ```
 */
export function parseArgon2Phc(phc: unknown): Argon2Parameters | null {
  if (typeof phc !== 'string' || phc.length > MAX_PHC_LENGTH) return null;
  const fields = phc.split('$');
  if (fields[0] !== '' || (fields.length !== 5 && fields.length !== 6)) return null;
  const algorithm = fields[1];
  if (algorithm === undefined || !ALGORITHMS.has(algorithm)) return null;

  let version = 16;
  if (fields.length === 6) {
    const v = fields[2]?.match(/^v=(16|19)$/);
    if (!v) return null;
    version = Number(v[1]);
  }
  const [params, salt, hash] = fields.slice(-3);
  if (params === undefined || salt === undefined || hash === undefined) return null;
  if (!B64.test(salt) || !B64.test(hash)) return null;

  const values = new Map<string, number>();
  for (const pair of params.split(',')) {
    const [key, value, extra] = pair.split('=');
    if (key === undefined || value === undefined || extra !== undefined || values.has(key)) return null;
    if (key !== 'm' && key !== 't' && key !== 'p') return null;
    if (!DECIMAL.test(value)) return null;
    values.set(key, Number(value));
  }
  const memoryCost = values.get('m');
  const timeCost = values.get('t');
  const parallelism = values.get('p');
  if (memoryCost === undefined || timeCost === undefined || parallelism === undefined) return null;
  if (timeCost < 1 || timeCost > ARGON2_LIMITS.timeCost) return null;
  if (parallelism < 1 || parallelism > ARGON2_LIMITS.parallelism) return null;
  // Argon2 needs at least 8 KiB per lane.
  if (memoryCost < 8 * parallelism || memoryCost > ARGON2_LIMITS.memoryCost) return null;

  return { algorithm: algorithm as Argon2Algorithm, version, memoryCost, timeCost, parallelism };
}
