import { GatehouseError, isGatehouseError } from '@gatehouse/core';
import { Hono } from 'hono';
import { errorResponse } from '../app-services/errors.js';
import type { ServerContext } from '../context.js';
import type { GatehouseEnv } from '../http/env.js';
import { json } from '../http/responses.js';
import { authenticateAccess, bearerToken } from '../sessions/index.js';
import { finishRedirectLogin, startRedirectLogin } from './redirect-flow.js';

/**
 * The two GET routes of the OAuth2 redirect flow (spec §0 rows 21–22, §8), mounted under `/api/client/v2.0`:
 * `GET /app/{app}/auth/providers/{p}/login` (the POST login route is separate) and `GET /auth/callback`.
 */

/** Headers on every answer of the flow: URLs here carry codes and states (RFC 9700 §4.2, §4.3). */
const PRIVATE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } as const;

/** Query parameters sent twice are refused (parameter pollution, CVE-2026-9689). */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1)
    throw new GatehouseError('InvalidParameter', `invalid request: '${name}' given more than once`);
  return values[0];
}

function withPrivacy(response: Response): Response {
  for (const [name, value] of Object.entries(PRIVATE)) response.headers.set(name, value);
  return response;
}

function redirectTo(location: string): Response {
  return new Response(null, { status: 302, headers: { location, ...PRIVATE } });
}

function refusal(ctx: ServerContext, error: unknown): Response {
  if (!isGatehouseError(error)) ctx.logger.error({ err: String(error).slice(0, 300) }, 'OAuth redirect route failed');
  return withPrivacy(errorResponse(error));
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
      // §8.3: the link request carries the linking user's access token; the popup that follows carries
      // nothing, so the pending link is bound to that session server-side.
      const linking =
        link === undefined
          ? undefined
          : await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
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
      const outcome = await finishRedirectLogin(ctx, new URL(c.req.url).searchParams, c.env.requestInfo);
      if ('redirect' in outcome) return redirectTo(outcome.redirect);
      return refusal(ctx, outcome.refused);
    } catch (error) {
      return refusal(ctx, error);
    }
  });

  return api;
}
