import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { GatehouseError } from '@gatehouse-auth/core';
import { hashSync } from '@node-rs/argon2';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createHashPool,
  createPasswordHasher,
  type HashPool,
  type HashTask,
  type PasswordHasher,
  type PasswordHashingOptions,
} from './index.js';

/** Test-speed parameters; one test below also runs the real OWASP ones. */
const FAST: PasswordHashingOptions = { memoryCost: 1024, timeCost: 1, parallelism: 1, maxThreads: 2 };
const OWASP: PasswordHashingOptions = { memoryCost: 19456, timeCost: 2, parallelism: 1, maxThreads: 2 };

const hashers: PasswordHasher[] = [];
function hasher(options: PasswordHashingOptions = FAST): PasswordHasher {
  const created = createPasswordHasher(options);
  hashers.push(created);
  return created;
}
afterAll(async () => {
  await Promise.all(hashers.map((h) => h.close()));
});

describe('hash and verify', () => {
  it('round-trips with test parameters and writes them into the PHC string (of the digest)', async () => {
    const h = hasher();
    const phc = await h.hash('correct horse battery staple');
    expect(phc).toMatch(/^meteor-sha256:\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await h.verify(phc, 'correct horse battery staple')).toEqual({ ok: true, needsRehash: false });
    expect(await h.verify(phc, 'correct horse battery stapler')).toEqual({ ok: false, needsRehash: false });
    // Salted: the same password never gives the same string twice.
    expect(await h.hash('correct horse battery staple')).not.toBe(phc);
  });

  it('round-trips with the OWASP parameters (m=19456, t=2, p=1)', async () => {
    const h = hasher(OWASP);
    const phc = await h.hash('Tr0ub4dor&3');
    expect(phc.startsWith('meteor-sha256:$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await h.verify(phc, 'Tr0ub4dor&3')).toEqual({ ok: true, needsRehash: false });
    expect((await h.verify(phc, 'Tr0ub4dor&4')).ok).toBe(false);
  });

  it('uses the password exactly as given: no case folding, no trimming', async () => {
    const h = hasher();
    const phc = await h.hash('Secret Phrase');
    for (const other of ['secret phrase', 'SECRET PHRASE', ' Secret Phrase', 'Secret Phrase ', 'SecretPhrase']) {
      expect((await h.verify(phc, other)).ok, JSON.stringify(other)).toBe(false);
    }
  });

  it('verifies NFKC-equivalent forms of a password', async () => {
    const h = hasher();
    const composed = await h.hash('Caf\u00e9 na\u00efve \u00c5ngstr\u00f6m');
    expect((await h.verify(composed, 'Cafe\u0301 nai\u0308ve A\u030angstro\u0308m')).ok).toBe(true);
    expect((await h.verify(composed, 'Cafe naive Angstrom')).ok).toBe(false);
    const fullWidth = await h.hash('ｐａｓｓｗｏｒｄ\u3000ｆｕｌｌ');
    expect((await h.verify(fullWidth, 'password full')).ok).toBe(true);
  });

  it('hashes 256-code-point emoji passwords', async () => {
    const h = hasher();
    const keys = '\u{1F511}'.repeat(256);
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'.repeat(51) + '\u{1F511}'; // ZWJ sequences, 256 code points
    const keysPhc = await h.hash(keys);
    const familyPhc = await h.hash(family);
    expect((await h.verify(keysPhc, keys)).ok).toBe(true);
    expect((await h.verify(familyPhc, family)).ok).toBe(true);
    expect((await h.verify(keysPhc, '\u{1F511}'.repeat(255))).ok).toBe(false);
    expect((await h.verify(familyPhc, family.replaceAll('\u200D', ''))).ok).toBe(false);
  });

  it('never truncates: long passwords differing only in the last character do not match', async () => {
    const h = hasher();
    // Well past bcrypt's 72-byte limit, in ASCII and in 4-byte UTF-8.
    for (const stem of ['a'.repeat(255), '\u{1F511}'.repeat(255), 'x'.repeat(10_000)]) {
      const phc = await h.hash(`${stem}1`);
      expect((await h.verify(phc, `${stem}1`)).ok).toBe(true);
      expect((await h.verify(phc, `${stem}2`)).ok).toBe(false);
      expect((await h.verify(phc, stem)).ok).toBe(false);
    }
  });
});

describe('needsRehash', () => {
  it('is reported once the configured parameters are raised', async () => {
    const weak = hasher({ ...FAST, memoryCost: 1024, timeCost: 1 });
    const phc = await weak.hash('rehash me please');
    expect(weak.needsRehash(phc)).toBe(false);

    for (const raised of [
      { ...FAST, memoryCost: 2048 },
      { ...FAST, timeCost: 2 },
      { ...FAST, parallelism: 2 },
    ]) {
      const stronger = hasher(raised);
      expect(stronger.needsRehash(phc)).toBe(true);
      expect(await stronger.verify(phc, 'rehash me please')).toEqual({ ok: true, needsRehash: true });
      // A failed login says nothing about the stored hash.
      expect(await stronger.verify(phc, 'wrong')).toEqual({ ok: false, needsRehash: false });
      const renewed = await stronger.hash('rehash me please');
      expect(stronger.needsRehash(renewed)).toBe(false);
    }
    // Lowering the parameters does not ask for a rehash.
    expect(hasher({ ...FAST, memoryCost: 512 }).needsRehash(phc)).toBe(false);
  });

  it('is reported for argon2i, argon2d and version 0x10 hashes, which still verify', async () => {
    const h = hasher();
    const cost = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
    for (const phc of [
      hashSync('legacy hash', { ...cost, algorithm: 1 }), // Argon2i
      hashSync('legacy hash', { ...cost, algorithm: 0 }), // Argon2d
      hashSync('legacy hash', { ...cost, algorithm: 2, version: 0 }), // Argon2id, v=16
    ]) {
      expect(h.needsRehash(phc), phc).toBe(true);
      expect(await h.verify(phc, 'legacy hash'), phc).toEqual({ ok: true, needsRehash: true });
    }
    expect(h.needsRehash('not a hash')).toBe(true);
  });
});

describe('bad stored data', () => {
  it('verifies as a mismatch, never throws', async () => {
    const h = hasher();
    const good = await h.hash('password-for-corruption');
    const [, , , , salt = '', digest = ''] = good.split('$');
    for (const phc of [
      '',
      'plaintext',
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
      good.slice(0, -10),
      good.replace('$argon2id$', '$argon2x$'),
      good.replace(salt, 'c2FsdA'), // a 4-byte salt argon2 refuses
      good.replace(digest, digest.slice(0, 5)), // a digest too short for argon2
      good.replace(digest, `${digest[0] === 'A' ? 'B' : 'A'}${digest.slice(1)}`), // a bit changed
      good.replace('m=1024', 'm=9999999999'),
      `${good}$`,
      undefined as unknown as string,
      { toString: () => good } as unknown as string,
    ]) {
      expect(await h.verify(phc, 'password-for-corruption'), String(phc)).toEqual({ ok: false, needsRehash: false });
    }
  });
});

describe('verifyDummy', () => {
  it('does the work of a failed verify: one argon2id verification at the same parameters (timing enumeration)', async () => {
    // Equal work is what makes "unknown user" and "wrong password" take equally long; it is checked by the jobs
    // the hashing pool receives, not by timing them (a busy machine would make a timing flaky, not wrong).
    const pool = createHashPool({ maxThreads: 1 });
    const jobs: HashTask[] = [];
    const recording: HashPool = {
      run: (task) => {
        jobs.push(task);
        return pool.run(task);
      },
      stats: () => pool.stats(),
      close: () => pool.close(),
    };
    const h = createPasswordHasher(OWASP, {}, recording);
    hashers.push(h);
    const phc = await h.hash('the real password');
    await h.verifyDummy('warm up'); // makes the dummy hash once
    jobs.length = 0;
    expect((await h.verify(phc, 'a wrong password')).ok).toBe(false);
    const wrongPassword = jobs.splice(0);
    await h.verifyDummy('a wrong password');
    const unknownUser = jobs.splice(0);
    expect(wrongPassword).toHaveLength(1);
    expect(unknownUser).toHaveLength(1);
    const cost = (task: HashTask | undefined) =>
      task && 'phc' in task ? /\$argon2id\$v=19\$(m=\d+,t=\d+,p=\d+)\$/.exec(task.phc)?.[1] : undefined;
    expect(unknownUser[0]?.op).toBe('verify');
    expect(wrongPassword[0]?.op).toBe('verify');
    expect(cost(wrongPassword[0])).toBe('m=19456,t=2,p=1');
    expect(cost(unknownUser[0])).toBe(cost(wrongPassword[0]));
    // The same password input too: both check the digest of what was typed, never a shortcut.
    expect(unknownUser[0]).toMatchObject({ password: (wrongPassword[0] as { password: string }).password });
  });

  it('resolves for any password and reports nothing', async () => {
    const h = hasher();
    await expect(h.verifyDummy('whatever')).resolves.toBeUndefined();
    await expect(h.verifyDummy('')).resolves.toBeUndefined();
  });
});

describe('bounded queue', () => {
  it('refuses work beyond maxThreads + maxQueue at once with ServiceBusy, and does the rest', async () => {
    const h = hasher({ ...FAST, memoryCost: 8192, maxThreads: 1, maxQueue: 2 });
    const settled: string[] = [];
    const calls = Array.from({ length: 6 }, (_, i) =>
      h.hash(`password ${i}`).then(
        (phc) => {
          settled.push(`ok ${i}`);
          return phc;
        },
        (error: unknown) => {
          settled.push(`busy ${i}`);
          throw error;
        },
      ),
    );
    expect(h.stats()).toEqual({ running: 1, queued: 2 });
    const results = await Promise.allSettled(calls);

    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
    ]);
    for (const result of results.slice(3)) {
      const reason = (result as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(GatehouseError);
      expect(reason).toMatchObject({ code: 'ServiceBusy', message: 'too many password checks in progress, try again' });
    }
    // The refusals came before any hash finished: they did not wait.
    expect(settled.slice(0, 3).sort()).toEqual(['busy 3', 'busy 4', 'busy 5']);
    expect(h.stats()).toEqual({ running: 0, queued: 0 });

    // Capacity comes back, and verify and verifyDummy are refused the same way as hash.
    const phc = (results[0] as PromiseFulfilledResult<string>).value;
    await h.verifyDummy('makes the dummy hash, which takes a slot of its own the first time');
    const burst = [
      h.verify(phc, 'password 0'),
      h.verify(phc, 'x'),
      h.verifyDummy('x'),
      h.verify(phc, 'password 0'),
      h.verifyDummy('y'),
    ];
    const outcome = await Promise.allSettled(burst);
    expect(outcome.filter((r) => r.status === 'rejected').map((r) => (r.reason as GatehouseError).code)).toEqual([
      'ServiceBusy',
      'ServiceBusy',
    ]);
    expect(outcome[0]).toEqual({ status: 'fulfilled', value: { ok: true, needsRehash: false } });
  });

  it('refuses work after close()', async () => {
    const h = createPasswordHasher(FAST);
    const phc = await h.hash('before close');
    await h.close();
    await expect(h.verify(phc, 'before close')).rejects.toMatchObject({ code: 'ServiceBusy' });
  });

  it('refuses out-of-range options at creation, naming the field', () => {
    expect(() => createPasswordHasher({ ...FAST, memoryCost: 1.5 })).toThrow(/passwordHashing\.memoryCost/);
    expect(() => createPasswordHasher({ ...FAST, timeCost: 0 })).toThrow(/passwordHashing\.timeCost/);
    expect(() => createPasswordHasher({ ...FAST, timeCost: 21 })).toThrow(/passwordHashing\.timeCost/);
    expect(() => createPasswordHasher({ ...FAST, maxThreads: 0 })).toThrow(/passwordHashing\.maxThreads/);
    expect(() => createPasswordHasher({ ...FAST, memoryCost: 8, parallelism: 2 })).toThrow(/memoryCost/);
  });
});

/** The nice value of each thread of this process, from /proc/self/task/<tid>/stat (field 19). */
function threadNiceValues(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nice.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended while we looked.
    }
  }
  return nice;
}

describe.runIf(process.platform === 'linux')('thread priority (Linux)', () => {
  it('runs the hashing threads at nice +19 (the lowest) and leaves the event-loop thread alone', async () => {
    const base = getPriority(process.pid);
    const expected = Math.min(19, base + 19);
    if (expected === base) return; // already at the lowest priority: nothing to observe

    const h = hasher({ ...FAST, maxThreads: 2 });
    const before = [...threadNiceValues().values()].filter((n) => n === expected).length;
    // Two hashes at once bring both threads up.
    await Promise.all([h.hash('one'), h.hash('two'), h.hash('three'), h.hash('four')]);
    const nice = threadNiceValues();
    expect(nice.get(process.pid)).toBe(base);
    expect([...nice.values()].filter((n) => n === expected).length - before).toBe(2);
  });
});

describe('event loop', () => {
  it('stays responsive while 8 OWASP-cost hashes run', async () => {
    const h = hasher({ ...OWASP, maxThreads: 2 });
    await Promise.all([h.hash('warm'), h.hash('up')]);

    const gaps: number[] = [];
    let last = performance.now();
    let running = true;
    const tick = () => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      if (running) setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
    const start = performance.now();
    await Promise.all(Array.from({ length: 8 }, (_, i) => h.hash(`password ${i}`)));
    const elapsed = performance.now() - start;
    running = false;

    gaps.sort((a, b) => a - b);
    const p50 = gaps[Math.floor(gaps.length * 0.5)]!;
    const p99 = gaps[Math.floor(gaps.length * 0.99)]!;
    const max = gaps.at(-1)!;
    console.info(
      `8 hashes in ${elapsed.toFixed(0)} ms; 1 ms timer gaps p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms (${gaps.length} ticks)`,
    );
    // Generous: on the event loop itself one hash alone blocks ~40-60 ms, eight ~400 ms.
    expect(gaps.length).toBeGreaterThan(elapsed / 20);
    expect(p50).toBeLessThan(15);
  });
});
