import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { Hono } from 'hono';
import type { AppSettings, ServerContext } from '../../context.js';
import { assertNoNul, readBodyText } from '../../http/body.js';
import type { GatehouseEnv } from '../../routes/env.js';
import { statusOf } from '../../routes/errors.js';
import { finishExternalLogin, type Outcome, startExternalLogin } from './flow.js';
import { failurePage, type RenderedPage } from './pages.js';

/**
 * `/_oauth/<service>` for the first app of the configuration (a Meteor app whose ROOT_URL is Gatehouse, or
 * that routes `/_oauth/*` to it) and `/app/<id>/_oauth/<service>` for any app. GET (query) and POST (form or
 * JSON body, e.g. a `form_post` answer), as Meteor's middleware accepts.
 */
export function externalServiceRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const routes = new Hono<GatehouseEnv>();
  const handle = async (
    app: AppSettings | undefined,
    service: string,
    request: Request,
    info: GatehouseEnv['Bindings']['requestInfo'],
  ) => {
    try {
      if (!app) throw new GatehouseError('AppNotFound', 'no such app');
      const params = await paramsOf(ctx, request);
      if (params.has('requestTokenAndRedirect'))
        return respond(await startExternalLogin(ctx, app, service, params, info));
      return respond(await finishExternalLogin(ctx, app, service, params));
    } catch (error) {
      if (!isGatehouseError(error))
        ctx.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'external login route failed',
        );
      const status = isGatehouseError(error) ? statusOf(error.code) : 500;
      const message = isGatehouseError(error) && status < 500 ? error.message : 'internal server error';
      return page(failurePage(message, status));
    }
  };
  const firstApp = () => ctx.config.apps.values().next().value;
  // Meteor's Twitter client starts at `_oauth/twitter/?requestTokenAndRedirect=true`: a trailing slash is fine.
  for (const suffix of ['', '/']) {
    routes.on(['GET', 'POST'], `/_oauth/:service${suffix}`, (c) =>
      handle(firstApp(), c.req.param('service'), c.req.raw, c.env.requestInfo),
    );
    routes.on(['GET', 'POST'], `/app/:appId/_oauth/:service${suffix}`, (c) =>
      handle(ctx.config.apps.get(c.req.param('appId')), c.req.param('service'), c.req.raw, c.env.requestInfo),
    );
  }
  return routes;
}

/** The query, or for a POST the form or JSON body (string values only). */
async function paramsOf(ctx: ServerContext, request: Request): Promise<URLSearchParams> {
  const params = new URL(request.url).searchParams;
  if (request.method === 'POST') {
    const text = await readBodyText(request, ctx.config.limits.maxBodyBytes);
    const type = request.headers.get('content-type') ?? '';
    if (/^application\/json\b/i.test(type) && text.trim() !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new GatehouseError('BadRequest', 'request body is not valid JSON');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new GatehouseError('BadRequest', 'request body must be a JSON object');
      for (const [k, v] of Object.entries(body)) if (typeof v === 'string') params.append(k, v);
    } else if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
      for (const [k, v] of new URLSearchParams(text)) params.append(k, v);
    } else if (text.trim() !== '') throw new GatehouseError('UnsupportedMediaType', 'expected a form or JSON body');
  }
  for (const [k, v] of params) assertNoNul([k, v]);
  return params;
}

const PRIVATE = {
  'cache-control': 'no-store',
  // The URLs here carry codes and states: never in a Referer.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function respond(outcome: Outcome): Response {
  if ('redirect' in outcome)
    return new Response(null, { status: 302, headers: { location: outcome.redirect, ...PRIVATE } });
  return page(outcome.page);
}

function page(rendered: RenderedPage): Response {
  return new Response(rendered.html, {
    status: rendered.status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': rendered.csp, ...PRIVATE },
  });
}
