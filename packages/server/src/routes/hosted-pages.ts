import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { type Context, Hono } from 'hono';
import { confirmEmail, resetPassword } from '../accounts/index.js';
import type { AppSettings, ServerContext } from '../context.js';
import { asServiceUnavailable } from '../health/outages.js';
import { assertNoNul, readBodyText } from '../http/body.js';
import { html } from '../http/responses.js';
import { HOSTED_SCRIPT, hostedPage, pageLanguage, uiBundle } from '../pages/hosted.js';
import { hostedWords } from '../pages/hosted-words.js';
import { escapeHtml, page } from '../pages/layout.js';
import type { GatehouseEnv } from './env.js';

/**
 * The hosted pages: the sign-in page (`/app/<id>/login?redirect=…`) for apps that embed nothing (with
 * `?loginToken=…` it shows a passwordless mail's code instead), and the pages email links land on (`/app/<id>/confirm`, `/app/<id>/reset`, with `token` and `tokenId` in the query), all
 * built from the login UI's elements, in the app's colours and the visitor's language. Opening a link never
 * spends its token — mail scanners prefetch links — a button press does. Without JavaScript, the confirm and
 * reset pages still work: a plain HTML form posts back to the same address.
 */
export function hostedPages(ctx: ServerContext): Hono<GatehouseEnv> {
  const pages = new Hono<GatehouseEnv>();

  const appOf = (id: string): AppSettings | undefined => ctx.config.apps.get(id);
  const languageOf = (c: Context<GatehouseEnv>, app: AppSettings | undefined) =>
    pageLanguage(app, c.req.query('lang'), c.req.header('accept-language') ?? null);
  const notFound = (c: Context<GatehouseEnv>) => {
    const lang = languageOf(c, undefined);
    const words = hostedWords(lang, '');
    return hostedPage(
      {
        app: undefined,
        lang,
        title: words.notFoundTitle,
        body: `<h1>${escapeHtml(words.notFoundTitle)}</h1><p>${escapeHtml(words.notFound)}</p>`,
      },
      404,
    );
  };
  const hidden = (token: string, tokenId: string) =>
    `<input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="tokenId" value="${escapeHtml(tokenId)}">`;
  const invalidLink = (c: Context<GatehouseEnv>, app: AppSettings) => {
    const lang = languageOf(c, app);
    return hostedPage(
      {
        app,
        lang,
        title: app.name,
        body: `<p class="error" role="alert">${escapeHtml(hostedWords(lang, app.name).incompleteLink)}</p>`,
      },
      400,
    );
  };
  const signInHref = (app: AppSettings) =>
    app.branding.appUrl ? ` sign-in-href="${escapeHtml(app.branding.appUrl)}"` : '';

  // The UI's browser bundle and the hosted pages' script. Any page may load the bundle (it holds no secret),
  // so it is served to other origins too: `<script type="module">` fetches in CORS mode.
  pages.get('/ui/gatehouse-ui.js', async (c) => {
    const built = await uiBundle();
    if (built === null) return new Response('@gatehouse-auth/ui is not built: run `npm run build`', { status: 404 });
    const gzip = /\bgzip\b/i.test(c.req.header('accept-encoding') ?? '');
    return script(gzip ? built.gzipped : built.code, true, gzip);
  });
  pages.get('/ui/hosted.js', () => script(HOSTED_SCRIPT, false));

  pages.get('/app/:appId/login', (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound(c);
    const lang = languageOf(c, app);
    const words = hostedWords(lang, app.name);
    // Where a passwordless mail's link lands when the app set no `loginTokenUrl`: the code, to type in where the
    // user asked for it (this page signs nobody in — it cannot know which client asked).
    const loginToken = c.req.query('loginToken');
    if (loginToken !== undefined) {
      if (!app.accounts.passwordless) return notFound(c);
      if (!/^[0-9A-Fa-f]{1,32}$/.test(loginToken)) return invalidLink(c, app);
      return hostedPage({
        app,
        lang,
        title: `Your sign-in code — ${app.name}`,
        body: `<h2>Your sign-in code</h2><p>Type this code where you asked to sign in to ${escapeHtml(app.name)}:</p>
<p class="ok"><strong>${escapeHtml(loginToken.toUpperCase())}</strong></p>`,
      });
    }
    const redirects = c.req.queries('redirect') ?? [];
    const state = c.req.query('state');
    // Exactly one `redirect`, matched exactly against the app's list (as the OAuth redirect flow does), and
    // a state realm-web could have made: else a refusal page, and never a redirect.
    const redirect = redirects.length === 1 ? (redirects[0] as string) : undefined;
    const allowed =
      redirect !== undefined &&
      redirect.length <= 2048 &&
      app.oauthRedirectUris.includes(redirect) &&
      (state === undefined || /^[A-Za-z0-9_-]{1,64}$/.test(state));
    if (!allowed) {
      const text = redirect === undefined ? words.noRedirect : words.badRedirect;
      return hostedPage(
        {
          app,
          lang,
          title: words.badRedirectTitle,
          body: `<h2>${escapeHtml(words.badRedirectTitle)}</h2><p class="error" role="alert">${escapeHtml(text)}</p>`,
        },
        400,
      );
    }
    return hostedPage({
      app,
      lang,
      title: words.signInTitle,
      script: { baseUrl: ctx.config.publicUrl, redirect, ...(state ? { state } : {}) },
      body: `<div data-view="sign-in"><gatehouse-sign-in navigable></gatehouse-sign-in></div>
<div data-view="sign-up" hidden><gatehouse-sign-up navigable></gatehouse-sign-up></div>
<div data-view="forgot-password" hidden><gatehouse-forgot-password navigable></gatehouse-forgot-password></div>
<noscript><p class="error">${escapeHtml(words.needsJavaScript)}</p></noscript>`,
    });
  });

  pages.get('/app/:appId/confirm', (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound(c);
    const token = c.req.query('token');
    const tokenId = c.req.query('tokenId');
    if (!token || !tokenId) return invalidLink(c, app);
    const lang = languageOf(c, app);
    return hostedPage({
      app,
      lang,
      title: hostedWords(lang, app.name).confirmTitle,
      script: { baseUrl: ctx.config.publicUrl },
      body: `<div data-view="confirm"><gatehouse-confirm-email${signInHref(app)}></gatehouse-confirm-email></div>
<noscript><h2>Confirm your email</h2><p>Confirm the email address of your ${escapeHtml(app.name)} account.</p>
<form method="post">${hidden(token, tokenId)}<button type="submit">Confirm my email</button></form></noscript>`,
    });
  });

  pages.post('/app/:appId/confirm', async (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound(c);
    const form = await readForm(c.req.raw, ctx.config.limits.maxBodyBytes);
    try {
      await confirmEmail(
        ctx,
        app,
        { token: form.get('token') ?? '', tokenId: form.get('tokenId') ?? '' },
        c.env.requestInfo,
      );
    } catch (error) {
      return failure(app, 'Confirm your email', error);
    }
    return html(
      page(
        app.name,
        `<h1>Email confirmed</h1><p class="ok">Your email address is confirmed. You can sign in to ${escapeHtml(app.name)} now.</p>`,
      ),
    );
  });

  const resetForm = (token: string, tokenId: string, message = '') =>
    `<h2>Choose a new password</h2>${message}
<form method="post">${hidden(token, tokenId)}
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required>
<label for="confirm">Repeat it</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<button type="submit">Set password</button></form>`;
  const resetPage = (app: AppSettings, token: string, tokenId: string, message = '') =>
    page(
      `Choose a new password — ${app.name}`,
      `<h1>${escapeHtml(app.name)}</h1>${resetForm(token, tokenId, message)}`,
    );

  pages.get('/app/:appId/reset', (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound(c);
    const token = c.req.query('token');
    const tokenId = c.req.query('tokenId');
    if (!token || !tokenId) return invalidLink(c, app);
    const lang = languageOf(c, app);
    return hostedPage({
      app,
      lang,
      title: hostedWords(lang, app.name).resetTitle,
      script: { baseUrl: ctx.config.publicUrl },
      body: `<div data-view="reset"><gatehouse-reset-password forgot-password-href="#forgot-password"${signInHref(app)}></gatehouse-reset-password></div>
<div data-view="forgot-password" hidden><gatehouse-forgot-password${signInHref(app)}></gatehouse-forgot-password></div>
<noscript>${resetForm(token, tokenId)}</noscript>`,
    });
  });

  pages.post('/app/:appId/reset', async (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound(c);
    const form = await readForm(c.req.raw, ctx.config.limits.maxBodyBytes);
    const token = form.get('token') ?? '';
    const tokenId = form.get('tokenId') ?? '';
    const password = form.get('password') ?? '';
    if (password !== (form.get('confirm') ?? '')) {
      return html(resetPage(app, token, tokenId, '<p class="error">The two passwords differ.</p>'), 400);
    }
    try {
      await resetPassword(ctx, app, { token, tokenId, password }, c.env.requestInfo);
    } catch (error) {
      // A refused password leaves the link usable: show the form again with the reason.
      if (isGatehouseError(error) && error.code === 'PasswordPolicy') {
        return html(resetPage(app, token, tokenId, `<p class="error">${escapeHtml(error.message)}.</p>`), 400);
      }
      return failure(app, 'Choose a new password', error);
    }
    return html(
      page(
        app.name,
        `<h1>Password changed</h1><p class="ok">Your new password is set, and you were signed out everywhere. Sign in to ${escapeHtml(app.name)} again.</p>`,
      ),
    );
  });

  return pages;
}

function failure(app: AppSettings, title: string, thrown: unknown): Response {
  const error = asServiceUnavailable(thrown) ?? thrown;
  if (!isGatehouseError(error)) throw error;
  const text =
    error.code === 'UserpassTokenInvalid'
      ? 'This link is invalid, was already used, or has expired. Ask for a new one.'
      : error.code === 'ServiceBusy' || error.code === 'TooManyRequests' || error.code === 'ServiceUnavailable'
        ? 'The server is busy. Try again in a moment.'
        : error.message;
  return html(
    page(app.name, `<h1>${escapeHtml(title)}</h1><p class="error">${escapeHtml(text)}</p>`),
    error.code === 'ServiceBusy' || error.code === 'ServiceUnavailable' ? 503 : 400,
  );
}

async function readForm(request: Request, maxBytes: number): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type))
    throw new GatehouseError('UnsupportedMediaType', 'expected a form');
  const form = new URLSearchParams(await readBodyText(request, maxBytes));
  for (const [k, v] of form) assertNoNul([k, v]);
  return form;
}

function script(code: string | Uint8Array<ArrayBuffer>, crossOrigin: boolean, gzipped = false): Response {
  return new Response(code, {
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
      ...(crossOrigin ? { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' } : {}),
    },
  });
}
