import type { OutboxMessage } from './mailer.js';
import { escapeHtml } from './templates.js';

/** Options of {@link renderOutboxPage}. */
export interface OutboxPageOptions {
  /** The page title. Default `'Gatehouse outbox'`. */
  title?: string;
}

/**
 * The development outbox as one self-contained HTML page: a "mails are not sent" banner, then every kept mail
 * (in the order given; `OutboxMailer.list()` gives newest first) with recipient, subject, time, its plain-text
 * body, where http(s) links are clickable, and its HTML part rendered in a sandboxed `srcdoc` iframe (no
 * scripts, no forms, its own strict CSP). Everything from a mail is escaped; no scripts, no external assets.
 *
 * Serve it only in development: the bodies hold live one-time tokens.
 *
 * @example
 * ```ts
 * app.get('/_dev/outbox', (c) => c.html(renderOutboxPage(outbox.list(), { title: 'Notes outbox' })));
 * ```
 */
export function renderOutboxPage(messages: readonly OutboxMessage[], options: OutboxPageOptions = {}): string {
  const title = escapeHtml(options.title ?? 'Gatehouse outbox');
  const count = messages.length === 1 ? '1 mail' : `${messages.length} mails`;
  const body =
    messages.length === 0
      ? '<p class="empty">No mail yet.</p>'
      : messages.map((message) => renderMessage(message)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; frame-src 'self'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>
body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#18181b;background:#f4f4f5}
.banner{padding:10px 16px;background:#fde047;color:#422006;font-weight:600;text-align:center}
main{max-width:900px;margin:0 auto;padding:16px}
header{display:flex;align-items:baseline;justify-content:space-between;gap:16px}
h1{font-size:20px;margin:8px 0 16px}
article{margin:0 0 16px;padding:16px;background:#fff;border:1px solid #e4e4e7;border-radius:8px}
h2{font-size:17px;margin:0 0 4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:0 12px;margin:0 0 12px;color:#52525b;font-size:14px}
dt{font-weight:600}dd{margin:0}
pre{margin:0;padding:12px;background:#fafafa;border:1px solid #e4e4e7;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:14px}
a{color:#2563eb}
.empty{color:#52525b}
details.html{margin-top:12px}summary{cursor:pointer;font-weight:600;padding:4px 0}
iframe{display:block;width:100%;height:520px;border:1px solid #e4e4e7;border-radius:6px;background:#fff}
</style>
</head>
<body>
<div class="banner" role="status">Development outbox — mails are not sent</div>
<main>
<header><h1>${title}</h1><span>${count} · <a href="">Refresh</a></span></header>
${body}
</main>
</body>
</html>
`;
}

function renderMessage(message: OutboxMessage): string {
  const at = message.at.toISOString();
  return `<article id="mail-${escapeHtml(message.id)}">
<h2>${escapeHtml(message.subject)}</h2>
<dl><dt>To</dt><dd>${escapeHtml(message.to)}</dd><dt>From</dt><dd>${escapeHtml(message.from)}</dd><dt>Time</dt><dd><time datetime="${at}">${at}</time></dd></dl>
<pre>${linkify(message.text)}</pre>
${message.html ? htmlPreview(message) : ''}
</article>`;
}

// What the HTML part may load inside the preview: its own inline styles and images; no scripts, no forms,
// nothing else. The iframe's empty `sandbox` also gives it an opaque origin and no scripts or navigation.
const PREVIEW_CSP = "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; form-action 'none'";

/** The HTML part as the recipient's mail client would show it: a sandboxed `srcdoc` iframe under a strict CSP. */
function htmlPreview(message: OutboxMessage): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}">`;
  const head = /<head\b[^>]*>/i.exec(message.html);
  const doc = head
    ? message.html.slice(0, head.index + head[0].length) + meta + message.html.slice(head.index + head[0].length)
    : meta + message.html;
  return `<details class="html" open><summary>HTML part</summary>
<iframe sandbox="" referrerpolicy="no-referrer" loading="lazy" title="HTML part of: ${escapeHtml(message.subject)}" srcdoc="${escapeHtml(doc)}"></iframe>
</details>`;
}

// Candidate links; whether one is really an http(s) URL is decided by `new URL` below.
const LINK = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Sentence punctuation right after a link belongs to the sentence, not to the link.
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/** Escapes `text` for HTML, turning each http(s) URL in it into a link. */
function linkify(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const start = match.index;
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    if (!isHttpUrl(url)) continue;
    html += escapeHtml(text.slice(last, start));
    const escaped = escapeHtml(url);
    html += `<a href="${escaped}" rel="noreferrer noopener" target="_blank">${escaped}</a>`;
    last = start + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
