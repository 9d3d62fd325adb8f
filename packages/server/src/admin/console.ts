import { createHash } from 'node:crypto';
import { CONSOLE_SCRIPT, CONSOLE_STYLE } from './console-script.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The admin console page (`/admin`, only with `admin.console: true`): one HTML document whose only script and
 * style are inline and allowed by their hashes. The policy lets it call its own origin's admin API and
 * nothing else, never be framed (clickjacking), and send no referrer.
 */
export function adminConsolePage(): Response {
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Gatehouse admin</title>
<style>${CONSOLE_STYLE}</style>
</head>
<body>
<div id="console"></div>
<script>${CONSOLE_SCRIPT}</script>
</body>
</html>
`;
  return new Response(body, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'content-security-policy': CONSOLE_CSP,
    },
  });
}

const CONSOLE_CSP = [
  "default-src 'none'",
  `script-src ${hash(CONSOLE_SCRIPT)}`,
  `style-src ${hash(CONSOLE_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
