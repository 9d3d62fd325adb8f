import { describe, expect, it } from 'vitest';
import { confirmationEmail, escapeHtml, resetPasswordEmail } from './templates.js';

const LINK =
  'https://auth.example.com/app/notes-abcde/confirm?token=Zk3pQ9vX2mL7rT4wB8nY1cH6jD5sA0eF&tokenId=66f1c2a4e3b0c9d1a2b3c4d5';
const HTML_LINK = LINK.replace('&', '&amp;');

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(escapeHtml('plain text, ünïcode')).toBe('plain text, ünïcode');
  });
});

describe.each([
  { name: 'confirmationEmail', make: confirmationEmail, subject: 'Confirm your email address for Notes' },
  { name: 'resetPasswordEmail', make: resetPasswordEmail, subject: 'Reset your password for Notes' },
])('$name', ({ make, subject }) => {
  it('says what it is, gives the link and its expiry, and says to ignore it if unasked', () => {
    const mail = make({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' });

    expect(mail.to).toBe('ada@example.com');
    expect(mail.subject).toBe(subject);
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('Notes');
      expect(body).toContain('ada@example.com');
      expect(body).toContain('expires in 48 hours');
      expect(body).toContain('If you did not ask for this, ignore this mail');
    }
    // The link stands alone on its line in the text body, so mail clients make it clickable whole.
    expect(mail.text.split('\n')).toContain(LINK);
    expect(mail.html).toContain(`href="${HTML_LINK}"`);
    expect(mail.html).toContain(`>${HTML_LINK}</a>`);
    expect(mail.html).not.toContain(LINK); // the raw `&` never appears in the HTML
  });

  it('escapes a hostile app name in the HTML and keeps the subject on one line', () => {
    const mail = make({
      appName: '<script>alert("x")</script>\r\nBcc: evil@x.com',
      to: 'ada@example.com',
      link: LINK,
      expiresIn: '30 minutes',
    });

    expect(mail.html).not.toContain('<script');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toContain('<script>alert("x")</script> Bcc: evil@x.com');
  });

  it('escapes the recipient and expiry in the HTML', () => {
    const mail = make({ appName: 'Notes', to: "o'brien@x.io", link: LINK, expiresIn: '<b>soon</b>' });
    expect(mail.html).toContain('o&#39;brien@x.io');
    expect(mail.html).toContain('&lt;b&gt;soon&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>soon');
  });

  it('refuses a link that is not http(s), without quoting it', () => {
    for (const link of ['javascript:alert(1)//?token=SECRET', 'data:text/html,SECRET', '/relative?token=SECRET', '']) {
      expect(() => make({ appName: 'Notes', to: 'ada@example.com', link, expiresIn: '1 hour' })).toThrow(
        /^email link must be an absolute http\(s\) URL$/,
      );
    }
  });

  it('has a self-contained HTML body: no scripts, no external assets', () => {
    const mail = make({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' });
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).not.toMatch(/<script|<link|<img|src=/i);
  });
});
