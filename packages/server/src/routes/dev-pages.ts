import { Hono } from 'hono';
import type { ServerContext } from '../context.js';
import { renderOutboxPage } from '../email/index.js';
import { json } from '../http/responses.js';
import { escapeHtml } from '../pages/layout.js';
import type { GatehouseEnv } from './env.js';

/**
 * Development-only pages, mounted only with `dangerouslyEnableDevPages` (what `gatehouse dev` sets):
 * the demo page at `/` and the mail outbox at `/dev/outbox` (and `/dev/outbox.json`).
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
    return new Response(demoPage(app?.id ?? '', app?.name ?? 'Gatehouse', ctx.config.publicUrl), { headers });
  });
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
 * The demo page: sign up, confirm through the outbox, sign in, see the user and its token claims, sign out
 * — speaking the App Services API with plain `fetch`, exactly as realm-web does.
 */
function demoPage(appId: string, appName: string, publicUrl: string): string {
  const config = JSON.stringify({ appId, baseUrl: publicUrl }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse demo — ${escapeHtml(appName)}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.6rem; margin-bottom: 0 } .sub { color: #666; margin-top: .25rem }
  section { border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
  h2 { font-size: 1.1rem; margin: 0 0 .5rem } input { padding: .4rem; font: inherit; margin: .2rem 0; width: 16rem }
  button { padding: .4rem .9rem; font: inherit; margin: .2rem .3rem .2rem 0; cursor: pointer }
  pre { background: #f6f6f6; padding: .75rem; overflow: auto; font-size: 13px; border-radius: 6px }
  #status { min-height: 1.5em } .error { color: #b00020 } .ok { color: #0a7a32 }
</style>
</head>
<body>
<h1>Gatehouse</h1>
<p class="sub">App <code id="app"></code> on <code id="base"></code> — development mode. Mail goes to the <a href="/dev/outbox" target="_blank">outbox</a>.</p>
<p id="status"></p>
<section>
  <h2>Email and password</h2>
  <input id="email" type="email" placeholder="you@example.com" autocomplete="username"><br>
  <input id="password" type="password" placeholder="password (8+ characters)" autocomplete="current-password"><br>
  <button id="register">Sign up</button><button id="login">Sign in</button><button id="reset">Send reset mail</button>
</section>
<section>
  <h2>Anonymous</h2>
  <button id="anon">Sign in anonymously</button>
</section>
<section>
  <h2>Current user</h2>
  <button id="refresh">Refresh access token</button><button id="logout">Sign out</button>
  <pre id="user">Nobody is signed in.</pre>
  <h2>Access token claims</h2>
  <pre id="claims">—</pre>
</section>
<script>
const { appId, baseUrl } = ${config};
const api = baseUrl + '/api/client/v2.0';
const $ = (id) => document.getElementById(id);
$('app').textContent = appId; $('base').textContent = baseUrl;
const key = 'gatehouse-demo:' + appId;
let session = JSON.parse(localStorage.getItem(key) || 'null');
const save = () => session ? localStorage.setItem(key, JSON.stringify(session)) : localStorage.removeItem(key);
const status = (text, ok) => { $('status').textContent = text; $('status').className = ok ? 'ok' : 'error'; };
async function call(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(api + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(data.error + ' (' + data.error_code + ')');
  return data;
}
function claims(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(decodeURIComponent(escape(atob(part))));
}
async function show() {
  if (!session) { $('user').textContent = 'Nobody is signed in.'; $('claims').textContent = '—'; return; }
  try {
    const profile = await call('GET', '/auth/profile', { token: session.access_token });
    $('user').textContent = JSON.stringify(profile, null, 2);
  } catch (e) {
    if (!/InvalidSession/.test(e.message)) throw e;
    await refresh();
    return show();
  }
  const c = claims(session.access_token);
  c.exp_iso = new Date(c.exp * 1000).toISOString();
  $('claims').textContent = JSON.stringify(c, null, 2);
}
async function refresh() {
  try {
    const { access_token } = await call('POST', '/auth/session', { token: session.refresh_token });
    session.access_token = access_token; save();
  } catch (e) { session = null; save(); throw e; }
}
const guard = (fn) => async () => { try { await fn(); } catch (e) { status(e.message, false); } };
const creds = () => ({ email: $('email').value, password: $('password').value });
$('register').onclick = guard(async () => {
  await call('POST', '/app/' + appId + '/auth/providers/local-userpass/register', { body: creds() });
  status('Signed up. Open the outbox to confirm your email, then sign in.', true);
});
$('login').onclick = guard(async () => {
  const { email, password } = creds();
  session = await call('POST', '/app/' + appId + '/auth/providers/local-userpass/login', { body: { username: email, password } });
  save(); status('Signed in.', true); await show();
});
$('reset').onclick = guard(async () => {
  await call('POST', '/app/' + appId + '/auth/providers/local-userpass/reset/send', { body: { email: $('email').value } });
  status('If that address has an account, a reset mail is in the outbox.', true);
});
$('anon').onclick = guard(async () => {
  session = await call('POST', '/app/' + appId + '/auth/providers/anon-user/login', { body: {} });
  save(); status('Signed in anonymously.', true); await show();
});
$('refresh').onclick = guard(async () => { if (!session) return; await refresh(); status('Access token refreshed.', true); await show(); });
$('logout').onclick = guard(async () => {
  if (!session) return;
  try { await call('DELETE', '/auth/session', { token: session.refresh_token }); } finally { session = null; save(); }
  status('Signed out.', true); await show();
});
guard(show)();
</script>
</body>
</html>
`;
}
