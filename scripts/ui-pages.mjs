// Pages for trying @gatehouse-auth/ui in a real browser: a tiny loopback static server and a page template.
// Used by the browser tests (test/ui/) and by `npm run screenshots`.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * A page showing `body` (HTML with Gatehouse elements) in `lang`, loading the UI bundle from `/ui.js`. The
 * page's App comes from `app-id` / `base-url` on <body>, so every element on it shares one store.
 */
export function pageHtml({ title = 'Gatehouse UI', lang = 'en', appId, baseUrl, body, head = '' }) {
  const attrs = `app-id="${appId}" base-url="${baseUrl}"`;
  return `<!doctype html>
<html lang="${lang}"${['ar', 'he', 'fa'].includes(lang) ? ' dir="rtl"' : ''}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; color: #1d1d1f; margin: 0; padding: 1.5rem 1rem; }
  main { max-width: 26rem; margin: 0 auto; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  header { display: flex; justify-content: flex-end; max-width: 40rem; margin: 0 auto 1rem; }
</style>
${head}
<script type="module">import * as ui from '/ui.js'; window.gatehouseUi = ui;</script>
</head>
<body ${attrs}>
<section aria-label="${title}"><h1 class="sr-only">${title}</h1></section>
${body}
</body>
</html>`;
}

/** The axe-core script, to inject into a page. */
export function axeSource() {
  return readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
}

/**
 * Serves `/ui.js` (the given bundle) and pages: `pages(pathname, query)` returns HTML or undefined (404).
 * Listens on 127.0.0.1 only; `close()` stops it.
 */
export async function servePages(bundle, pages) {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let type = 'text/html; charset=utf-8';
    let body;
    if (url.pathname === '/ui.js') {
      type = 'text/javascript; charset=utf-8';
      body = typeof bundle === 'function' ? bundle() : bundle;
    } else body = pages(url.pathname, url.searchParams);
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': type, 'cache-control': 'no-store' });
    response.end(body ?? 'not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
