import { availableParallelism } from 'node:os';
import { GatehouseError, randomSecret } from '@gatehouse/core';
import { Piscina } from 'piscina';
import type { HashTask } from './hash-worker.js';
import { METEOR_HASH_PREFIX, meteorDigests, meteorHash } from './meteor.js';
import { normalizePassword } from './normalize.js';
import { ARGON2_LIMITS, type Argon2Parameters, parseArgon2Phc } from './phc.js';

/**
 * Cost and capacity of password hashing: the `passwordHashing` section of the server configuration.
 * The argon2id defaults are OWASP's (m=19 MiB, t=2, p=1).
 *
 * @example
 * ```ts
 * const options: PasswordHashingOptions = { memoryCost: 19456, timeCost: 2, parallelism: 1, maxQueue: 256 };
 * ```
 */
export interface PasswordHashingOptions {
  /** Memory per hash in KiB; 19456 (19 MiB) by default. */
  memoryCost: number;
  /** Passes over the memory; 2 by default. */
  timeCost: number;
  /** Lanes per hash; 1 by default. */
  parallelism: number;
  /** Hashing threads; by default one per CPU (`os.availableParallelism()`). */
  maxThreads?: number | undefined;
  /** Hashes allowed to wait for a thread; beyond them calls are refused at once. 256 by default. */
  maxQueue?: number | undefined;
}

/**
 * The outcome of {@link PasswordHasher.verify}.
 *
 * @example
 * ```ts
 * const { ok, needsRehash } = await hasher.verify(user.passwordHash, password);
 * if (!ok) throw new GatehouseError('InvalidPassword', 'invalid username/password');
 * if (needsRehash) await users.setPasswordHash(user.id, await hasher.hash(password));
 * ```
 */
export interface PasswordVerification {
  /** The password matches the stored hash. */
  ok: boolean;
  /** Only when `ok`: the stored hash is weaker than the configured parameters; store a new `hash()` now. */
  needsRehash: boolean;
}

/**
 * Argon2id password hashing on a pool of low-priority worker threads, with a bounded queue.
 *
 * Every method that hashes rejects with `GatehouseError('ServiceBusy')` at once when `maxThreads` hashes are
 * running and `maxQueue` more are waiting, so a login burst slows logins only and never grows memory.
 *
 * @example
 * ```ts
 * const user = await users.findByEmail(email);
 * if (!user) {
 *   await hasher.verifyDummy(password); // same time as a wrong password
 *   throw new GatehouseError('InvalidPassword', 'invalid username/password');
 * }
 * const { ok } = await hasher.verify(user.passwordHash, password);
 * ```
 */
export interface PasswordHasher {
  /** A new PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for the NFKC-normalised password. */
  hash(password: string): Promise<string>;
  /**
   * Checks a password against a stored PHC string. Bad stored data (not an argon2 PHC string, impossible
   * parameters) resolves `{ ok: false, needsRehash: false }` after the same work as a real check; only
   * `ServiceBusy` rejects.
   */
  verify(phc: string, password: string): Promise<PasswordVerification>;
  /**
   * Checks a Meteor client's SHA-256 digest (`{ digest, algorithm: 'sha-256' }`) against a stored hash. Only
   * hashes of digests (imported from Meteor, or made by {@link PasswordHasher.hashDigest}) can match.
   */
  verifyDigest(phc: string, digest: string): Promise<PasswordVerification>;
  /**
   * The hash to store after a successful check that asked for a re-hash: native argon2id of the password, or —
   * for hashes of Meteor digests — argon2id of the digest, so digest logins keep working.
   */
  rehash(phc: string, password: string): Promise<string>;
  /** A stored hash for a Meteor client's digest (a `createUser` over DDP): argon2id of the digest. */
  hashDigest(digest: string): Promise<string>;
  /**
   * The work of a failed {@link PasswordHasher.verify} against a fixed dummy hash at the configured parameters,
   * for logins to accounts that do not exist: "unknown user" and "wrong password" then take the same time
   * (ASVS 6.3.8; CVE-2026-40263). The dummy hash is made once, on first use.
   */
  verifyDummy(password: string): Promise<void>;
  /** True when the PHC string is not argon2id v19 or its m, t or p is below the configured value (and for imported Meteor hashes). */
  needsRehash(phc: string): boolean;
  /** Hashes running on a thread, and hashes waiting for one. */
  stats(): { running: number; queued: number };
  /** Lets running and waiting hashes finish, then stops the threads; later calls reject with `ServiceBusy`. */
  close(): Promise<void>;
}

const WORKER_URL = new URL('./hash-worker.js', import.meta.url);

/** Threads stay up this long without work before the pool lets them go (it keeps one). */
const IDLE_TIMEOUT_MS = 60_000;

/**
 * Creates the server's password hasher. Argon2id runs off the event loop on up to `maxThreads` worker threads,
 * each at a lower priority than the event-loop thread (Linux: nice +19), so token refreshes and other requests
 * stay fast while logins saturate the CPU.
 *
 * Throws a `RangeError` naming the option when an option is out of range (a start-up failure).
 *
 * @example
 * ```ts
 * const hasher = createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
 * const phc = await hasher.hash('correct horse battery staple');
 * const { ok, needsRehash } = await hasher.verify(phc, 'correct horse battery staple'); // ok: true
 * if (ok && needsRehash) await saveHash(userId, await hasher.hash(password));
 * await hasher.close();
 * ```
 */
export function createPasswordHasher(options: PasswordHashingOptions): PasswordHasher {
  const cost = {
    // The same bounds verify() accepts, so every hash made here can be verified.
    memoryCost: integerOption('memoryCost', options.memoryCost, 8, ARGON2_LIMITS.memoryCost),
    timeCost: integerOption('timeCost', options.timeCost, 1, ARGON2_LIMITS.timeCost),
    parallelism: integerOption('parallelism', options.parallelism, 1, ARGON2_LIMITS.parallelism),
  };
  if (cost.memoryCost < 8 * cost.parallelism) {
    throw new RangeError('passwordHashing.memoryCost must be at least 8 KiB per lane (8 × parallelism)');
  }
  const maxThreads = integerOption('maxThreads', options.maxThreads ?? availableParallelism(), 1, 1024);
  const maxQueue = integerOption('maxQueue', options.maxQueue ?? 256, 0, 1_000_000);

  const pool = new Piscina<HashTask, string | boolean>({
    filename: WORKER_URL.href,
    minThreads: 1,
    maxThreads,
    idleTimeout: IDLE_TIMEOUT_MS,
    // Admission is decided below; this only backs it up so the pool can never hold more than we allowed.
    maxQueue: maxThreads + maxQueue,
  });

  let inFlight = 0;
  let closing: Promise<void> | undefined;
  let dummy: Promise<string> | undefined;

  function run(task: HashTask): Promise<string | boolean> {
    // Counted here rather than read from the pool, so the limit holds exactly even while threads start.
    if (closing) return Promise.reject(new GatehouseError('ServiceBusy', 'server is shutting down, try again'));
    if (inFlight >= maxThreads + maxQueue) {
      return Promise.reject(new GatehouseError('ServiceBusy', 'too many password checks in progress, try again'));
    }
    inFlight++;
    return pool.run(task).finally(() => {
      inFlight--;
    });
  }

  async function hashNormalized(password: string): Promise<string> {
    const phc = await run({ op: 'hash', password, ...cost });
    if (typeof phc !== 'string') throw new TypeError('hash worker returned no PHC string');
    return phc;
  }

  function dummyPhc(): Promise<string> {
    // A random password nobody knows; made once, and again only if making it failed (e.g. ServiceBusy).
    dummy ??= hashNormalized(randomSecret()).catch((error: unknown) => {
      dummy = undefined;
      throw error;
    });
    return dummy;
  }

  async function verifyDummyNormalized(password: string): Promise<void> {
    const phc = await dummyPhc();
    parseArgon2Phc(phc); // the same steps as verify(), to keep the timing alike
    await run({ op: 'verify', phc, password });
  }

  /**
   * An imported Meteor hash: bcrypt or argon2 of the password's SHA-256 digest, tried for each digest Meteor
   * could have made. The password is digested exactly as typed (Meteor did not normalise). A match always
   * asks for a re-hash, so the account moves to a native argon2id hash at this login.
   */
  async function verifyMeteor(inner: string, digests: string[]): Promise<PasswordVerification> {
    const bcrypt = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(inner);
    const argon = bcrypt ? null : parseArgon2Phc(inner);
    if (!bcrypt && argon === null) {
      await verifyDummyNormalized(digests[0] ?? '');
      return { ok: false, needsRehash: false };
    }
    for (const digest of digests) {
      const task: HashTask = bcrypt
        ? { op: 'verify-bcrypt', hash: inner, password: digest }
        : { op: 'verify', phc: inner, password: digest };
      // bcrypt, or argon2 weaker than today's, is upgraded — to argon2id of the digest, so Meteor clients,
      // which send digests, keep signing in.
      if ((await run(task)) === true) return { ok: true, needsRehash: argon === null || isWeaker(argon) };
    }
    return { ok: false, needsRehash: false };
  }

  function isWeaker(stored: Argon2Parameters): boolean {
    return (
      stored.algorithm !== 'argon2id' ||
      stored.version !== 19 ||
      stored.memoryCost < cost.memoryCost ||
      stored.timeCost < cost.timeCost ||
      stored.parallelism < cost.parallelism
    );
  }

  return {
    hash(password) {
      return hashNormalized(normalizePassword(password));
    },

    async verify(phc, password) {
      if (typeof phc === 'string' && phc.startsWith(METEOR_HASH_PREFIX))
        return verifyMeteor(phc.slice(METEOR_HASH_PREFIX.length), meteorDigests(password));
      const normalized = normalizePassword(password);
      const stored = parseArgon2Phc(phc);
      if (stored === null) {
        await verifyDummyNormalized(normalized);
        return { ok: false, needsRehash: false };
      }
      const ok = (await run({ op: 'verify', phc, password: normalized })) === true;
      return { ok, needsRehash: ok && isWeaker(stored) };
    },

    verifyDummy(password) {
      return verifyDummyNormalized(normalizePassword(password));
    },

    async verifyDigest(phc, digest) {
      if (typeof phc === 'string' && phc.startsWith(METEOR_HASH_PREFIX) && /^[0-9a-f]{64}$/.test(digest)) {
        return verifyMeteor(phc.slice(METEOR_HASH_PREFIX.length), [digest]);
      }
      // A native hash is of the password itself: a digest cannot be checked against it.
      await verifyDummyNormalized(digest);
      return { ok: false, needsRehash: false };
    },

    async rehash(phc, password) {
      if (typeof phc === 'string' && phc.startsWith(METEOR_HASH_PREFIX)) {
        const [digest] = meteorDigests(password);
        return meteorHash(await hashNormalized(digest as string));
      }
      return hashNormalized(normalizePassword(password));
    },

    async hashDigest(digest) {
      if (!/^[0-9a-f]{64}$/.test(digest))
        throw new GatehouseError('BadRequest', 'password digest must be 64 hex characters');
      return meteorHash(await hashNormalized(digest));
    },

    needsRehash(phc) {
      if (typeof phc === 'string' && phc.startsWith(METEOR_HASH_PREFIX)) {
        const inner = phc.slice(METEOR_HASH_PREFIX.length);
        const argon = parseArgon2Phc(inner);
        return argon === null || isWeaker(argon);
      }
      const stored = parseArgon2Phc(phc);
      return stored === null || isWeaker(stored);
    },

    stats() {
      const running = Math.min(inFlight, maxThreads);
      return { running, queued: inFlight - running };
    },

    close() {
      closing ??= pool.close();
      return closing;
    },
  };
}

function integerOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`passwordHashing.${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
