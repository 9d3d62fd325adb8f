import { createRequire } from 'node:module';
import { GatehouseError } from '@gatehouse-auth/core';
import { describe, expect, it } from 'vitest';
import { checkPassword, isCommonPassword, normalizePassword, type PasswordPolicy } from './index.js';

const policy: PasswordPolicy = { minLength: 8, maxLength: 256, rejectCommon: true };

function refusal(run: () => unknown): GatehouseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatehouseError);
    return error as GatehouseError;
  }
  throw new Error('expected a GatehouseError');
}

describe('normalizePassword', () => {
  it('applies NFKC and nothing else', () => {
    expect(normalizePassword('Cafe\u0301')).toBe('Caf\u00e9');
    expect(normalizePassword('ｐａｓｓ１')).toBe('pass1');
    expect(normalizePassword('\ufb03')).toBe('ffi');
    expect(normalizePassword('  MiXeD case  ')).toBe('  MiXeD case  ');
  });
});

describe('checkPassword', () => {
  it('returns the normalised password', () => {
    expect(checkPassword('correct horse battery staple', policy)).toBe('correct horse battery staple');
    expect(checkPassword('Cafe\u0301 au lait', policy)).toBe('Caf\u00e9 au lait');
  });

  it('refuses values that are not strings', () => {
    for (const value of [undefined, null, 12345678, ['password'], { toString: () => 'x' }]) {
      const error = refusal(() => checkPassword(value, policy));
      expect(error.code).toBe('BadRequest');
      expect(error.message).toBe('password must be a string');
    }
  });

  it('refuses unpaired surrogates, which would hash like U+FFFD', () => {
    const error = refusal(() => checkPassword('abcdefgh\ud800', policy));
    expect(error.code).toBe('BadRequest');
    expect(checkPassword('abcdefg\u{1F511}', policy)).toBe('abcdefg\u{1F511}');
  });

  it('enforces the length limits with the App Services wording', () => {
    const short = refusal(() => checkPassword('x7#kQ9!', policy));
    expect(short.code).toBe('PasswordPolicy');
    expect(short.message).toBe('password must be between 8 and 256 characters');
    expect(short.details).toEqual({ minLength: 8, maxLength: 256 });
    expect(checkPassword('x7#kQ9!z', policy)).toBe('x7#kQ9!z');

    expect(checkPassword('x'.repeat(256), policy)).toHaveLength(256);
    expect(refusal(() => checkPassword('x'.repeat(257), policy)).message).toBe(
      'password must be between 8 and 256 characters',
    );
    expect(refusal(() => checkPassword('x'.repeat(100_000), policy)).code).toBe('PasswordPolicy');
  });

  it('takes the minimum and maximum from the policy', () => {
    const nist = { ...policy, minLength: 15, maxLength: 64 };
    expect(refusal(() => checkPassword('fourteen chars', nist)).message).toBe(
      'password must be between 15 and 64 characters',
    );
    expect(checkPassword('fifteen chars!!', nist)).toBe('fifteen chars!!');
    expect(refusal(() => checkPassword('y'.repeat(65), nist)).code).toBe('PasswordPolicy');
  });

  it('counts Unicode code points after NFKC', () => {
    // 8 emoji are 16 UTF-16 units but 8 characters.
    expect(checkPassword('\u{1F511}'.repeat(8), policy)).toBe('\u{1F511}'.repeat(8));
    expect(refusal(() => checkPassword('\u{1F511}'.repeat(7), policy)).code).toBe('PasswordPolicy');
    expect(checkPassword('\u{1F511}'.repeat(256), policy)).toHaveLength(512);
    expect(refusal(() => checkPassword('\u{1F511}'.repeat(257), policy)).code).toBe('PasswordPolicy');
    // 8 code points as typed, 4 after composing e + U+0301 into é.
    expect(refusal(() => checkPassword('e\u0301'.repeat(4), policy)).code).toBe('PasswordPolicy');
    // 3 ligatures expand to 9 letters.
    expect(checkPassword('\ufb03\ufb03\ufb03', policy)).toBe('ffiffiffi');
  });

  it('refuses common passwords, case-insensitively', () => {
    for (const common of [
      'password123',
      'qwerty123',
      'Password123',
      'QWERTY123',
      'iloveyou',
      'ｐａｓｓｗｏｒｄ１２３',
    ]) {
      const error = refusal(() => checkPassword(common, policy));
      expect(error.code).toBe('PasswordPolicy');
      expect(error.message).toBe('password is too common');
    }
    expect(checkPassword('password123', { ...policy, rejectCommon: false })).toBe('password123');
    expect(checkPassword('correct horse battery staple', policy)).toBe('correct horse battery staple');
  });
});

describe('isCommonPassword', () => {
  it('knows the brief examples', () => {
    expect(isCommonPassword('password123')).toBe(true);
    expect(isCommonPassword('qwerty123')).toBe(true);
    expect(isCommonPassword('PaSsWoRd123')).toBe(true);
    expect(isCommonPassword('correct horse battery staple')).toBe(false);
  });

  it('covers at least the top 10,000 passwords of the list (ASVS 6.2.4 asks for 3,000)', () => {
    const require = createRequire(import.meta.url);
    const { dictionary } = require('@zxcvbn-ts/language-common') as {
      dictionary: { 'passwords-common': string[] };
    };
    const list = dictionary['passwords-common'];
    expect(list.length).toBeGreaterThanOrEqual(10_000);
    for (let rank = 0; rank < 10_000; rank += 97) expect(isCommonPassword(list[rank]!)).toBe(true);
    expect(isCommonPassword(list[9_999]!)).toBe(true);
    expect(isCommonPassword(list.at(-1)!)).toBe(true);
  });
});
