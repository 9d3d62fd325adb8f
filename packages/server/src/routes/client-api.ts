import { GatehouseError } from '@gatehouse-auth/core';
import { Hono } from 'hono';
import {
  appServicesProfile,
  authenticateAccess,
  deleteUser,
  deviceIdFrom,
  endSession,
  issueAccessToken,
  logIn,
  type Proven,
  refreshAccessToken,
} from '../accounts/index.js';
import type { ServerContext } from '../context.js';
import { readJsonObject } from '../http/body.js';
import { json, noContent } from '../http/responses.js';
import { parseBody } from '../http/validate.js';
import { credentialProviders, providerNotFound } from '../providers/index.js';
import { accountRoutes } from './account.js';
import { apiKeyRoutes } from './api-keys.js';
import { appOf } from './app-of.js';
import type { GatehouseEnv } from './env.js';
import { bearerToken, requireAccess } from './middleware.js';
import { oauthRedirectRoutes } from './oauth.js';
import { passkeyRoutes } from './passkeys.js';
import { secondFactorRoutes } from './second-factors.js';
import { userpassRoutes } from './userpass.js';

/**
 * The App Services client API at `/api/client/v2.0` (docs/design/app-services-protocol.md): routes 1–7 here,
 * API keys (8–13), the email/password flows (14–20), the OAuth redirect flow (21–22) and Gatehouse's own
 * extensions in their files. Each route parses and validates the request, calls the account core, and shapes
 * the answer; no rule lives here.
 */
export function clientApiRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  const body = (request: Request) => readJsonObject(request, ctx.config.limits.maxBodyBytes);

  // 1. location: hostname without a trailing slash; all four fields (realm-core ≤ v13 needs them).
  api.get('/app/:appId/location', (c) => {
    appOf(ctx, c.req.param('appId'));
    const hostname = ctx.config.publicUrl;
    return json({
      deployment_model: 'GLOBAL',
      location: 'US-VA',
      hostname,
      ws_hostname: hostname.replace(/^http/, 'ws'),
    });
  });

  // Passkeys' own routes, ahead of the generic provider route.
  api.route('/', passkeyRoutes(ctx));

  // 2. login and 3. link (`?link=true` with the linking user's access token).
  api.post('/app/:appId/auth/providers/:provider/login', async (c) => {
    const app = appOf(ctx, c.req.param('appId'));
    const type = c.req.param('provider');
    const provider = credentialProviders.get(type);
    if (!provider?.enabled(app)) throw providerNotFound(type);
    // realm-core adds `provider` to every credentials body and both clients add `options`: they are taken off
    // before the provider's schema sees the payload.
    const { provider: named, options, ...payload } = await body(c.req.raw);
    if (named !== undefined && typeof named !== 'string')
      throw new GatehouseError('BadRequest', "invalid request: 'provider' must be a string");
    const credentials = parseBody(provider.schema, payload);
    const info = c.env.requestInfo;
    if (c.req.query('link') !== undefined) {
      if (!provider.link)
        throw new GatehouseError('InvalidParameter', `'${type}' credentials cannot be linked to a user`);
      const { user, session } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization')));
      if (user.appId !== app.id) throw new GatehouseError('InvalidSession', 'invalid session: token of another app');
      // A server user is its server API key and nothing else (providers/api-key/server-keys.ts).
      if (user.type === 'server') throw new GatehouseError('Forbidden', 'server users cannot link credentials');
      await provider.link(ctx, app, user, credentials, info);
      // The link keeps the caller's session: a new access token for it, no new refresh token.
      const linked = (await ctx.storage.getUser(app.id, user.id)) ?? user;
      const accessToken = await issueAccessToken(ctx, app, session, linked);
      return json({ access_token: accessToken, user_id: user.id, device_id: session.deviceId });
    }
    const result = await logIn(
      ctx,
      app,
      { type: provider.type, methodName: 'login', providerType: provider.type, info },
      (): Promise<Proven> => provider.logIn(ctx, app, credentials, info),
      { kind: 'refresh', deviceId: deviceIdFrom(options) },
    );
    return json({
      access_token: result.accessToken,
      refresh_token: result.refreshToken,
      user_id: result.userId,
      device_id: result.deviceId,
    });
  });

  // 21–22. the OAuth2 redirect flow's GET login and its IdP callback.
  api.route('/', oauthRedirectRoutes(ctx));

  // 4. profile.
  api.get('/auth/profile', requireAccess(ctx), (c) => json(appServicesProfile(c.var.auth.user)));

  // 5. refresh: a new access token for the same session.
  api.post('/auth/session', async (c) => {
    const accessToken = await refreshAccessToken(ctx, bearerToken(c.req.header('authorization')));
    return json({ access_token: accessToken }, 201);
  });

  // 6. logout.
  api.delete('/auth/session', async (c) => {
    await endSession(ctx, bearerToken(c.req.header('authorization')), c.env.requestInfo);
    return noContent();
  });

  // 7. delete the calling user.
  api.delete('/auth/delete', requireAccess(ctx), async (c) => {
    await deleteUser(ctx, c.var.auth.user, c.env.requestInfo);
    return noContent();
  });

  api.route('/', apiKeyRoutes(ctx));
  api.route('/', accountRoutes(ctx));
  api.route('/', userpassRoutes(ctx));
  api.route('/', secondFactorRoutes(ctx));
  return api;
}
