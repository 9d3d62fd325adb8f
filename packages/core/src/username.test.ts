import { describe, expect, it } from 'vitest';
import { prepareUsername, usernameKey } from './username.js';

describe('usernames (PRECIS UsernameCaseMapped, mixed scripts refused)', () => {
  it('keeps the spelling for display and folds width and case for comparison', () => {
    expect(prepareUsername('  Ada ')).toEqual({ ok: true, display: 'Ada', key: 'ada' });
    expect(usernameKey('ａｄｍｉｎ')).toBe('admin');
    expect(usernameKey('ADMIN')).toBe('admin');
    expect(prepareUsername('ａdmin')).toMatchObject({ ok: true, key: 'admin' });
    // Composed and decomposed spellings are one name.
    expect(usernameKey('Jose\u0301')).toBe(usernameKey('José'));
  });

  it('refuses invisible, control and direction-changing characters', () => {
    for (const name of [
      'admin\u200b', // zero-width space
      'ad\u200dmin', // zero-width joiner
      '\u202eadmin', // right-to-left override
      'admin\u2066', // bidi isolate
      'ad\ufeffmin', // byte-order mark (at the ends, trimming takes it off)
      'ad\u00admin', // soft hyphen
      '\u3164admin', // Hangul filler
      'ad min',
      'ad\tmin',
      'ad\u0000min',
      'ann@example.com',
      '',
      '   ',
    ])
      expect(prepareUsername(name).ok, JSON.stringify(name)).toBe(false);
  });

  it('refuses letters of two scripts, but not the mixes one language writes', () => {
    expect(prepareUsername('\u0430dmin')).toEqual({ ok: false, problem: 'mixed-scripts' }); // Cyrillic а
    expect(prepareUsername('p\u0430ypal')).toEqual({ ok: false, problem: 'mixed-scripts' });
    expect(prepareUsername('\u03bfk')).toEqual({ ok: false, problem: 'mixed-scripts' }); // Greek ο
    expect(prepareUsername('иван').ok).toBe(true);
    expect(prepareUsername('δημήτρης').ok).toBe(true);
    expect(prepareUsername('山田たろう').ok).toBe(true);
    expect(prepareUsername('yamadaタロウ').ok).toBe(true);
    expect(prepareUsername('김철수kim').ok).toBe(true);
    expect(prepareUsername('ann_2024.x-y').ok).toBe(true);
  });

  it('a right-to-left name starts with a right-to-left letter', () => {
    expect(prepareUsername('محمد').ok).toBe(true);
    expect(prepareUsername('محمد2').ok).toBe(true);
    expect(prepareUsername('2محمد')).toEqual({ ok: false, problem: 'bidi' });
  });

  it('counts length in code points of the display form', () => {
    expect(prepareUsername('a'.repeat(64)).ok).toBe(true);
    expect(prepareUsername('a'.repeat(65))).toEqual({ ok: false, problem: 'too-long' });
    expect(prepareUsername('😀'.repeat(64)).ok).toBe(true);
  });
});
