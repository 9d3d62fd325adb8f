import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { Hono } from 'hono';
import { authenticateAccess } from '../accounts/index.js';
import type { ServerContext } from '../context.js';
import { assertNoNul, readBodyText } from '../http/body.js';
import { html, json, withHeaders } from '../http/responses.js';
import {
  type CallbackOutcome,
  confirmRedirectLink,
  finishRedirectLogin,
  startRedirectLogin,
} from '../oauth/redirect-flow.js';
import type { GatehouseEnv } from './env.js';
import { errorResponse } from './errors.js';
import { bearerToken } from './middleware.js';

/**
 * The two GET routes of the OAuth2 redirect flow (routes 21–22), mounted under `/api/client/v2.0`:
 * `GET /app/{app}/auth/providers/{p}/login` (the POST login route is separate) and `GET /auth/callback`.
 */

/** Headers on every answer of the flow: URLs here carry codes and states (RFC 9700 §4.2). */
const PRIVATE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } as const;

/** Query parameters sent twice are refused (parameter pollution, CVE-2026-9689). */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1)
    throw new GatehouseError('InvalidParameter', `invalid request: '${name}' given more than once`);
  return values[0];
}

function withPrivacy(response: Response): Response {
  return withHeaders(response, (headers) => {
    for (const [name, value] of Object.entries(PRIVATE)) headers.set(name, value);
  });
}

function redirectTo(location: string): Response {
  return new Response(null, { status: 302, headers: { location, ...PRIVATE } });
}

function refusal(ctx: ServerContext, error: unknown): Response {
  if (!isGatehouseError(error)) ctx.logger.error({ err: String(error).slice(0, 300) }, 'OAuth redirect route failed');
  return withPrivacy(errorResponse(error));
}

/** A callback's outcome as a response: the redirect, the refusal, or the link confirmation page. */
function answer(ctx: ServerContext, outcome: CallbackOutcome): Response {
  if ('redirect' in outcome) return redirectTo(outcome.redirect);
  if ('refused' in outcome) return refusal(ctx, outcome.refused);
  // The form posts here and is answered with a redirect to the app page: browsers apply `form-action` to that
  // redirect too, so the app's allowed pages are listed beside 'self'.
  const origins = [
    ...new Set([...ctx.config.apps.values()].flatMap((a) => a.oauthRedirectUris.map((u) => new URL(u).origin))),
  ];
  const csp = `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${origins.join(' ')}; base-uri 'none'; frame-ancestors 'none'`;
  return withHeaders(html(outcome.confirm.html), (headers) => {
    headers.set('content-security-policy', csp);
    for (const [name, value] of Object.entries(PRIVATE)) headers.set(name, value);
  });
}

export function oauthRedirectRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();

  api.get('/app/:appId/auth/providers/:provider/login', async (c) => {
    try {
      const appId = c.req.param('appId');
      const app = ctx.config.apps.get(appId);
      if (!app) throw new GatehouseError('AppNotFound', `cannot find app using Client App ID '${appId.slice(0, 100)}'`);
      const params = new URL(c.req.url).searchParams;
      const input = {
        state: single(params, 'state'),
        redirect: single(params, 'redirect'),
        device: single(params, 'device'),
      };
      const link = single(params, 'link');
      // the link request carries the linking user's access token; the popup that follows carries
      // nothing, so the pending link is bound to that session server-side.
      const linking =
        link === undefined ? undefined : await authenticateAccess(ctx, bearerToken(c.req.header('authorization')));
      const url = await startRedirectLogin(ctx, app, c.req.param('provider'), input, c.env.requestInfo, linking);
      // realm-web's link goes through fetch, which would follow a 3xx itself: it asks for a 2xx and a header.
      if (single(params, 'providerRedirectHeader') === 'true')
        return withPrivacy(json({}, 200, { 'x-baas-location': url }));
      return redirectTo(url);
    } catch (error) {
      return refusal(ctx, error);
    }
  });

  api.get('/auth/callback', async (c) => {
    try {
      return answer(ctx, await finishRedirectLogin(ctx, new URL(c.req.url).searchParams, c.env.requestInfo));
    } catch (error) {
      return refusal(ctx, error);
    }
  });

  // A link's confirmation page posts here (oauth/redirect-flow.ts, askToConfirmLink).
  api.post('/auth/callback/confirm', async (c) => {
    try {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/x-www-form-urlencoded\b/i.test(type))
        throw new GatehouseError('UnsupportedMediaType', 'expected a form');
      const form = new URLSearchParams(await readBodyText(c.req.raw, ctx.config.limits.maxBodyBytes));
      for (const [k, v] of form) assertNoNul([k, v]);
      return answer(ctx, await confirmRedirectLink(ctx, form));
    } catch (error) {
      return refusal(ctx, error);
    }
  });

  return api;
}
