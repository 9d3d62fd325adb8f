import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { GatehouseMetrics } from '../metrics/index.js';
import type { GatehouseEnv } from '../routes/env.js';
import { requestScope } from './request-scope.js';

/** Methods kept as they are in metric labels; anything else is counted as `OTHER` (labels stay bounded). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Middleware that notes, for each request Gatehouse answers, the route pattern it matched (never the path
 * itself, which holds ids) — into the request's scope, for its log line, and into the metrics with the status
 * and the time taken. Register it before the routes.
 *
 * @example
 * ```ts
 * router.use(observeRequests(metrics));
 * ```
 */
export function observeRequests(metrics: GatehouseMetrics | null): MiddlewareHandler<GatehouseEnv> {
  const observer: MiddlewareHandler<GatehouseEnv> = async (c, next) => {
    const started = performance.now();
    try {
      await next(); // Hono turns a thrown error into the error response (onError) before this returns
    } finally {
      const route = routeOf(c, observer);
      const scope = requestScope.getStore();
      if (scope) {
        scope.route = route;
        scope.address = c.env?.requestInfo?.address ?? null;
      }
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      metrics?.observeRequest(method, route, c.res.status, (performance.now() - started) / 1000);
    }
  };
  return observer;
}

/**
 * The pattern of the route that answered (`/api/client/v2.0/app/:appId/location`): the last route matched
 * after this middleware, or `unmatched` when only middleware matched (a 404 for an unknown path).
 */
function routeOf(c: Context<GatehouseEnv>, self: MiddlewareHandler<GatehouseEnv>): string {
  const routes = matchedRoutes(c);
  const last = routes.at(-1);
  if (!last || last.handler === self || last.path.endsWith('*')) return 'unmatched';
  return last.path;
}
