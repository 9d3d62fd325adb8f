import { Hono } from 'hono';
import { z } from 'zod';
import {
  callResetPasswordFunction,
  confirmEmail,
  resendConfirmationEmail,
  resetPassword,
  retryCustomConfirmation,
  sendResetPasswordEmail,
  signUp,
} from '../accounts/index.js';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { readJsonObject } from '../http/body.js';
import { json } from '../http/responses.js';
import { parseBody } from '../http/validate.js';
import { appOf, text } from './app-of.js';
import type { GatehouseEnv } from './env.js';

/** The bodies of the email/password flows (also in the OpenAPI document). */
export const userpassSchemas = {
  // App Services sends { email, password }; Meteor-style clients may send a username and a profile instead.
  register: z
    .object({
      email: text(1024).optional(),
      username: text(1024).optional(),
      password: text(4096),
      profile: z
        .record(z.string(), z.json())
        .refine((p) => JSON.stringify(p).length <= 16_384, 'profile is larger than 16 KiB')
        .optional(),
    })
    .strict(),
  token: z.object({ token: text(1024), tokenId: text(1024) }).strict(),
  email: z.object({ email: text(1024) }).strict(),
  reset: z.object({ token: text(1024), tokenId: text(1024), password: text(4096) }).strict(),
  resetCall: z
    .object({ email: text(1024), password: text(4096), arguments: z.array(z.unknown()).max(64).default([]) })
    .strict(),
};

type Flow = (app: AppSettings, input: Record<string, unknown>, info: RequestInfo) => Promise<unknown>;

/**
 * Routes 14–20: the email/password account flows. Public: any `Authorization` header is ignored. Each answers
 * `{}` on success.
 */
export function userpassRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  const flow = (path: string, run: Flow, status = 200) =>
    api.post(`/app/:appId/auth/providers/local-userpass${path}`, async (c) => {
      const app = appOf(ctx, c.req.param('appId'));
      await run(app, await readJsonObject(c.req.raw, ctx.config.limits.maxBodyBytes), c.env.requestInfo);
      return json({}, status);
    });

  flow('/register', (app, input, info) => signUp(ctx, app, parseBody(userpassSchemas.register, input), info), 201);
  flow('/confirm', (app, input, info) => confirmEmail(ctx, app, parseBody(userpassSchemas.token, input), info));
  flow('/confirm/send', (app, input, info) =>
    resendConfirmationEmail(ctx, app, parseBody(userpassSchemas.email, input), info),
  );
  flow('/confirm/call', (app, input, info) =>
    retryCustomConfirmation(ctx, app, parseBody(userpassSchemas.email, input), info),
  );
  flow('/reset/send', (app, input, info) =>
    sendResetPasswordEmail(ctx, app, parseBody(userpassSchemas.email, input), info),
  );
  flow('/reset', (app, input, info) => resetPassword(ctx, app, parseBody(userpassSchemas.reset, input), info));
  flow('/reset/call', (app, input, info) =>
    callResetPasswordFunction(ctx, app, parseBody(userpassSchemas.resetCall, input), info),
  );
  return api;
}
