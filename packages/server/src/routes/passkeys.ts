import { Hono } from 'hono';
import { z } from 'zod';
import {
  listPasskeys,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  removePasskey,
  renamePasskey,
} from '../accounts/index.js';
import type { ServerContext } from '../context.js';
import { readJsonObject } from '../http/body.js';
import { json, noContent } from '../http/responses.js';
import { parseBody } from '../http/validate.js';
import { registrationResponse } from '../providers/passkey/schemas.js';
import { appOf } from './app-of.js';
import type { GatehouseEnv } from './env.js';
import { requireAccess } from './middleware.js';

/** The request bodies of the passkey routes (the OpenAPI document shows these). */
export const passkeySchemas = {
  register: z.object({ response: registrationResponse, name: z.string().max(100).optional() }).strict(),
  rename: z.object({ name: z.string().max(100) }).strict(),
};
const schemas = passkeySchemas;

/**
 * Passkeys (WebAuthn), a Gatehouse extension of the client API (docs/passkeys.md):
 *
 * - `POST /app/<id>/auth/providers/passkey/options` — sign-in options (public); the answer goes to the
 *   ordinary login route, `POST /app/<id>/auth/providers/passkey/login` with `{ response }`.
 * - the signed-in user's own passkeys: `POST /auth/passkeys/options` (registration options),
 *   `POST /auth/passkeys` (`{ response, name? }` → the new passkey, 201), `GET /auth/passkeys`,
 *   `PATCH /auth/passkeys/<id>` (`{ name }`), `DELETE /auth/passkeys/<id>`.
 */
export function passkeyRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  const body = (request: Request) => readJsonObject(request, ctx.config.limits.maxBodyBytes);
  for (const path of ['/auth/passkeys', '/auth/passkeys/*']) api.use(path, requireAccess(ctx));

  api.post('/app/:appId/auth/providers/passkey/options', async (c) =>
    json({ options: await passkeyAuthenticationOptions(ctx, appOf(ctx, c.req.param('appId'))) }),
  );
  api.post('/auth/passkeys/options', async (c) => {
    const { app, user } = c.var.auth;
    return json({ options: await passkeyRegistrationOptions(ctx, app, user) });
  });
  api.post('/auth/passkeys', async (c) => {
    const { app, user } = c.var.auth;
    const input = parseBody(schemas.register, await body(c.req.raw));
    return json(await registerPasskey(ctx, app, user, input, c.env.requestInfo), 201);
  });
  api.get('/auth/passkeys', async (c) => json({ passkeys: await listPasskeys(ctx, c.var.auth.user) }));
  api.patch('/auth/passkeys/:passkeyId', async (c) => {
    const { name } = parseBody(schemas.rename, await body(c.req.raw));
    await renamePasskey(ctx, c.var.auth.user, c.req.param('passkeyId').slice(0, 64), name, c.env.requestInfo);
    return noContent();
  });
  api.delete('/auth/passkeys/:passkeyId', async (c) => {
    await removePasskey(ctx, c.var.auth.user, c.req.param('passkeyId').slice(0, 64), c.env.requestInfo);
    return noContent();
  });
  return api;
}
