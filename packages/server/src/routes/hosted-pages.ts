import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { Hono } from 'hono';
import { confirmEmail, resetPassword } from '../accounts/index.js';
import type { AppSettings, ServerContext } from '../context.js';
import { asServiceUnavailable } from '../health/outages.js';
import { assertNoNul, readBodyText } from '../http/body.js';
import { html } from '../http/responses.js';
import { escapeHtml, page } from '../pages/layout.js';
import type { GatehouseEnv } from './env.js';

/**
 * The pages email links land on (`/app/<id>/confirm`, `/app/<id>/reset`, with `token` and `tokenId` in the
 * query; `/app/<id>/login` shows a passwordless code). Opening a link never spends its token — mail scanners prefetch links — a button press does: the
 * page is a plain HTML form that posts back to the same address.
 */
export function hostedPages(ctx: ServerContext): Hono<GatehouseEnv> {
  const pages = new Hono<GatehouseEnv>();

  const appOf = (id: string): AppSettings | undefined => ctx.config.apps.get(id);
  const notFound = () =>
    html(page('Not found', '<h1>Not found</h1><p>This link does not belong to any app here.</p>'), 404);
  const hidden = (token: string, tokenId: string) =>
    `<input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="tokenId" value="${escapeHtml(tokenId)}">`;
  const invalidLink = (app: AppSettings) =>
    html(
      page(
        app.name,
        `<h1>${escapeHtml(app.name)}</h1><p class="error">This link is incomplete. Open the link from your email again.</p>`,
      ),
      400,
    );

  pages.get('/:appId/confirm', (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound();
    const token = c.req.query('token');
    const tokenId = c.req.query('tokenId');
    if (!token || !tokenId) return invalidLink(app);
    return html(
      page(
        `Confirm your email — ${app.name}`,
        `<h1>Confirm your email</h1><p>Confirm the email address of your ${escapeHtml(app.name)} account.</p>
<form method="post">${hidden(token, tokenId)}<button type="submit">Confirm my email</button></form>`,
      ),
    );
  });

  // Where a passwordless mail's link lands when the app set no `loginTokenUrl`: the code, to type in where the
  // user asked for it (this page signs nobody in — it cannot know which client asked).
  pages.get('/:appId/login', (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app?.accounts.passwordless) return notFound();
    const code = c.req.query('loginToken') ?? '';
    if (!/^[0-9A-Fa-f]{1,32}$/.test(code)) return invalidLink(app);
    return html(
      page(
        `Your sign-in code — ${app.name}`,
        `<h1>Your sign-in code</h1><p>Type this code where you asked to sign in to ${escapeHtml(app.name)}:</p>
<p class="ok"><strong>${escapeHtml(code.toUpperCase())}</strong></p>`,
      ),
    );
  });

  pages.post('/:appId/confirm', async (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound();
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

  const resetForm = (app: AppSettings, token: string, tokenId: string, message = '') =>
    page(
      `Choose a new password — ${app.name}`,
      `<h1>Choose a new password</h1>${message}
<form method="post">${hidden(token, tokenId)}
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required>
<label for="confirm">Repeat it</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<button type="submit">Set password</button></form>`,
    );

  pages.get('/:appId/reset', (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound();
    const token = c.req.query('token');
    const tokenId = c.req.query('tokenId');
    if (!token || !tokenId) return invalidLink(app);
    return html(resetForm(app, token, tokenId));
  });

  pages.post('/:appId/reset', async (c) => {
    const app = appOf(c.req.param('appId'));
    if (!app) return notFound();
    const form = await readForm(c.req.raw, ctx.config.limits.maxBodyBytes);
    const token = form.get('token') ?? '';
    const tokenId = form.get('tokenId') ?? '';
    const password = form.get('password') ?? '';
    if (password !== (form.get('confirm') ?? '')) {
      return html(resetForm(app, token, tokenId, '<p class="error">The two passwords differ.</p>'), 400);
    }
    try {
      await resetPassword(ctx, app, { token, tokenId, password }, c.env.requestInfo);
    } catch (error) {
      // A refused password leaves the link usable: show the form again with the reason.
      if (isGatehouseError(error) && error.code === 'PasswordPolicy') {
        return html(resetForm(app, token, tokenId, `<p class="error">${escapeHtml(error.message)}.</p>`), 400);
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
