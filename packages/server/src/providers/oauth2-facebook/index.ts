import { createHmac } from 'node:crypto';
import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { findOrCreateUserForIdentity, linkIdentity, type ProvenIdentity } from '../../accounts/index.js';
import type { AppSettings } from '../../context.js';
import type { RedirectProvider } from '../../oauth/redirect-provider.js';
import type { CredentialProvider } from '../registry.js';

/**
 * `oauth2-facebook` login with a user access token (`Credentials.facebook(token)`): the Graph API's token
 * inspection must say the token is valid and was issued to this app (a token from another app is refused),
 * then `/me` gives the user, with `appsecret_proof`. The identity is (facebook, user id).
 */
export const PROVIDER = 'oauth2-facebook';

const TIMEOUT_MS = 5000;

const refuse = (why: string) => new GatehouseError('AuthError', `invalid Facebook token: ${why}`);

async function graph(url: URL): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch {
    throw refuse('Facebook could not be reached');
  }
  let body: unknown;
  try {
    body = JSON.parse((await response.text()).slice(0, 65_536));
  } catch {
    throw refuse('Facebook answered something that is not JSON');
  }
  if (!response.ok || body === null || typeof body !== 'object' || Array.isArray(body))
    throw refuse('Facebook refused the token');
  return body as Record<string, unknown>;
}

async function prove(app: AppSettings, accessToken: string): Promise<ProvenIdentity> {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  const base = settings.graphBaseUrl.replace(/\/+$/, '');
  const inspect = new URL(`${base}/debug_token`);
  inspect.searchParams.set('input_token', accessToken);
  inspect.searchParams.set('access_token', `${settings.appId}|${settings.appSecret}`);
  const data = (await graph(inspect)).data as Record<string, unknown> | undefined;
  if (data?.is_valid !== true) throw refuse('the token is not valid');
  if (String(data.app_id) !== settings.appId) throw refuse('the token was issued to another app');
  const me = new URL(`${base}/me`);
  me.searchParams.set('fields', 'id,name,email,first_name,last_name,picture');
  me.searchParams.set('access_token', accessToken);
  me.searchParams.set('appsecret_proof', createHmac('sha256', settings.appSecret).update(accessToken).digest('hex'));
  const user = await graph(me);
  const id = typeof user.id === 'string' ? user.id : null;
  if (!id || !/^\d{1,32}$/.test(id) || (data.user_id !== undefined && String(data.user_id) !== id))
    throw refuse('the user does not match the token');
  const profile: JsonObject = {};
  const text = (v: unknown) => (typeof v === 'string' && v.length <= 1024 ? v : undefined);
  for (const [key, value] of [
    ['name', text(user.name)],
    ['email', text(user.email)],
    ['first_name', text(user.first_name)],
    ['last_name', text(user.last_name)],
    ['picture', text((user.picture as { data?: { url?: unknown } } | undefined)?.data?.url)],
  ] as const) {
    if (value !== undefined) profile[key] = value;
  }
  const email = text(user.email);
  // Facebook does not say whether an address was confirmed, so it is kept as unverified.
  return {
    providerType: PROVIDER,
    providerId: PROVIDER,
    subject: id,
    profile,
    data: email ? { email } : {},
    tokens: { accessToken },
    ...(email ? { email: { address: email, verified: false } } : {}),
  };
}

export const facebookProvider: CredentialProvider<{ accessToken: string }> = {
  type: PROVIDER,
  schema: z.object({ accessToken: z.string().min(1).max(4096) }).strict(),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  logIn: async (ctx, app, { accessToken }, info) => ({
    user: await findOrCreateUserForIdentity(ctx, app, await prove(app, accessToken), info),
  }),
  link: async (ctx, app, user, { accessToken }, info) =>
    linkIdentity(ctx, app, user, await prove(app, accessToken), info),
};

/**
 * `Credentials.facebook(redirectUrl)`: Facebook's login dialog, then the code is exchanged at the
 * Graph API's `oauth/access_token` (with the app secret, the callback URL and the PKCE verifier), and the user
 * access token that comes back is checked exactly as a token login's is. Facebook's classic login is not
 * OpenID Connect: no nonce, no ID token.
 */
export const facebookRedirect: RedirectProvider = {
  type: PROVIDER,
  redirectSettings(app) {
    const settings = app.providers[PROVIDER];
    if (!settings?.enabled) return null;
    return {
      label: 'Facebook',
      clientId: settings.appId,
      authorizationEndpoint: settings.authorizationEndpoint,
      scope: 'email,public_profile',
      nonce: false,
    };
  },
  async finish(_ctx, app, answer) {
    const settings = app.providers[PROVIDER];
    if (!settings?.enabled)
      throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
    const refuse = (why: string) => new GatehouseError('AuthError', `Facebook login failed: ${why}`);
    const exchange = new URL(`${settings.graphBaseUrl.replace(/\/+$/, '')}/oauth/access_token`);
    exchange.searchParams.set('client_id', settings.appId);
    exchange.searchParams.set('client_secret', settings.appSecret);
    exchange.searchParams.set('redirect_uri', answer.callbackUrl);
    exchange.searchParams.set('code', answer.params.get('code') as string);
    exchange.searchParams.set('code_verifier', answer.codeVerifier);
    let response: Response;
    try {
      response = await fetch(exchange, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { accept: 'application/json' },
      });
    } catch {
      throw refuse('Facebook could not be reached');
    }
    let body: { access_token?: unknown } | null = null;
    try {
      body = JSON.parse((await response.text()).slice(0, 65_536));
    } catch {
      body = null;
    }
    const accessToken = body?.access_token;
    if (!response.ok || typeof accessToken !== 'string' || accessToken.length === 0 || accessToken.length > 4096)
      throw refuse('the code is invalid, expired or already used');
    return prove(app, accessToken);
  },
};
