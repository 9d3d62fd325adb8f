import { Hono } from 'hono';
import { z } from 'zod';
import {
  changePassword,
  listSessions,
  logoutOtherSessions,
  meteorUserDocument,
  revokeOwnSession,
  updateOwnProfile,
} from '../accounts/index.js';
import type { ServerContext } from '../context.js';
import { readJsonObject } from '../http/body.js';
import { json, noContent } from '../http/responses.js';
import { parseBody } from '../http/validate.js';
import { publicLoginMethods } from '../oauth/meteor/public.js';
import { appOf } from './app-of.js';
import type { GatehouseEnv } from './env.js';
import { requireAccess } from './middleware.js';

/** The body of `POST /auth/password` (also in the OpenAPI document). */
export const changePasswordSchema = z
  .object({ currentPassword: z.string().max(4096), newPassword: z.string().max(4096) })
  .strict();

/**
 * Gatehouse's extensions to the client API (App Services had none of these): the app's public login methods,
 * and the signed-in user's own document, sessions and password.
 */
export function accountRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  const body = (request: Request) => readJsonObject(request, ctx.config.limits.maxBodyBytes);
  for (const path of ['/auth/user', '/auth/sessions', '/auth/sessions/*', '/auth/password'])
    api.use(path, requireAccess(ctx));

  api.get('/app/:appId/auth/providers', async (c) =>
    json({ providers: await publicLoginMethods(ctx, appOf(ctx, c.req.param('appId'))) }),
  );
  api.get('/auth/user', (c) => json(meteorUserDocument(c.var.auth.user)));
  // My own profile, edited as Meteor clients do: `{ "$set": { "profile.name": "Ada" } }`.
  api.patch('/auth/user', async (c) => {
    const { app, user } = c.var.auth;
    // The body reader decodes Extended JSON (the SDK sends canonical EJSON, as realm-web does).
    const profile = await updateOwnProfile(ctx, app, user, await body(c.req.raw), c.env.requestInfo);
    return json(meteorUserDocument({ ...user, profile }));
  });
  api.get('/auth/sessions', async (c) => json(await listSessions(ctx, c.var.auth.user, c.var.auth.session.id)));
  api.delete('/auth/sessions/:sessionId', async (c) => {
    await revokeOwnSession(ctx, c.var.auth.user, c.req.param('sessionId').slice(0, 64), c.env.requestInfo);
    return noContent();
  });
  api.post('/auth/sessions/logout-others', async (c) =>
    json({ revoked: await logoutOtherSessions(ctx, c.var.auth.user, c.var.auth.session.id, c.env.requestInfo) }),
  );
  api.post('/auth/password', async (c) => {
    const { app, user, session } = c.var.auth;
    const input = parseBody(changePasswordSchema, await body(c.req.raw));
    await changePassword(ctx, app, user, session, input, c.env.requestInfo);
    return noContent();
  });
  return api;
}
