import { describe, expect, it } from 'vitest';
import { accountEmail, unknownTemplateVariables } from './templates.js';
import {
  ACCOUNT_EMAIL_KINDS,
  BUILT_IN_LANGUAGES,
  formatDuration,
  pickLanguage,
  requestedLanguages,
} from './wordings.js';

const LINK = 'https://auth.example.com/app/notes/confirm?token=abc&tokenId=0123';

describe('requestedLanguages and pickLanguage', () => {
  it('orders Accept-Language by q, puts an explicit lang first, and skips junk', () => {
    expect(requestedLanguages('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.95')).toEqual(['fr-CH', 'de', 'fr', 'en']);
    expect(requestedLanguages('en', 'ar')).toEqual(['ar', 'en']);
    expect(requestedLanguages('*, <script>, de;q=abc, ja;q=0, es', '"><x')).toEqual(['es']);
    expect(requestedLanguages(null)).toEqual([]);
  });

  it('matches exactly, then by the primary subtag, else English', () => {
    expect(pickLanguage(['de-AT'], BUILT_IN_LANGUAGES)).toBe('de');
    expect(pickLanguage(['pt-BR', 'ja'], BUILT_IN_LANGUAGES)).toBe('ja');
    expect(pickLanguage(['pt-BR'], [...BUILT_IN_LANGUAGES, 'pt-BR'])).toBe('pt-BR');
    expect(pickLanguage(['xx', 'zz-ZZ'], BUILT_IN_LANGUAGES)).toBe('en');
    expect(pickLanguage([], BUILT_IN_LANGUAGES)).toBe('en');
  });
});

describe('formatDuration', () => {
  it('says a lifetime in words of each language, with the plural forms', () => {
    expect(formatDuration(30 * 60_000)).toBe('30 minutes');
    expect(formatDuration(3_600_000)).toBe('1 hour');
    expect(formatDuration(2 * 86_400_000)).toBe('48 hours');
    expect(formatDuration(30 * 86_400_000, 'de')).toBe('30 Tage');
    expect(formatDuration(60_000, 'fr')).toBe('1 minute');
    expect(formatDuration(2 * 3_600_000, 'es')).toBe('2 horas');
    expect(formatDuration(30 * 60_000, 'ja')).toBe('30分');
    expect(formatDuration(2 * 3_600_000, 'ar')).toBe('ساعتين');
    expect(formatDuration(5 * 60_000, 'ar')).toBe('5 دقائق');
    expect(formatDuration(30 * 60_000, 'ar')).toBe('30 دقيقة');
  });
});

describe('accountEmail in each language', () => {
  it.each(BUILT_IN_LANGUAGES.flatMap((lang) => ACCOUNT_EMAIL_KINDS.map((kind) => [lang, kind] as const)))(
    '%s %s: its own words, the link, the expiry, the recipient',
    (lang, kind) => {
      const mail = accountEmail(kind, {
        appName: 'Notes',
        to: 'ada@example.com',
        link: LINK,
        expiresIn: 1_800_000,
        lang,
      });
      const english = accountEmail(kind, { appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: 1_800_000 });
      if (lang !== 'en') {
        expect(mail.subject).not.toBe(english.subject);
        expect(mail.text).not.toContain('If you did not ask for this');
      }
      expect(mail.subject).toContain('Notes');
      expect(mail.text.split('\n')).toContain(LINK);
      expect(mail.text).toContain(formatDuration(1_800_000, lang));
      expect(mail.text).toContain('ada@example.com');
      expect(mail.html).toContain(`<html lang="${lang}"${lang === 'ar' ? ' dir="rtl"' : ''}>`);
      expect(mail.html).toContain(`href="${LINK.replace('&', '&amp;')}"`);
    },
  );

  it('uses the app colour and logo in the built-in mail, escaped', () => {
    const mail = accountEmail('confirm-email', {
      appName: 'Notes',
      to: 'ada@example.com',
      link: LINK,
      expiresIn: '1 hour',
      brand: { color: '#aa3300', logoUrl: 'https://cdn.example.com/logo.png?a=1&b="2"' },
    });
    expect(mail.html).toContain('background:#aa3300');
    expect(mail.html).toContain('<img src="https://cdn.example.com/logo.png?a=1&amp;b=&quot;2&quot;" alt="Notes"');
  });
});

describe("an app's own template", () => {
  it('fills the variables in, escaping them in the HTML part and keeping the subject on one line', () => {
    const mail = accountEmail('reset-password', {
      appName: 'Notes <b>&',
      to: 'ada@example.com',
      link: LINK,
      expiresIn: 3_600_000,
      lang: 'fr',
      template: {
        subject: 'Reset for {{appName}} {{ email }}',
        text: 'Hi {{email}}, open {{link}} within {{expiresIn}}. {{notAVariable}}',
        html: '<p>{{appName}}</p><a href="{{link}}">go</a>',
      },
    });
    expect(mail.subject).toBe('Reset for Notes <b>& ada@example.com');
    expect(mail.text).toBe(`Hi ada@example.com, open ${LINK} within 1 heure. {{notAVariable}}`);
    expect(mail.html).toBe(`<p>Notes &lt;b&gt;&amp;</p><a href="${LINK.replace('&', '&amp;')}">go</a>`);
  });

  it('without an HTML part, sends the text escaped as HTML', () => {
    const mail = accountEmail('confirm-email', {
      appName: 'Notes',
      to: 'ada@example.com',
      link: LINK,
      expiresIn: '1 hour',
      template: { subject: 'Confirm', text: '<hello> {{link}}' },
    });
    expect(mail.html).toContain('&lt;hello&gt; https://auth.example.com/app/notes/confirm?token=abc&amp;tokenId=0123');
  });

  it('names the unknown variables (the configuration refuses them)', () => {
    expect(unknownTemplateVariables('{{link}} {{ appName }} {{token}} {{Email}}')).toEqual(['token', 'Email']);
  });
});
