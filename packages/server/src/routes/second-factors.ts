import { Hono } from 'hono';
import { z } from 'zod';
import {
  disableTwoFactor,
  enableTwoFactor,
  hasTwoFactor,
  recoveryCodesLeft,
  requestLoginToken,
  startTwoFactor,
} from '../accounts/index.js';
import type { ServerContext } from '../context.js';
import { readJsonObject } from '../http/body.js';
import { json, noContent } from '../http/responses.js';
import { parseBody } from '../http/validate.js';
import { appOf, text } from './app-of.js';
import type { GatehouseEnv } from './env.js';
import { requireAccess } from './middleware.js';

/** The bodies of these routes (the OpenAPI document describes them with these). */
export const secondFactorSchemas = {
  send: z
    .object({
      email: text(1024),
      /** Make an account for an address that has none (default); `false` refuses unknown addresses. */
      createUser: z.boolean().default(true),
      username: text(1024).optional(),
      profile: z
        .record(z.string(), z.json())
        .refine((p) => JSON.stringify(p).length <= 16_384, 'profile is larger than 16 KiB')
        .optional(),
    })
    .strict(),
  activation: z.object({ appName: text(256).optional() }).strict(),
  enable: z.object({ code: text(64) }).strict(),
};

/**
 * Gatehouse's extensions for passwordless and two-factor sign-in: mail a login code (`email-code/send`), and
 * the signed-in user's own second factor — its state, a new activation (QR code), turning it on with a first
 * code (answering the recovery codes, once), and off.
 */
export function secondFactorRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  const body = (request: Request) => readJsonObject(request, ctx.config.limits.maxBodyBytes);
  for (const path of ['/auth/two-factor', '/auth/two-factor/*']) api.use(path, requireAccess(ctx));

  api.post('/app/:appId/auth/providers/email-code/send', async (c) => {
    const app = appOf(ctx, c.req.param('appId'));
    const input = parseBody(secondFactorSchemas.send, await body(c.req.raw));
    await requestLoginToken(
      ctx,
      app,
      {
        selector: { email: input.email },
        userData: {
          email: input.email,
          ...(input.username ? { username: input.username } : {}),
          ...(input.profile ? { profile: input.profile } : {}),
        },
        userCreationDisabled: !input.createUser,
      },
      c.env.requestInfo,
    );
    return json({});
  });

  api.get('/auth/two-factor', async (c) => {
    const { app, user } = c.var.auth;
    const enabled = await hasTwoFactor(ctx, app, user.id);
    return json({ enabled, recoveryCodesLeft: enabled ? await recoveryCodesLeft(ctx, app, user.id) : 0 });
  });
  api.post('/auth/two-factor/activation', async (c) => {
    const { app, user } = c.var.auth;
    const input = parseBody(secondFactorSchemas.activation, await body(c.req.raw));
    return json(await startTwoFactor(ctx, app, user, input.appName ?? app.name));
  });
  api.post('/auth/two-factor/enable', async (c) => {
    const { app, user } = c.var.auth;
    const input = parseBody(secondFactorSchemas.enable, await body(c.req.raw));
    return json(await enableTwoFactor(ctx, app, user, input.code, c.env.requestInfo));
  });
  api.delete('/auth/two-factor', async (c) => {
    const { app, user } = c.var.auth;
    await disableTwoFactor(ctx, app, user.id, c.env.requestInfo, 'user');
    return noContent();
  });
  return api;
}
