import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { Hono, type MiddlewareHandler } from 'hono';
import { adminConsolePage } from '../admin/console.js';
import type { ServerContext } from '../context.js';
import { json } from '../http/responses.js';
import { serverVersion } from '../metrics/index.js';
import { externalServiceRoutes } from '../oauth/meteor/routes.js';
import { adminConsoleOperation, adminOperations } from '../openapi/admin-operations.js';
import { openApiDocument } from '../openapi/document.js';
import { allOperations } from '../openapi/operations.js';
import { jwks } from '../tokens/keys.js';
import { adminApiRoutes } from './admin/index.js';
import { ADMIN_PREFIX } from './admin/schemas.js';
import { clientApiRoutes } from './client-api.js';
import { devRoutes } from './dev-pages.js';
import type { GatehouseEnv } from './env.js';
import { errorResponse, statusOf } from './errors.js';
import { hostedPages } from './hosted-pages.js';

/**
 * Every HTTP route of a Gatehouse, in one router: health and readiness, the published keys, the App Services
 * client API (`/api/client/v2.0`), Meteor's external-service callbacks (`/_oauth/<service>`), the hosted pages
 * email links land on (`/app/<id>/…`), the OpenAPI document describing them all (`/api/openapi.json`), and — in development only — the demo page and the mail outbox.
 * `before` runs ahead of every route (request observation).
 */
export function httpRoutes(
  ctx: ServerContext,
  before: readonly MiddlewareHandler<GatehouseEnv>[] = [],
  options: {
    /** What `/readyz` waits for: the database's answer within its own short limit (default: `storage.ping()`). */
    ready?: () => Promise<void>;
  } = {},
): Hono<GatehouseEnv> {
  const router = new Hono<GatehouseEnv>();
  const ready = options.ready ?? (() => ctx.storage.ping());
  router.onError((error, c) => {
    const status = isGatehouseError(error) ? statusOf(error.code) : 500;
    // A database outage is logged once for all the requests it fails (with a count), not once per request.
    if (status >= 500 && !ctx.outages.note(error))
      ctx.logger.error(
        { err: describe(error), method: c.req.method, path: new URL(c.req.url).pathname },
        'request failed',
      );
    return errorResponse(error);
  });
  router.notFound(() => errorResponse(new GatehouseError('NotFound', 'no such endpoint')));
  for (const middleware of before) router.use(middleware);

  router.get('/healthz', () => json({ status: 'ok' }));
  router.get('/readyz', async () => {
    try {
      await ready();
      return json({ status: 'ready' });
    } catch (error) {
      if (!ctx.outages.note(error, 'readiness check'))
        ctx.logger.warn({ err: describe(error) }, 'readiness check failed');
      return json({ status: 'unavailable', error: 'database unreachable', error_code: 'ServiceUnavailable' }, 503);
    }
  });
  const keySet = jwks(ctx.keys);
  router.get('/.well-known/jwks.json', () => json(keySet, 200, { 'cache-control': 'public, max-age=300' }));
  // The OpenAPI 3.1 document of the routes mounted here (docs/http-api.md), built on first request. A module
  // mounting routes below appends its operations to `described` next to its `router.route(…)`.
  const described = allOperations({ devPages: ctx.config.dangerouslyEnableDevPages });
  let document: string | undefined;
  router.get('/api/openapi.json', () => {
    document ??= JSON.stringify(
      openApiDocument(described, { version: serverVersion(), serverUrl: ctx.config.publicUrl }),
    );
    return new Response(document, {
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
    });
  });
  router.route('/api/client/v2.0', clientApiRoutes(ctx));
  router.route(ADMIN_PREFIX, adminApiRoutes(ctx));
  described.push(...adminOperations());
  // The admin console: off unless configured, so a deployment does not show an admin sign-in page by default.
  if (ctx.config.admin.console) {
    router.get('/admin', () => adminConsolePage());
    described.push(adminConsoleOperation);
  }
  // Meteor's `/_oauth/<service>` (and `/app/<id>/_oauth/<service>`): external services call back here.
  router.route('/', externalServiceRoutes(ctx));
  router.route('/', hostedPages(ctx));
  if (ctx.config.dangerouslyEnableDevPages) router.route('/', devRoutes(ctx));
  return router;
}

/**
 * The routes of a router, one per method and path: middleware (`use`, method `ALL`) left out, and a route
 * with several handlers (an auth check, then the handler) listed once.
 */
export function mountedRoutes(router: Hono<GatehouseEnv>): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const { method, path } of router.routes) if (method !== 'ALL') seen.set(`${method} ${path}`, { method, path });
  return [...seen.values()];
}

/** Error details for logs: message and stack, never request data. */
export function describe(error: unknown): object {
  return error instanceof Error
    ? { type: error.name, message: error.message, stack: error.stack }
    : { value: String(error) };
}
