import { GatehouseError } from '@gatehouse-auth/core';
import { Hono } from 'hono';
import { z } from 'zod';
import * as account from '../account/index.js';
import { updateOwnProfile } from '../account/profile.js';
import type { AppSettings, ServerContext } from '../context.js';
import { attemptLogin } from '../hooks/index.js';
import { readJsonObject } from '../http/body.js';
import type { GatehouseEnv } from '../http/env.js';
import { json, noContent } from '../http/responses.js';
import { parseBody } from '../http/validate.js';
import { publicLoginMethods } from '../oauth/meteor/public.js';
import { oauthRedirectRoutes } from '../oauth/routes.js';
import * as apiKeys from '../providers/api-key/index.js';
import { completeLogin, credentialProviders, type LoginOutcome, providerNotFound } from '../providers/index.js';
import * as userpass from '../providers/local-userpass/index.js';
import {
  authenticateAccess,
  authenticateRefresh,
  bearerToken,
  deviceIdFrom,
  endSession,
  issueAccessToken,
  refreshAccessToken,
} from '../sessions/index.js';
import { appServicesProfile, deleteUser, meteorUserDocument } from '../users/index.js';

/**
 * The App Services client API (spec §0, routes 1, 2, 4–7, 14–20) as a thin translation onto the feature
 * functions: parse and validate the request, call the feature, shape the answer. No logic lives here.
 */

// realm-core adds `provider` to every credentials body and both clients add `options` (spec §5.1, §13.7):
// the login route takes them off before the provider's schema sees the payload.
const text = (max: number) => z.string().max(max);

const schemas = {
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
  apiKeyName: z.object({ name: text(1024) }).strict(),
  changePassword: z.object({ currentPassword: text(4096), newPassword: text(4096) }).strict(),
  resetCall: z
    .object({ email: text(1024), password: text(4096), arguments: z.array(z.unknown()).max(64).default([]) })
    .strict(),
};

export function appServicesRoutes(ctx: ServerContext): Hono<GatehouseEnv> {
  const api = new Hono<GatehouseEnv>();
  const body = (request: Request) => readJsonObject(request, ctx.config.limits.maxBodyBytes);
  const appOf = (id: string): AppSettings => {
    const app = ctx.config.apps.get(id);
    if (!app) throw new GatehouseError('AppNotFound', `cannot find app using Client App ID '${id.slice(0, 100)}'`);
    return app;
  };

  // 1. location (spec §1.2): hostname without a trailing slash; all four fields (realm-core ≤ v13 needs them).
  api.get('/app/:appId/location', (c) => {
    appOf(c.req.param('appId'));
    const hostname = ctx.config.publicUrl;
    return json({
      deployment_model: 'GLOBAL',
      location: 'US-VA',
      hostname,
      ws_hostname: hostname.replace(/^http/, 'ws'),
    });
  });

  // 2. login (spec §5) and 3. link (spec §5.3, `?link=true` with the linking user's access token).
  api.post('/app/:appId/auth/providers/:provider/login', async (c) => {
    const app = appOf(c.req.param('appId'));
    const type = c.req.param('provider');
    const provider = credentialProviders.get(type);
    if (!provider?.enabled(app)) throw providerNotFound(type);
    const { provider: named, options, ...payload } = await body(c.req.raw);
    if (named !== undefined && typeof named !== 'string')
      throw new GatehouseError('BadRequest', "invalid request: 'provider' must be a string");
    const credentials = parseBody(provider.schema, payload);
    const info = c.env.requestInfo;
    if (c.req.query('link') !== undefined) {
      if (!provider.link)
        throw new GatehouseError('InvalidParameter', `'${type}' credentials cannot be linked to a user`);
      const { user, session } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
      if (user.appId !== app.id) throw new GatehouseError('InvalidSession', 'invalid session: token of another app');
      // A server user is its server API key and nothing else (providers/api-key/server-keys.ts).
      if (user.type === 'server') throw new GatehouseError('Forbidden', 'server users cannot link credentials');
      await provider.link(ctx, app, user, credentials, info);
      // The link keeps the caller's session (spec §2.3): a new access token for it, no new refresh token.
      const linked = (await ctx.storage.getUser(app.id, user.id)) ?? user;
      const accessToken = await issueAccessToken(ctx, app, session, linked);
      return json({ access_token: accessToken, user_id: user.id, device_id: session.deviceId });
    }
    let outcome: LoginOutcome | undefined;
    const result = await attemptLogin(
      ctx,
      app,
      { type: provider.type, methodName: 'login', info },
      async () => (outcome = await provider.logIn(ctx, app, credentials, info)).user,
      () => completeLogin(ctx, app, provider, outcome as LoginOutcome, deviceIdFrom(options), info),
    );
    return json({
      access_token: result.accessToken,
      refresh_token: result.refreshToken,
      user_id: result.userId,
      device_id: result.deviceId,
    });
  });

  // 21–22. the OAuth2 redirect flow's GET login and its IdP callback (spec §8, oauth/routes.ts).
  api.route('/', oauthRedirectRoutes(ctx));

  // 4. profile (spec §6).
  api.get('/auth/profile', async (c) => {
    const { user } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    return json(appServicesProfile(user));
  });

  // 5. refresh (spec §7.1): a new access token for the same session.
  api.post('/auth/session', async (c) => {
    const accessToken = await refreshAccessToken(ctx, bearerToken(c.req.header('authorization') ?? null));
    return json({ access_token: accessToken }, 201);
  });

  // 6. logout (spec §7.2).
  api.delete('/auth/session', async (c) => {
    await endSession(ctx, bearerToken(c.req.header('authorization') ?? null));
    return noContent();
  });

  // 7. delete the calling user (spec §7.3).
  api.delete('/auth/delete', async (c) => {
    const { user } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    await deleteUser(ctx, user);
    return noContent();
  });

  // 8–13. user API keys (spec §10), authenticated with the REFRESH token.
  const refreshAuth = (c: { req: { header(name: string): string | undefined } }) =>
    authenticateRefresh(ctx, bearerToken(c.req.header('authorization') ?? null));
  api.post('/auth/api_keys', async (c) => {
    const { app, user } = await refreshAuth(c);
    const { name } = parseBody(schemas.apiKeyName, await body(c.req.raw));
    return json(await apiKeys.createApiKey(ctx, app, user, name), 201);
  });
  api.get('/auth/api_keys', async (c) => {
    const { app, user } = await refreshAuth(c);
    return json(await apiKeys.listApiKeys(ctx, app, user));
  });
  api.get('/auth/api_keys/:keyId', async (c) => {
    const { app, user } = await refreshAuth(c);
    return json(await apiKeys.getApiKey(ctx, app, user, c.req.param('keyId')));
  });
  api.delete('/auth/api_keys/:keyId', async (c) => {
    const { app, user, session } = await refreshAuth(c);
    await apiKeys.deleteApiKey(ctx, app, user, session, c.req.param('keyId'));
    return noContent();
  });
  api.put('/auth/api_keys/:keyId/enable', async (c) => {
    const { app, user, session } = await refreshAuth(c);
    await apiKeys.setApiKeyDisabled(ctx, app, user, session, c.req.param('keyId'), false);
    return noContent();
  });
  api.put('/auth/api_keys/:keyId/disable', async (c) => {
    const { app, user, session } = await refreshAuth(c);
    await apiKeys.setApiKeyDisabled(ctx, app, user, session, c.req.param('keyId'), true);
    return noContent();
  });

  // Gatehouse extensions (App Services had none of these): the app's public login methods, the signed-in
  // user's own document, sessions and password.
  api.get('/app/:appId/auth/providers', async (c) =>
    json({ providers: await publicLoginMethods(ctx, appOf(c.req.param('appId'))) }),
  );
  api.get('/auth/user', async (c) => {
    const { user } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    return json(meteorUserDocument(user));
  });
  // My own profile, edited as Meteor clients do: `{ "$set": { "profile.name": "Ada" } }` (account/profile.ts).
  api.patch('/auth/user', async (c) => {
    const { app, user } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    // The body reader decodes Extended JSON (the SDK sends canonical EJSON, as realm-web does).
    const profile = await updateOwnProfile(ctx, app, user, await body(c.req.raw));
    return json(meteorUserDocument({ ...user, profile }));
  });
  api.get('/auth/sessions', async (c) => {
    const { user, session } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    return json(await account.listSessions(ctx, user, session));
  });
  api.delete('/auth/sessions/:sessionId', async (c) => {
    const { user } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    await account.revokeOwnSession(ctx, user, c.req.param('sessionId').slice(0, 64));
    return noContent();
  });
  api.post('/auth/sessions/logout-others', async (c) => {
    const { user, session } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    return json({ revoked: await account.logoutOtherSessions(ctx, user, session) });
  });
  api.post('/auth/password', async (c) => {
    const { app, user, session } = await authenticateAccess(ctx, bearerToken(c.req.header('authorization') ?? null));
    await account.changePassword(ctx, app, user, session, parseBody(schemas.changePassword, await body(c.req.raw)));
    return noContent();
  });

  // 14–20. email/password account flows (spec §11). Public: any Authorization header is ignored (§13.10).
  const userpassRoute = (
    path: string,
    handler: (app: AppSettings, input: Record<string, unknown>) => Promise<unknown>,
    status = 200,
  ) =>
    api.post(`/app/:appId/auth/providers/local-userpass${path}`, async (c) => {
      const app = appOf(c.req.param('appId'));
      await handler(app, await body(c.req.raw));
      return json({}, status);
    });

  userpassRoute('/register', (app, input) => userpass.registerUser(ctx, app, parseBody(schemas.register, input)), 201);
  userpassRoute('/confirm', (app, input) => userpass.confirmUser(ctx, app, parseBody(schemas.token, input)));
  userpassRoute('/confirm/send', (app, input) =>
    userpass.resendConfirmationEmail(ctx, app, parseBody(schemas.email, input)),
  );
  userpassRoute('/confirm/call', (app, input) =>
    userpass.retryCustomConfirmation(ctx, app, parseBody(schemas.email, input)),
  );
  userpassRoute('/reset/send', (app, input) =>
    userpass.sendResetPasswordEmail(ctx, app, parseBody(schemas.email, input)),
  );
  userpassRoute('/reset', (app, input) => userpass.resetPassword(ctx, app, parseBody(schemas.reset, input)));
  userpassRoute('/reset/call', (app, input) =>
    userpass.callResetPasswordFunction(ctx, app, parseBody(schemas.resetCall, input)),
  );

  return api;
}
