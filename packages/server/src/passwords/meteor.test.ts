import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from './hasher.js';
import { meteorDigests, meteorHash } from './meteor.js';

const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1, maxThreads: 2 });
afterAll(() => hasher.close());

describe('Meteor password digests', () => {
  it('match the digests Meteor computes, including its per-code-unit encoding of astral characters', () => {
    expect(meteorDigests('password')).toEqual(['5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8']);
    expect(meteorDigests('pässwörd')).toEqual(['46970bef70aced8123f0d5d094717e2a5cd412041e03b26376049fe65b2834a4']);
    expect(meteorDigests('😀')).toEqual([
      'ea645893a930e0872284cf8fbc8d14f66f052aea0bc8d9c4829f08a38219940c',
      'f0443a342c5ef54783a111b51ba56c938e474c32324d90c3a60c9c8e3a37e2d9',
    ]);
  });
});

describe('verifying imported Meteor hashes', () => {
  it('verifies bcrypt of the digest ($2a and $2b) and asks for a re-hash', async () => {
    const [digest] = meteorDigests('correct horse');
    for (const prefix of ['$2a$', '$2b$']) {
      const stored = meteorHash(bcrypt.hashSync(digest!, 4).replace(/^\$2[ab]\$/, prefix));
      expect(await hasher.verify(stored, 'correct horse')).toEqual({ ok: true, needsRehash: true });
      expect(await hasher.verify(stored, 'correct horsE')).toEqual({ ok: false, needsRehash: false });
    }
  });

  it("verifies argon2 of the digest (Meteor 3.2); at today's parameters it stays as it is", async () => {
    const [digest] = meteorDigests('correct horse');
    const stored = meteorHash(await argon2Hash(digest!, { memoryCost: 1024, timeCost: 1 }));
    expect(await hasher.verify(stored, 'correct horse')).toEqual({ ok: true, needsRehash: false });
    expect((await hasher.verify(stored, 'wrong')).ok).toBe(false);
  });

  it('accepts both digests of a password with astral characters', async () => {
    const [cesu, standard] = meteorDigests('p😀ss');
    for (const digest of [cesu!, standard!]) {
      expect((await hasher.verify(meteorHash(bcrypt.hashSync(digest, 4)), 'p😀ss')).ok).toBe(true);
    }
  });

  it('checks Meteor client digests, and upgrades bcrypt to argon2id of the digest so digests keep working', async () => {
    const [digest] = meteorDigests('correct horse');
    const bcryptStored = meteorHash(bcrypt.hashSync(digest!, 4));
    expect(await hasher.verifyDigest(bcryptStored, digest!)).toEqual({ ok: true, needsRehash: true });
    expect((await hasher.verifyDigest(bcryptStored, meteorDigests('wrong')[0]!)).ok).toBe(false);
    const upgraded = await hasher.rehash(bcryptStored, 'correct horse');
    expect(upgraded).toMatch(/^meteor-sha256:\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await hasher.verifyDigest(upgraded, digest!)).toEqual({ ok: true, needsRehash: false });
    expect(await hasher.verify(upgraded, 'correct horse')).toEqual({ ok: true, needsRehash: false });
    // A digest made for a new account over DDP verifies with the password, and a hash made from the password
    // (HTTP register, reset page, the CLI) verifies with the digest a Meteor client sends.
    const fromDdp = await hasher.hashDigest(digest!);
    expect((await hasher.verify(fromDdp, 'correct horse')).ok).toBe(true);
    expect(await hasher.verifyDigest(await hasher.hash('correct horse'), digest!)).toEqual({
      ok: true,
      needsRehash: false,
    });
    await expect(hasher.hashDigest('not hex')).rejects.toMatchObject({ code: 'BadRequest' });
  });

  it('moves plain argon2id hashes of the password (older Gatehouse) to the digest form at the next login', async () => {
    const plain = await argon2Hash('older password', { memoryCost: 1024, timeCost: 1 });
    expect(hasher.needsRehash(plain)).toBe(true);
    expect(await hasher.verify(plain, 'older password')).toEqual({ ok: true, needsRehash: true });
    expect(await hasher.verify(plain, 'older passwordx')).toEqual({ ok: false, needsRehash: false });
    // Until then a Meteor client's digest cannot be checked against it.
    expect((await hasher.verifyDigest(plain, meteorDigests('older password')[0]!)).ok).toBe(false);
    const moved = await hasher.rehash(plain, 'older password');
    expect(moved).toMatch(/^meteor-sha256:\$argon2id\$/);
    expect(hasher.needsRehash(moved)).toBe(false);
    expect((await hasher.verifyDigest(moved, meteorDigests('older password')[0]!)).ok).toBe(true);
    expect((await hasher.verify(moved, 'older password')).ok).toBe(true);
  });

  it('treats a malformed imported hash as a mismatch', async () => {
    expect(await hasher.verify(meteorHash('$2b$10$short'), 'x')).toEqual({ ok: false, needsRehash: false });
    expect(await hasher.verify(meteorHash('srp-verifier'), 'x')).toEqual({ ok: false, needsRehash: false });
    expect(hasher.needsRehash(meteorHash('$2b$10$whatever'))).toBe(true);
  });
});
