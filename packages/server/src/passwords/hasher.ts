import { availableParallelism } from 'node:os';
import { GatehouseError, randomSecret } from '@gatehouse-auth/core';
import { Piscina } from 'piscina';
import type { HashTask } from './hash-worker.cjs';
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
  /**
   * A new stored hash for a password: argon2id of the SHA-256 digest of the NFKC-normalised password, as a
   * Meteor client computes it (`meteor-sha256:$argon2id$v=19$m=…,t=…,p=…$salt$hash`). One hash then serves
   * both kinds of login: HTTP clients send the password, Meteor's DDP clients send its digest.
   */
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
   * The hash to store after a successful check that asked for a re-hash: the same as {@link PasswordHasher.hash}
   * (older plain-argon2id hashes move to the digest form this way, so DDP logins work for them too).
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
  /**
   * True unless the stored hash is today's form: argon2id v19 of the password's digest at no less than the
   * configured m, t and p. Plain argon2id of the password (what Gatehouse stored before), bcrypt and weaker
   * argon2 imported from Meteor all move on at the next password login.
   */
  needsRehash(phc: string): boolean;
  /** Hashes running on a thread, and hashes waiting for one. */
  stats(): { running: number; queued: number };
  /** Lets running and waiting hashes finish, then stops the threads; later calls reject with `ServiceBusy`. */
  close(): Promise<void>;
}

const WORKER_URL = new URL('./hash-worker.cjs', import.meta.url);

/** The digest a new hash is made of: Meteor's SHA-256 of the NFKC-normalised password. */
function storedDigest(password: string): string {
  return meteorDigests(normalizePassword(password))[0] as string;
}

/**
 * Every digest a stored hash of `password` may be of, the likeliest first: the normalised password's (what
 * Gatehouse stores), then the password as typed (what Meteor stored: it did not normalise) — each in Meteor's
 * encoding and, for characters outside the BMP, standard UTF-8. For ASCII passwords all are one.
 */
function candidateDigests(password: string): string[] {
  return [...new Set([...meteorDigests(normalizePassword(password)), ...meteorDigests(password)])];
}

/** Threads stay up this long without work before the pool lets them go (it keeps one). */
const IDLE_TIMEOUT_MS = 60_000;

/**
 * Creates the server's password hasher. Argon2id runs off the event loop on up to `maxThreads` worker threads,
 * each at a lower priority than the event-loop thread (Linux: nice +19), so token refreshes and other requests
 * stay fast while logins saturate the CPU.
 *
 * Throws a `RangeError` naming the option when an option is out of range (a start-up failure). `observe.onWait`
 * hears how long each job waited for a thread (the hash-queue wait metric).
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
export function createPasswordHasher(
  options: PasswordHashingOptions,
  observe: { onWait?: (seconds: number) => void } = {},
  pool?: HashPool,
): PasswordHasher {
  const cost = {
    // The same bounds verify() accepts, so every hash made here can be verified.
    memoryCost: integerOption('memoryCost', options.memoryCost, 8, ARGON2_LIMITS.memoryCost),
    timeCost: integerOption('timeCost', options.timeCost, 1, ARGON2_LIMITS.timeCost),
    parallelism: integerOption('parallelism', options.parallelism, 1, ARGON2_LIMITS.parallelism),
  };
  if (cost.memoryCost < 8 * cost.parallelism) {
    throw new RangeError('passwordHashing.memoryCost must be at least 8 KiB per lane (8 × parallelism)');
  }
  const hashPool =
    pool ?? createHashPool({ maxThreads: options.maxThreads, maxQueue: options.maxQueue }, { onWait: observe.onWait });
  let dummy: Promise<string> | undefined;
  const run = (task: HashTask) => hashPool.run(task);

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
   * A hash of a digest — Gatehouse's own, or bcrypt / argon2 imported from Meteor — tried for each digest the
   * password could have been stored under ({@link candidateDigests}). bcrypt, or argon2 weaker than today's,
   * asks for a re-hash.
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
    async hash(password) {
      return meteorHash(await hashNormalized(storedDigest(password)));
    },

    async verify(phc, password) {
      if (typeof phc === 'string' && phc.startsWith(METEOR_HASH_PREFIX))
        return verifyMeteor(phc.slice(METEOR_HASH_PREFIX.length), candidateDigests(password));
      // A plain argon2id of the password (Gatehouse before digest hashes): still verified, and moved on.
      const normalized = normalizePassword(password);
      const stored = parseArgon2Phc(phc);
      if (stored === null) {
        await verifyDummyNormalized(normalized);
        return { ok: false, needsRehash: false };
      }
      const ok = (await run({ op: 'verify', phc, password: normalized })) === true;
      return { ok, needsRehash: ok };
    },

    async verifyDummy(password) {
      // As many checks as a wrong password costs against a real hash (one per candidate digest).
      for (const digest of candidateDigests(password)) await verifyDummyNormalized(digest);
    },

    async verifyDigest(phc, digest) {
      if (typeof phc === 'string' && phc.startsWith(METEOR_HASH_PREFIX) && /^[0-9a-f]{64}$/.test(digest)) {
        return verifyMeteor(phc.slice(METEOR_HASH_PREFIX.length), [digest]);
      }
      // A native hash is of the password itself: a digest cannot be checked against it.
      await verifyDummyNormalized(digest);
      return { ok: false, needsRehash: false };
    },

    async rehash(_phc, password) {
      return meteorHash(await hashNormalized(storedDigest(password)));
    },

    async hashDigest(digest) {
      if (!/^[0-9a-f]{64}$/.test(digest))
        throw new GatehouseError('BadRequest', 'password digest must be 64 hex characters');
      return meteorHash(await hashNormalized(digest));
    },

    needsRehash(phc) {
      if (typeof phc !== 'string' || !phc.startsWith(METEOR_HASH_PREFIX)) return true;
      const argon = parseArgon2Phc(phc.slice(METEOR_HASH_PREFIX.length));
      return argon === null || isWeaker(argon);
    },

    stats: () => hashPool.stats(),
    close: () => hashPool.close(),
  };
}

/**
 * Where argon2id jobs run: threads of this process ({@link createHashPool}), or — under `gatehouse serve
 * --workers` — the one pool of the cluster's primary process, reached over IPC, so a machine runs one set of
 * hashing threads sized to its cores however many worker processes serve requests.
 */
export interface HashPool {
  /**
   * Runs one job: the PHC string for `hash`, whether the password matches for the verifications. Rejects with
   * `GatehouseError('ServiceBusy')` at once when the pool's threads and queue are full, or it is closing.
   */
  run(task: HashTask): Promise<string | boolean>;
  /** Jobs running on a thread, and jobs waiting for one. */
  stats(): { running: number; queued: number };
  /** Lets running and waiting jobs finish, then stops the threads; later jobs reject with `ServiceBusy`. */
  close(): Promise<void>;
}

/**
 * A pool of `maxThreads` low-priority hashing threads (default: one per CPU) with room for `maxQueue` more
 * jobs (default 256); beyond that a job is refused at once with `ServiceBusy`, so a login burst slows logins
 * only and never grows memory. `observe.onWait` hears how long each job waited for a thread.
 *
 * @example
 * ```ts
 * const pool = createHashPool({ maxThreads: 2 });
 * const hasher = createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 }, {}, pool);
 * ```
 */
export function createHashPool(
  options: { maxThreads?: number | undefined; maxQueue?: number | undefined },
  observe: { onWait?: ((seconds: number) => void) | undefined } = {},
): HashPool {
  const maxThreads = integerOption('maxThreads', options.maxThreads ?? availableParallelism(), 1, 1024);
  const maxQueue = integerOption('maxQueue', options.maxQueue ?? 256, 0, 1_000_000);

  const pool = new Piscina<HashTask, [string | boolean, number]>({
    filename: WORKER_URL.href,
    minThreads: 1,
    maxThreads,
    idleTimeout: IDLE_TIMEOUT_MS,
    // Admission is decided below; this only backs it up so the pool can never hold more than we allowed.
    maxQueue: maxThreads + maxQueue,
  });

  let inFlight = 0;
  let closing: Promise<void> | undefined;

  return {
    run(task) {
      // Counted here rather than read from the pool, so the limit holds exactly even while threads start.
      if (closing) return Promise.reject(new GatehouseError('ServiceBusy', 'server is shutting down, try again'));
      if (inFlight >= maxThreads + maxQueue) {
        return Promise.reject(new GatehouseError('ServiceBusy', 'too many password checks in progress, try again'));
      }
      inFlight++;
      const submittedAt = performance.timeOrigin + performance.now();
      return pool
        .run(task)
        .then(([result, startedAt]) => {
          observe.onWait?.(Math.max(0, startedAt - submittedAt) / 1000);
          return result;
        })
        .finally(() => {
          inFlight--;
        });
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
