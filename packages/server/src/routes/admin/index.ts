import { GatehouseError } from '@gatehouse-auth/core';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { type AdminAccounts, adminAccounts } from '../../accounts/index.js';
import { type AdminKeyView, adminKeys } from '../../admin/keys.js';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';
import { readJsonObject } from '../../http/body.js';
import { json, noContent, withHeaders } from '../../http/responses.js';
import { parseBody } from '../../http/validate.js';
import { appOf } from '../app-of.js';
import type { GatehouseEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { ADMIN_ROUTES, type AdminRoute, noQuery } from './schemas.js';

type RouteName = keyof typeof ADMIN_ROUTES;
type Input<R extends AdminRoute, K extends 'params' | 'query' | 'body'> = R[K] extends z.ZodType
  ? z.output<R[K]>
  : undefined;

/** What a handler gets: the validated parts of the request, the key, and the app's admin core (app routes). */
interface Call<R extends AdminRoute> {
  params: Input<R, 'params'>;
  query: Input<R, 'query'>;
  body: Input<R, 'body'>;
  key: AdminKeyView;
  admin: AdminAccounts;
  info: RequestInfo;
}

type Handlers = { [N in RouteName]: (call: Call<(typeof ADMIN_ROUTES)[N]>) => Promise<unknown> };

/**
 * The admin API (`/api/admin/v1`): thin routes over the account core's `adminAccounts`, each authenticated by
 * an admin key (`Authorization: Bearer gha_…` — never a user's token; 401 without a valid one, 403 for a key of
 * another app), its path, query and body validated by the strict schemas of `schemas.ts` (an unknown field is a
 * 400), its answer JSON (`{ error, error_code }` on failure). A `null` answer is 204.
 */
export function adminApiRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  const keys = adminKeys(ctx);

  const handlers: Handlers = {
    async whoAmI({ key }) {
      const apps = [...ctx.config.apps.values()].filter((a) => key.appId === null || a.id === key.appId);
      return { key: { id: key.id, name: key.name, appId: key.appId }, apps: apps.map(appSummary) };
    },
    listUsers: ({ admin, query }) => admin.listUsers(query),
    createUser: ({ admin, body }) => admin.createUser(body as never),
    getUser: ({ admin, params }) => admin.getUser(params.userId),
    updateUser: ({ admin, params, body }) => admin.updateUser(params.userId, body as never),
    deleteUser: ({ admin, params }) => admin.deleteUser(params.userId).then(() => null),
    disableUser: ({ admin, params }) => admin.setDisabled(params.userId, true),
    enableUser: ({ admin, params }) => admin.setDisabled(params.userId, false),
    setPassword: ({ admin, params, body }) =>
      admin
        .setPassword(params.userId, body.password, body.logout === undefined ? {} : { logout: body.logout })
        .then(() => null),
    sendMail: ({ admin, params, body }) => admin.sendMail(params.userId, body.kind, body.email),
    listSessions: ({ admin, params }) => admin.listSessions(params.userId),
    revokeSessions: ({ admin, params }) => admin.revokeSessions(params.userId),
    revokeSession: ({ admin, params }) => admin.revokeSession(params.userId, params.sessionId).then(() => null),
    listApiKeys: ({ admin, params }) => admin.listApiKeys(params.userId),
    deleteApiKey: ({ admin, params }) => admin.deleteApiKey(params.userId, params.keyId).then(() => null),
    unlinkIdentity: ({ admin, params }) =>
      admin.unlinkIdentity(params.userId, params.providerId, params.identityId).then(() => null),
    listServices: ({ admin }) => admin.listServices(),
    setService: ({ admin, params, body }) => admin.setService(params.service, body),
    removeService: ({ admin, params }) => admin.removeService(params.service).then(() => null),
    settings: async ({ admin }) => admin.settings(),
    audit: ({ admin, query }) => admin.audit(query as never),
  };

  for (const [name, route] of Object.entries(ADMIN_ROUTES) as [RouteName, AdminRoute][]) {
    api.on(route.method.toUpperCase(), route.path, async (c) => {
      const rawParams = c.req.param() as Record<string, string>;
      const appId = typeof rawParams.appId === 'string' ? rawParams.appId : null;
      // The key first: nothing about apps or users is said to a caller without one.
      const key = await keys.authenticate(c.req.header('authorization'), appId);
      const params = route.params ? parseBody(route.params, rawParams) : undefined;
      const query = parseBody(route.query ?? emptyQuery, c.req.query());
      const body = await bodyOf(ctx, c, route);
      const info: RequestInfo = { ...c.env.requestInfo, actor: key.id };
      const app: AppSettings | null = appId === null ? null : appOf(ctx, appId);
      const admin = app ? adminAccounts(ctx, app, info) : (null as unknown as AdminAccounts);
      const handler = handlers[name] as (call: Call<AdminRoute>) => Promise<unknown>;
      const answer = await handler({ params, query, body, key, admin, info } as Call<AdminRoute>);
      return answer === null ? noContent() : json(answer);
    });
  }
  // Every admin answer says how to authenticate when it refuses.
  api.onError((error) => {
    const response = errorResponse(error);
    return response.status === 401
      ? withHeaders(response, (h) => h.set('www-authenticate', 'Bearer realm="gatehouse-admin"'))
      : response;
  });
  api.notFound(() => errorResponse(new GatehouseError('NotFound', 'no such admin endpoint')));
  return api;
}

const emptyQuery = noQuery;

async function bodyOf(ctx: ServerContext, c: Context<GatehouseEnv>, route: AdminRoute): Promise<unknown> {
  const raw = await readJsonObject(c.req.raw, ctx.config.limits.maxBodyBytes);
  if (!route.body) {
    if (Object.keys(raw).length > 0) throw new GatehouseError('BadRequest', 'this endpoint takes no request body');
    return undefined;
  }
  return parseBody(route.body, raw);
}

function appSummary(app: AppSettings) {
  const providers = Object.entries(app.providers)
    .filter(([, settings]) => (settings as { enabled?: boolean } | undefined)?.enabled)
    .map(([name]) => name);
  return { id: app.id, name: app.name, providers };
}
