import { describe, expect, it } from 'vitest';
import { createOutboxMailer, type OutboxMessage } from './mailer.js';
import { renderOutboxPage } from './outbox-page.js';
import { confirmationEmail } from './templates.js';

function message(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: 'm1',
    at: new Date('2025-01-02T03:04:05.000Z'),
    from: 'Notes <no-reply@localhost>',
    to: 'ada@example.com',
    subject: 'Hello',
    text: 'Hi there',
    html: '<p>Hi there</p>',
    ...overrides,
  };
}

describe('renderOutboxPage', () => {
  it('shows the banner, and to, from, subject, time and text body of each mail', () => {
    const page = renderOutboxPage([message(), message({ id: 'm2', to: 'bob@example.com', subject: 'Second' })], {
      title: 'Notes outbox',
    });

    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('Development outbox — mails are not sent');
    expect(page).toContain('<title>Notes outbox</title>');
    expect(page).toContain('2 mails');
    expect(page).toContain('ada@example.com');
    expect(page).toContain('bob@example.com');
    expect(page).toContain('Notes &lt;no-reply@localhost&gt;');
    expect(page).toContain('<h2>Second</h2>');
    expect(page).toContain('<time datetime="2025-01-02T03:04:05.000Z">');
    expect(page).toContain('<pre>Hi there</pre>');
    expect(page.indexOf('id="mail-m1"')).toBeLessThan(page.indexOf('id="mail-m2"')); // order as given
    expect(page).toContain('<a href="">Refresh</a>');
  });

  it('says so when there is no mail', () => {
    const page = renderOutboxPage([], {});
    expect(page).toContain('No mail yet.');
    expect(page).toContain('<title>Gatehouse outbox</title>');
    expect(page).toContain('Development outbox — mails are not sent');
  });

  it('makes http(s) links clickable, escaped, without trailing punctuation', () => {
    const link = 'https://auth.example.com/app/a/confirm?token=abc-_9&tokenId=0123abcd';
    const page = renderOutboxPage([message({ text: `Open this:\n${link}\nor see (http://localhost:8080/x).` })], {});

    const href = link.replace('&', '&amp;');
    expect(page).toContain(`<a href="${href}" rel="noreferrer noopener" target="_blank">${href}</a>`);
    expect(page).toContain(
      '(<a href="http://localhost:8080/x" rel="noreferrer noopener" target="_blank">http://localhost:8080/x</a>).',
    );
    expect(page).toContain('Open this:\n<a href=');
  });

  it('links nothing but http(s), and escapes everything that came from a mail', () => {
    const hostile = [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://x.example/"onmouseover="alert(1)',
      "https://x.example/'onmouseover='alert(1)",
      'https://x.example/<img src=x onerror=alert(1)>',
      'ftp://files.example/x',
    ].join('\n');
    const page = renderOutboxPage(
      [
        message({
          id: '"><script>alert(1)</script>',
          to: '<b>a@x.com</b>',
          from: '<i>from</i>',
          subject: '<img src=x onerror=alert(1)>',
          text: hostile,
        }),
      ],
      { title: '</title><script>alert(1)</script>' },
    );

    expect(page).not.toMatch(/<script|<img|<b>|<i>/i);
    expect(page).not.toMatch(/href="(?:javascript|data|ftp):/i);
    expect(page).not.toContain('"onmouseover');
    expect(page).not.toContain("'onmouseover");
    const anchors = [...page.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]);
    expect(anchors.filter((href) => href !== '')).toEqual([
      'https://x.example/',
      'https://x.example/',
      'https://x.example/',
    ]);
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('javascript:alert(1)');
  });

  it('has no scripts or external assets and forbids them by CSP', () => {
    const page = renderOutboxPage([message()], {});
    expect(page).not.toMatch(/<script|<link|src=/i);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
  });

  it('shows a real confirmation mail from the outbox mailer with its link clickable', async () => {
    const outbox = createOutboxMailer({ from: 'Notes <no-reply@localhost>' });
    const link =
      'http://localhost:3000/app/notes-abcde/confirm?token=Zk3pQ9vX2mL7rT4w&tokenId=66f1c2a4e3b0c9d1a2b3c4d5';
    await outbox.send(
      confirmationEmail({ appName: 'Notes <dev>', to: 'ada@example.com', link, expiresIn: '30 minutes' }),
    );

    const page = renderOutboxPage(outbox.list(), { title: 'Outbox' });

    expect(page).toContain(`<a href="${link.replace('&', '&amp;')}"`);
    expect(page).toContain('Confirm your email address for Notes &lt;dev&gt;');
    expect(page).toContain('1 mail ');
  });

  it('shows the HTML part in a sandboxed srcdoc iframe under its own CSP, escaped into the attribute', () => {
    const html =
      '<!doctype html><html><head><title>x</title></head><body><h1>Hi "you"</h1><script>alert(1)</script></body></html>';
    const page = renderOutboxPage([message({ html, subject: 'A <b>mail</b>' })], {});
    const iframe = /<iframe ([^>]*)><\/iframe>/.exec(page)?.[1] ?? '';
    expect(iframe).toContain('sandbox=""');
    expect(iframe).toContain('title="HTML part of: A &lt;b&gt;mail&lt;/b&gt;"');
    const srcdoc = /srcdoc="([^"]*)"/.exec(iframe)?.[1] ?? '';
    // Everything of the mail stays inside the attribute: no raw `<` or `"` that could end it.
    expect(srcdoc).not.toMatch(/[<>"]/);
    const doc = srcdoc
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
    expect(doc).toBe(
      `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; form-action 'none'"><title>x</title></head><body><h1>Hi "you"</h1><script>alert(1)</script></body></html>`,
    );
    expect(page).not.toContain('<script>');
  });
});
