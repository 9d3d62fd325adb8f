import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { ServerContext } from '../context.js';
import { renderOutboxPage } from '../email/index.js';
import { json } from '../http/responses.js';
import { escapeHtml } from '../pages/layout.js';
import type { GatehouseEnv } from './env.js';

/**
 * Development-only pages, mounted only with `dangerouslyEnableDevPages` (what `gatehouse dev` sets):
 * the demo page at `/` (built from the login UI's elements, its script at `/dev/demo.js`) and the mail
 * outbox at `/dev/outbox` (and `/dev/outbox.json`).
 */
export function devRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const dev = new Hono<GatehouseEnv>();
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    // The demo page and the outbox show live tokens and links: no other page may frame them (clickjacking).
    'content-security-policy': "frame-ancestors 'none'",
    'x-frame-options': 'DENY',
  };

  dev.get('/', () => {
    const [app] = ctx.config.apps.values();
    const nonce = randomBytes(16).toString('base64');
    const api = new URL(ctx.config.publicUrl).origin;
    return new Response(demoPage(app?.id ?? '', app?.name ?? 'Gatehouse', ctx.config.publicUrl, nonce), {
      headers: {
        ...headers,
        // The page is the login UI's elements: scripts from Gatehouse only, its one style by nonce.
        'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'nonce-${nonce}'; connect-src 'self' ${api}; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
      },
    });
  });
  dev.get(
    '/dev/demo.js',
    () =>
      new Response(DEMO_SCRIPT, {
        headers: {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        },
      }),
  );
  // Mail is written to the durable queue and delivered just after: the outbox lets that finish first, so a
  // mail shows as soon as the call that sent it has answered.
  const listed = async () => {
    await ctx.settled(2_000);
    return ctx.outbox?.list() ?? [];
  };
  dev.get(
    '/dev/outbox',
    async () => new Response(renderOutboxPage(await listed(), { title: 'Gatehouse outbox' }), { headers }),
  );
  dev.get('/dev/outbox.json', async () => json(await listed()));
  return dev;
}

/**
 * The demo page: the product itself — `<gatehouse-login-buttons>` (sign in, create account, forgot password,
 * change password, sign out), continue as a guest and save the account, the device list — with the signed-in
 * user and its access token's claims beside it, and the two lines that put the same sign-in on any page.
 */
function demoPage(appId: string, appName: string, publicUrl: string, nonce: string): string {
  const snippet = `<script type="module" src="${publicUrl}/ui/gatehouse-ui.js"></script>
<gatehouse-login-buttons app-id="${appId}" base-url="${publicUrl}"></gatehouse-login-buttons>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Gatehouse demo — ${escapeHtml(appName)}</title>
<style nonce="${nonce}">
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d1d1f; background: #f4f4f5; }
  .bar { display: flex; align-items: center; gap: 1rem; padding: .5rem 1rem; background: #fff; border-bottom: 1px solid #d4d4d8; }
  .bar h1 { font-size: 1.2rem; margin: 0; } .bar .app { color: #52525b; flex: 1; } .bar code { color: #1d1d1f; }
  .bar { flex-wrap: wrap; } .bar gatehouse-login-buttons { margin-inline-start: auto; }
  @media (max-width: 600px) { .bar .app { order: 3; flex-basis: 100%; font-size: .9rem; } }
  main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
  .grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); align-items: start; }
  .card { background: #fff; border-radius: 10px; padding: 1rem 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,.1); }
  .card[hidden] { display: none; }
  h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
  pre { background: #f6f6f6; padding: .75rem; overflow: auto; font-size: 13px; border-radius: 6px; margin: 0 0 .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
  a { color: #1f5fbf; }
</style>
<script type="module" src="ui/gatehouse-ui.js"></script>
<script type="module" src="dev/demo.js"></script>
</head>
<body app-id="${escapeHtml(appId)}" base-url="${escapeHtml(publicUrl)}">
<header class="bar">
  <h1>Gatehouse</h1>
  <span class="app">App <code>${escapeHtml(appId)}</code> — development mode</span>
  <gatehouse-login-buttons align="right"></gatehouse-login-buttons>
</header>
<main>
  <p>This page is Gatehouse's login UI, talking to this server. Sign up with any address: mail is not sent, it
  waits in the <a href="dev/outbox" target="_blank">outbox</a>. Put the same sign-in on your page with two lines:</p>
  <pre><code>${escapeHtml(snippet)}</code></pre>
  <div class="grid">
    <section class="card" id="guest" aria-label="Guest"><gatehouse-guest></gatehouse-guest></section>
    <section class="card" id="devices" aria-label="Your devices" hidden><gatehouse-sessions></gatehouse-sessions></section>
    <section class="card" aria-labelledby="who">
      <h2 id="who">Current user</h2>
      <pre id="user">Nobody is signed in.</pre>
      <h2>Access token claims</h2>
      <pre id="claims">—</pre>
    </section>
  </div>
</main>
</body>
</html>
`;
}

/** The demo page's script: shows the signed-in user and its access token's claims as the SDK's store changes. */
const DEMO_SCRIPT = `import { appFor } from '../ui/gatehouse-ui.js';

const app = appFor(document.body.getAttribute('app-id'), document.body.getAttribute('base-url'));
const claims = (jwt) => {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
};
function show() {
  const user = app.currentUser;
  const userView = document.getElementById('user');
  const claimsView = document.getElementById('claims');
  const signedIn = Boolean(user && user.isLoggedIn && user.accessToken);
  // The guest card serves signed-out people and guests; the device list, whoever is signed in.
  document.getElementById('guest').hidden = signedIn && user.providerType !== 'anon-user';
  document.getElementById('devices').hidden = !signedIn;
  if (!signedIn) {
    userView.textContent = 'Nobody is signed in.';
    claimsView.textContent = '—';
    return;
  }
  userView.textContent = JSON.stringify({ id: user.id, providerType: user.providerType, profile: user.profile }, null, 2);
  const c = claims(user.accessToken);
  c.exp_iso = new Date(c.exp * 1000).toISOString();
  claimsView.textContent = JSON.stringify(c, null, 2);
}
app.addListener(show);
show();
`;
