import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { AppSettings } from '../context.js';
import { BUILT_IN_LANGUAGES, pickLanguage, RTL_LANGUAGES, requestedLanguages } from '../email/index.js';
import { hostedWords } from './hosted-words.js';
import { escapeHtml } from './layout.js';

/**
 * The hosted pages (`/app/<id>/login`, `/confirm`, `/reset`) built from the login UI's elements: one HTML
 * shell per page with the app's logo, colours (the elements' CSS custom properties), language and texts, the
 * UI's browser bundle and a small page script — both served by Gatehouse under `/ui/`, so the page's CSP
 * allows scripts from itself only and its one inline style by nonce.
 */

/**
 * The UI's single-file browser bundle, read once from the installed `@gatehouse-auth/ui` and gzipped once
 * (about 120 KiB → 38 KiB); `null` if the package is not built.
 */
let bundle: Promise<{ code: Uint8Array<ArrayBuffer>; gzipped: Uint8Array<ArrayBuffer> } | null> | undefined;
export function uiBundle(): Promise<{ code: Uint8Array<ArrayBuffer>; gzipped: Uint8Array<ArrayBuffer> } | null> {
  bundle ??= (async () => {
    try {
      const path = createRequire(import.meta.url).resolve('@gatehouse-auth/ui/browser');
      const code = new Uint8Array(await readFile(path));
      return { code, gzipped: new Uint8Array(gzipSync(code, { level: 9 })) };
    } catch {
      return null;
    }
  })();
  return bundle;
}

/**
 * The hosted pages' script (`/ui/hosted.js`): makes the page's `App` with its session in memory only (nothing
 * of a login stays on Gatehouse's origin), applies the app's texts, switches between the page's views on
 * `gatehouse-navigate`, and — on the sign-in page — hands the session to the allowlisted app page the way the
 * OAuth redirect flow does: `<redirect>#_baas_client_app_id=…&_baas_state=…&_baas_ua=<access>$<refresh>$<user>$<device>`,
 * which realm-web's and the SDK's `handleAuthRedirect()` read.
 */
export const HOSTED_SCRIPT = `import { App, memoryStorage, setDefaultApp, setMessages } from './gatehouse-ui.js';

const config = JSON.parse(document.getElementById('gatehouse-page').textContent);
const app = new App({ id: config.appId, baseUrl: config.baseUrl, storage: memoryStorage() });
setDefaultApp(app);
for (const [lang, messages] of Object.entries(config.messages)) setMessages(lang, messages, { appId: config.appId });

const views = [...document.querySelectorAll('[data-view]')];
function show(name) {
  for (const view of views) view.hidden = view.dataset.view !== name;
  const element = document.querySelector('[data-view="' + name + '"] > *');
  if (element) requestAnimationFrame(() => element.focus());
}
document.addEventListener('gatehouse-navigate', (event) => {
  const to = event.detail && event.detail.to;
  if (!views.some((view) => view.dataset.view === to)) return;
  event.preventDefault();
  show(to);
});

if (config.redirect) {
  let handedOver = false;
  document.addEventListener('gatehouse-signed-in', () => {
    const user = app.currentUser;
    if (handedOver || !user || !user.refreshToken) return;
    handedOver = true;
    const fields = [['_baas_client_app_id', config.appId]];
    if (config.state) fields.push(['_baas_state', config.state]);
    fields.push(['_baas_ua', [user.accessToken, user.refreshToken, user.id, user.deviceId || ''].join('$')]);
    location.replace(config.redirect + '#' + fields.map(([k, v]) => k + '=' + encodeURIComponent(v)).join('&'));
  });
}
`;

/** The language of a hosted page: `?lang`, else `Accept-Language`, among the built-in and the app's; else English. */
export function pageLanguage(app: AppSettings | undefined, lang: string | undefined, acceptLanguage: string | null) {
  const available = new Set<string>(BUILT_IN_LANGUAGES);
  for (const own of Object.keys(app?.branding.messages ?? {})) available.add(own);
  return pickLanguage(requestedLanguages(acceptLanguage, lang), available);
}

const COLOR_PROPERTIES: Record<string, string> = {
  primary: '--gatehouse-color-primary',
  onPrimary: '--gatehouse-color-on-primary',
  text: '--gatehouse-color-text',
  muted: '--gatehouse-color-muted',
  background: '--gatehouse-color-background',
  border: '--gatehouse-color-border',
  error: '--gatehouse-color-error',
  success: '--gatehouse-color-success',
  focus: '--gatehouse-color-focus',
  page: '--hosted-page-background',
};

export interface HostedPageInput {
  app: AppSettings | undefined;
  lang: string;
  title: string;
  /** The page's content, already HTML. */
  body: string;
  /** For the page script; absent on pages without elements (refusals). */
  script?: { baseUrl: string; redirect?: string; state?: string };
}

/**
 * A hosted page as a response: the HTML shell and its headers — a fresh nonce for the one inline style, scripts
 * from Gatehouse only, no framing, no referrer.
 */
export function hostedPage(input: HostedPageInput, status = 200): Response {
  const nonce = randomBytes(16).toString('base64');
  const { app, lang } = input;
  const branding = app?.branding;
  const dir = RTL_LANGUAGES.has(lang.split('-')[0] ?? '') ? 'rtl' : 'ltr';
  const colors = Object.entries(branding?.colors ?? {})
    .filter(([key, value]) => COLOR_PROPERTIES[key] && typeof value === 'string')
    .map(([key, value]) => `${COLOR_PROPERTIES[key]}:${value};`)
    .join('');
  const logoOrigin = branding?.logoUrl ? new URL(branding.logoUrl).origin : '';
  const config = input.script && {
    appId: app?.id,
    baseUrl: input.script.baseUrl,
    redirect: input.script.redirect ?? null,
    state: input.script.state ?? null,
    messages: branding?.messages ?? {},
  };
  const header = app
    ? `<header class="brand">${branding?.logoUrl ? `<img class="logo" src="${escapeHtml(branding.logoUrl)}" alt="" height="48">` : ''}<h1 class="app-name">${escapeHtml(app.name)}</h1></header>`
    : '';
  const html = `<!doctype html>
<html lang="${escapeHtml(lang)}" dir="${dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escapeHtml(input.title)}</title>
<style nonce="${nonce}">
:root{--hosted-page-background:#f4f4f5;${colors}}
body{margin:0;min-height:100vh;background:var(--hosted-page-background);color:var(--gatehouse-color-text,#1d1d1f);font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{box-sizing:border-box;max-width:28rem;margin:0 auto;padding:2rem 1rem}
.card{background:var(--gatehouse-color-background,#fff);border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.brand{display:flex;align-items:center;gap:.75rem;margin:0 0 1rem}
.logo{height:48px;width:auto}
.app-name{margin:0;font-size:1.25rem;font-weight:600}
h2{font-size:1.4rem;margin:0 0 .75rem}
.error{color:var(--gatehouse-color-error,#b00020)}
.back{margin:1.25rem 0 0}
a{color:var(--gatehouse-color-primary,#1f5fbf)}
.back a{display:inline-block;min-height:44px;line-height:44px}
noscript form{margin-top:1rem}
noscript label{display:block;margin:.75rem 0 .25rem}
noscript input{box-sizing:border-box;width:100%;min-height:44px;font:inherit}
noscript button{min-height:44px;margin-top:1rem;font:inherit}
</style>
${config ? '<script type="module" src="../../ui/hosted.js"></script>' : ''}
</head>
<body>
<main>
${header}
<div class="card">
${input.body}
</div>
${branding?.appUrl && app ? `<p class="back"><a href="${escapeHtml(branding.appUrl)}">${escapeHtml(backText(lang, app))}</a></p>` : ''}
</main>
${config ? `<script type="application/json" id="gatehouse-page">${JSON.stringify(config).replace(/</g, '\\u003c')}</script>` : ''}
</body>
</html>
`;
  const connect = input.script ? ` ${new URL(input.script.baseUrl).origin}` : '';
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': [
        "default-src 'none'",
        "script-src 'self'",
        `style-src 'nonce-${nonce}'`,
        `img-src 'self'${logoOrigin ? ` ${logoOrigin}` : ''}`,
        `connect-src 'self'${connect}`,
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    },
  });
}

function backText(lang: string, app: AppSettings): string {
  return hostedWords(lang, app.name).backToApp;
}
