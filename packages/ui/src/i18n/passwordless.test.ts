import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { passwordlessMessages } from './passwordless.js';

const { en: english, ...others } = passwordlessMessages as Record<string, Record<string, string>>;
const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the passwordless and two-factor texts', () => {
  it.each(Object.entries(others))(
    '%s has every English text, with the same placeholders, and nothing else',
    (_, messages) => {
      expect(Object.keys(messages).sort()).toEqual(Object.keys(english ?? {}).sort());
      for (const [key, text] of Object.entries(messages)) expect(names(text), key).toEqual(names(english?.[key] ?? ''));
    },
  );

  it('ship in the six languages, and reuse no key of the main catalogue (which would hide them)', () => {
    expect(Object.keys(passwordlessMessages).sort()).toEqual(['ar', 'de', 'en', 'es', 'fr', 'ja']);
    for (const key of Object.keys(english ?? {})) expect(en, key).not.toHaveProperty(key);
  });
});
