import { GatehouseError } from '@gatehouse-auth/client';
import { describe, expect, it } from 'vitest';
import { errorKey } from '../errors.js';
import ar from './ar.js';
import de from './de.js';
import { en } from './en.js';
import es from './es.js';
import fr from './fr.js';
import { isRtl, loadLanguage, matchLanguage, setMessages, translator } from './index.js';
import ja from './ja.js';

const PLURAL = /\.(zero|one|two|few|many|other)$/;

describe('message catalogues', () => {
  it.each(Object.entries({ de, fr, es, ja, ar }))(
    '%s has every English message, and nothing else',
    (lang, messages) => {
      const base = (keys: string[]) => new Set(keys.map((k) => k.replace(PLURAL, '')));
      expect(base(Object.keys(messages))).toEqual(base(Object.keys(en)));
      // Every plural message has the `other` form, the one Intl.PluralRules falls back to.
      for (const key of base(Object.keys(en)))
        if (Object.keys(en).includes(`${key}.other`)) expect(messages).toHaveProperty(`${key}.other`);
      // The same placeholders as in English.
      for (const [key, text] of Object.entries(messages)) {
        const english =
          (en as Record<string, string>)[key] ?? (en as Record<string, string>)[key.replace(PLURAL, '.other')];
        const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        // Arabic spells out one and two ("جهاز واحد", "جهازين") instead of writing the number.
        if (lang === 'ar' && /\.(zero|one|two)$/.test(key)) continue;
        expect(names(text), `${lang} ${key}`).toEqual(names(english as string));
      }
    },
  );

  it('matches languages by their base tag and falls back to English', () => {
    expect(matchLanguage('de-AT')).toBe('de');
    expect(matchLanguage('FR_ca')).toBe('fr');
    expect(matchLanguage('pt-BR')).toBe('en');
    expect(matchLanguage('constructor')).toBe('en');
    expect(matchLanguage('')).toBe('en');
    expect(matchLanguage(null)).toBe('en');
    expect(isRtl('ar')).toBe(true);
    expect(isRtl('de')).toBe(false);
  });

  it('translates with values and plural forms per language', async () => {
    await Promise.all(['de', 'ar', 'ja'].map(loadLanguage));
    expect(translator('en')('sessionsCount', { count: 1 })).toBe('Signed in on 1 device');
    expect(translator('en')('sessionsCount', { count: 3 })).toBe('Signed in on 3 devices');
    expect(translator('de')('signInWith', { service: 'Google' })).toBe('Mit Google anmelden');
    expect(translator('ar')('sessionsCount', { count: 2 })).toBe('مسجّل الدخول على جهازين');
    expect(translator('ar')('sessionsCount', { count: 5 })).toBe('مسجّل الدخول على 5 أجهزة');
    expect(translator('ja')('sessionsCount', { count: 1 })).toBe('1台のデバイスでログイン中');
    expect(translator('en')('no.such.key')).toBe('no.such.key');
  });

  it('overrides: per element, then per app, then for every app, then the catalogue, then English', async () => {
    setMessages('de', { signInTitle: 'Bei Acme anmelden' }, { appId: 'acme' });
    setMessages('de', { forgotTitle: 'Vergessen?' });
    setMessages('pt', { signInTitle: 'Entrar' });
    await loadLanguage('de');
    expect(translator('de', 'acme')('signInTitle')).toBe('Bei Acme anmelden');
    expect(translator('de', 'other')('signInTitle')).toBe('Anmelden');
    expect(translator('de', 'acme')('forgotTitle')).toBe('Vergessen?');
    expect(translator('de', 'acme', { signInTitle: 'Hier' })('signInTitle')).toBe('Hier');
    // A language only given by overrides is known; what it lacks comes in English.
    expect(matchLanguage('pt-PT')).toBe('pt');
    expect(translator('pt')('signInTitle')).toBe('Entrar');
    expect(translator('pt')('signOut')).toBe('Sign out');
  });
});

describe('errorKey: the server’s codes in words', () => {
  const error = (code: ConstructorParameters<typeof GatehouseError>[0]) => new GatehouseError(code, 'server text');
  it.each([
    ['InvalidPassword', 'signIn', 'error.credentials'],
    ['InvalidPassword', 'signInName', 'error.credentialsName'],
    ['InvalidPassword', 'changePassword', 'error.currentPassword'],
    ['Forbidden', 'signUp', 'error.signUpClosed'],
    ['Forbidden', 'other', 'error.Forbidden'],
    ['AuthError', 'signIn', 'error.AuthError'],
    ['AuthError', 'oauth', 'error.popup'],
    ['AccountNameInUse', 'signUp', 'error.AccountNameInUse'],
    ['UserpassTokenInvalid', 'other', 'error.UserpassTokenInvalid'],
    ['TooManyRequests', 'signIn', 'error.TooManyRequests'],
    ['InvalidParameter', 'other', 'error.BadRequest'],
    ['APIKeyNotFound', 'other', 'error.server'],
    ['InternalServerError', 'other', 'error.server'],
  ] as const)('%s (%s) → %s', (code, context, key) => {
    expect(errorKey(error(code), context)).toBe(key);
    expect(key in en).toBe(true);
  });
  it('a failed fetch is a network error; anything else "something went wrong"', () => {
    expect(errorKey(new TypeError('Failed to fetch'), 'signIn')).toBe('error.network');
    expect(errorKey(new Error('boom'), 'signIn')).toBe('error.server');
  });
});
