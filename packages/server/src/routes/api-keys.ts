import { Hono } from 'hono';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { readJsonObject } from '../http/body.js';
import { json, noContent } from '../http/responses.js';
import { parseBody } from '../http/validate.js';
import * as apiKeys from '../providers/api-key/index.js';
import type { GatehouseEnv } from './env.js';
import { requireRefresh } from './middleware.js';

/** The body of `POST /auth/api_keys` (also in the OpenAPI document). */
export const nameSchema = z.object({ name: z.string().max(1024) }).strict();

/** Routes 8–13: the signed-in user's API keys, authenticated with the REFRESH token as App Services did. */
export function apiKeyRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  api.use('/auth/api_keys', requireRefresh(ctx));
  api.use('/auth/api_keys/*', requireRefresh(ctx));

  api.post('/auth/api_keys', async (c) => {
    const { app, user } = c.var.auth;
    const { name } = parseBody(nameSchema, await readJsonObject(c.req.raw, ctx.config.limits.maxBodyBytes));
    return json(await apiKeys.createApiKey(ctx, app, user, name, c.env.requestInfo), 201);
  });
  api.get('/auth/api_keys', async (c) => json(await apiKeys.listApiKeys(ctx, c.var.auth.app, c.var.auth.user)));
  api.get('/auth/api_keys/:keyId', async (c) =>
    json(await apiKeys.getApiKey(ctx, c.var.auth.app, c.var.auth.user, c.req.param('keyId'))),
  );
  api.delete('/auth/api_keys/:keyId', async (c) => {
    const { app, user, session } = c.var.auth;
    await apiKeys.deleteApiKey(ctx, app, user, session, c.req.param('keyId'), c.env.requestInfo);
    return noContent();
  });
  for (const [action, disabled] of [
    ['enable', false],
    ['disable', true],
  ] as const)
    api.put(`/auth/api_keys/:keyId/${action}`, async (c) => {
      const { app, user, session } = c.var.auth;
      await apiKeys.setApiKeyDisabled(ctx, app, user, session, c.req.param('keyId'), disabled, c.env.requestInfo);
      return noContent();
    });
  return api;
}
