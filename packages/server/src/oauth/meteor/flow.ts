import { GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import * as oauth from 'oauth4webapi';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';
import { addressKey } from '../../rate-limit/index.js';
import { oauth1Client, tokenAnswer } from '../services/oauth1.js';
import type { LoginOptions, OAuth1Service, OAuth2Service, ServiceOutcome } from '../services/service.js';
import { failurePage, MESSAGE_TYPE, popupPage, type RenderedPage, redirectPage } from './pages.js';
import { type StartTicket, storePendingCredential, storeStart, takeStart } from './pending.js';
import { type ConfiguredService, configuredService } from './settings.js';
import { type MeteorState, parseState } from './state.js';

/**
 * Meteor's `/_oauth/<service>` (docs/external-services.md): the callback every external service returns to,
 * and the start of logins Gatehouse begins itself (`?requestTokenAndRedirect=true` — Meteor's OAuth 1.0a
 * step, here for OAuth 2 services too, with PKCE and a nonce). A callback checks the state, the page the
 * login will return to (before anything is exchanged), lets the service prove the user, keeps the result as a
 * pending credential and ends with Meteor's popup or redirect page. Nothing ever redirects to a page outside
 * the app's allowlist, and a refused callback stores nothing.
 */

/** How a request ends: a page, or a redirect to the service or to an allowed app page. */
export type Outcome = { page: RenderedPage } | { redirect: string };

/** Logins one client address may start per window: each one writes a row. */
const STARTS_PER_ADDRESS = 60;
const STARTS_WINDOW_MS = 10 * 60_000;

/** Login page parameters that belong to the flow and may not be overridden (Meteor's `ILLEGAL_PARAMETERS`). */
const RESERVED_PARAMS = new Set([
  'response_type',
  'client_id',
  'scope',
  'redirect_uri',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
]);

/** `<rootUrl>/_oauth/<service>`: what the service calls back to, and what to register there. */
export function callbackUrl(app: AppSettings, service: string): string {
  return `${app.rootUrl}/_oauth/${service}`;
}

/** The service `name` configured for the app, or a 404. */
export async function requireService(ctx: ServerContext, app: AppSettings, name: string): Promise<ConfiguredService> {
  const configured = await configuredService(ctx, app, name);
  if (!configured)
    throw new GatehouseError('NotFound', `no external service '${name.slice(0, 40)}' is configured for this app`);
  return configured;
}

/**
 * Whether a redirect login may return to `url`: a page on the app's allowlist (`oauthRedirectUris`, exact), or
 * — as Meteor's `OAuth._checkRedirectUrlOrigin` — any page under the app's configured `rootUrl`.
 */
export function redirectAllowed(app: AppSettings, url: string): boolean {
  if (app.oauthRedirectUris.includes(url)) return true;
  if (!app.rootUrlConfigured) return false;
  const target = safeUrl(url);
  const root = safeUrl(`${app.rootUrl}/`);
  return (
    target !== null &&
    root !== null &&
    target.username === '' &&
    target.password === '' &&
    target.origin === root.origin &&
    target.pathname.startsWith(root.pathname)
  );
}

/** The origin a popup may hand its result to: that of an allowed page; `null` otherwise. */
export function popupOriginAllowed(app: AppSettings, url: string): string | null {
  const target = safeUrl(url);
  if (target?.username !== '' || target.password !== '') return null;
  const origins = new Set(app.oauthRedirectUris.map((u) => safeUrl(u)?.origin));
  if (app.rootUrlConfigured) origins.add(safeUrl(app.rootUrl)?.origin);
  return origins.has(target.origin) ? target.origin : null;
}

function safeUrl(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Query parameters sent twice are refused (parameter pollution). */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new GatehouseError('BadRequest', `invalid request: '${name}' given more than once`);
  return values[0];
}

/** Meteor's login options, as the start request carries them. */
function readOptions(params: URLSearchParams): LoginOptions {
  const options: LoginOptions = {};
  const permissions = single(params, 'requestPermissions');
  if (permissions !== undefined) {
    const list = permissions.split(/[\s,]+/).filter(Boolean);
    if (list.length > 50 || list.some((p) => p.length > 200 || !/^[\x21-\x7e]+$/.test(p)))
      throw new GatehouseError('BadRequest', "invalid request: 'requestPermissions' is not a list of scopes");
    options.requestPermissions = list;
  }
  const flag = (name: 'requestOfflineToken' | 'forceApprovalPrompt') => {
    const value = single(params, name);
    if (value === undefined) return;
    if (value !== 'true' && value !== 'false')
      throw new GatehouseError('BadRequest', `invalid request: '${name}' must be true or false`);
    options[name] = value === 'true';
  };
  flag('requestOfflineToken');
  flag('forceApprovalPrompt');
  const hint = single(params, 'loginHint');
  if (hint !== undefined) {
    if (hint.length > 320) throw new GatehouseError('BadRequest', "invalid request: 'loginHint' is too long");
    options.loginHint = hint;
  }
  const extra = single(params, 'loginUrlParameters');
  if (extra !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(extra);
    } catch {
      parsed = null;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new GatehouseError('BadRequest', "invalid request: 'loginUrlParameters' must be a JSON object");
    const entries = Object.entries(parsed as Record<string, unknown>);
    if (entries.length > 20 || entries.some(([k, v]) => typeof v !== 'string' || k.length > 100 || v.length > 1000))
      throw new GatehouseError('BadRequest', "invalid request: 'loginUrlParameters' must map names to short strings");
    for (const [key] of entries)
      if (RESERVED_PARAMS.has(key))
        throw new GatehouseError('BadRequest', `invalid request: Invalid loginUrlParameter: ${key}`);
    options.loginUrlParameters = Object.fromEntries(entries) as Record<string, string>;
  }
  return options;
}

/** The state of a request, or a 400 (no redirect: without a state nothing is known about where to go). */
function requireState(params: URLSearchParams): { state: MeteorState; raw: string } {
  const raw = single(params, 'state');
  const state = parseState(raw);
  if (!raw || !state) throw new GatehouseError('BadRequest', 'invalid request: missing or malformed OAuth state');
  return { state, raw };
}

/**
 * Checks where a login will hand its result: a redirect login's page must be allowed; a popup hands it to the
 * origin of its page, if it named one. Refused before anything is exchanged or stored.
 */
function destination(app: AppSettings, loginStyle: 'popup' | 'redirect', redirectUrl: string | undefined) {
  if (loginStyle === 'redirect') {
    if (redirectUrl === undefined || !redirectAllowed(app, redirectUrl))
      throw new GatehouseError(
        'BadRequest',
        `redirectUrl ${redirectUrl === undefined ? 'is missing' : `(${redirectUrl.slice(0, 200)}) is not an allowed page of the app`}`,
      );
    return { redirectUrl, targetOrigin: undefined };
  }
  if (redirectUrl === undefined) return { redirectUrl: undefined, targetOrigin: undefined };
  const targetOrigin = popupOriginAllowed(app, redirectUrl);
  if (!targetOrigin)
    throw new GatehouseError(
      'BadRequest',
      `redirectUrl (${redirectUrl.slice(0, 200)}) is not on an allowed origin of the app`,
    );
  return { redirectUrl, targetOrigin };
}

/**
 * `GET /_oauth/<service>?requestTokenAndRedirect=true&state=…`: Gatehouse starts the login — for OAuth 1.0a
 * the request token (Meteor's step 1), for OAuth 2 the PKCE verifier and nonce — keeps it under the state's
 * credential token, and answers with the service's login page to go to.
 */
export async function startExternalLogin(
  ctx: ServerContext,
  app: AppSettings,
  name: string,
  params: URLSearchParams,
  info: RequestInfo,
): Promise<{ redirect: string }> {
  const { service, settings } = await requireService(ctx, app, name);
  const { state, raw } = requireState(params);
  const { redirectUrl } = destination(app, state.loginStyle, state.redirectUrl);
  const options = readOptions(params);
  const handBack = single(params, 'handBack') === 'sdk' ? 'sdk' : 'meteor';

  const now = ctx.now();
  const key = `oauth-start:${addressKey(info.address)}`;
  const blocked = await ctx.limiter.blocked([{ key, limit: STARTS_PER_ADDRESS }], now);
  if (blocked)
    throw new GatehouseError('TooManyRequests', 'too many logins started; try again later', {
      details: { retryAfterSeconds: Math.ceil(blocked.retryAfterMs / 1000) },
    });
  await ctx.limiter.count([key], STARTS_WINDOW_MS, now);

  const ticket: StartTicket = {
    service: service.name,
    loginStyle: state.loginStyle,
    handBack,
    ...(redirectUrl === undefined ? {} : { redirectUrl }),
  };
  const redirectUri = callbackUrl(app, service.name);
  if (service.protocol === 'oauth1') {
    const client = oauth1Client(service.label, {
      key: settings[service.clientIdField] as string,
      secret: settings.secret,
    });
    const endpoints = service.endpoints(settings);
    // Meteor's OAuth 1.0a callback carries the state (OAuth 1.0a has no state parameter of its own).
    const callback = `${redirectUri}?state=${encodeURIComponent(raw)}`;
    const answer = tokenAnswer(
      service.label,
      await client.call('POST', endpoints.requestToken, { oauthParams: { oauth_callback: callback } }),
      'request token',
    );
    if (answer.get('oauth_callback_confirmed') !== 'true')
      throw new GatehouseError('AuthError', `${service.label} login failed: the callback was not confirmed`);
    const requestToken = answer.get('oauth_token') as string;
    await storeStart(ctx, app, state.credentialToken, {
      ...ticket,
      requestToken,
      requestTokenSecret: answer.get('oauth_token_secret') as string,
    });
    const url = new URL(endpoints.authenticate);
    for (const param of service.authenticateParams) {
      const value = single(params, param);
      if (value !== undefined && value.length <= 200) url.searchParams.set(param, value);
    }
    url.searchParams.set('oauth_token', requestToken);
    return { redirect: url.toString() };
  }
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const nonce = oauth.generateRandomNonce();
  await storeStart(ctx, app, state.credentialToken, { ...ticket, codeVerifier, nonce });
  const url = await service.authorizationUrl(settings, {
    redirectUri,
    state: raw,
    options,
    codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    nonce,
  });
  return { redirect: url.toString() };
}

/**
 * The service's answer at `/_oauth/<service>` (query or form post): ends the login with Meteor's popup or
 * redirect page (or, for Gatehouse's client, a redirect with the result in the fragment). A request without
 * a usable state, from another app's login, or for a page off the allowlist is refused with an error page and
 * no redirect.
 */
export async function finishExternalLogin(
  ctx: ServerContext,
  app: AppSettings,
  name: string,
  params: URLSearchParams,
): Promise<Outcome> {
  const configured = await requireService(ctx, app, name);
  const { service } = configured;
  let checked: ReturnType<typeof requireState>;
  try {
    checked = requireState(params);
  } catch (error) {
    return { page: failurePage(messageOf(ctx, error), 400) };
  }
  const { state } = checked;
  const started = await takeStart(ctx, app, state.credentialToken);
  if (started && (started.appId !== app.id || started.value.service !== service.name))
    return { page: failurePage('this login was started for another app or service', 400) };
  const ticket = started?.value;
  if (!ticket && (service.protocol === 'oauth1' || service.requiresStart))
    return { page: failurePage('this login was not started here, has expired or was already used', 400) };

  const loginStyle = ticket?.loginStyle ?? state.loginStyle;
  let end: ReturnType<typeof destination>;
  try {
    end = destination(app, loginStyle, ticket ? ticket.redirectUrl : state.redirectUrl);
  } catch (error) {
    return { page: failurePage(messageOf(ctx, error), 400) };
  }
  const handBack = ticket?.handBack ?? 'meteor';
  const finish = (result: { credentialSecret: string } | { error: string }): Outcome => {
    const secret = 'credentialSecret' in result ? result.credentialSecret : undefined;
    const error = 'error' in result ? result.error : undefined;
    if (loginStyle === 'popup')
      return {
        page: popupPage({
          credentialToken: state.credentialToken,
          isCordova: state.isCordova,
          ...(secret === undefined ? { error } : { credentialSecret: secret }),
          ...(end.targetOrigin ? { targetOrigin: end.targetOrigin } : {}),
        }),
      };
    const back = end.redirectUrl as string;
    if (handBack === 'sdk') {
      const base = back.split('#')[0] as string;
      const fields: Record<string, string> =
        secret === undefined
          ? { gatehouse_oauth_error: error ?? '' }
          : {
              gatehouse_credential_token: state.credentialToken,
              gatehouse_credential_secret: secret,
            };
      return { redirect: `${base}#${new URLSearchParams(fields).toString()}` };
    }
    if (secret === undefined) return { page: failurePage(error ?? 'the login did not complete', 200, back) };
    return {
      page: redirectPage({
        credentialToken: state.credentialToken,
        credentialSecret: secret,
        redirectUrl: back,
        isCordova: state.isCordova,
      }),
    };
  };

  try {
    const outcome =
      service.protocol === 'oauth1'
        ? await finishOAuth1(service, configured.settings, params, ticket as StartTicket)
        : await finishOAuth2(ctx, app, service, configured.settings, params, ticket);
    const credentialSecret = await storePendingCredential(ctx, app, state.credentialToken, {
      serviceName: service.name,
      serviceData: outcome.serviceData,
      options: outcome.options,
    });
    return finish({ credentialSecret });
  } catch (error) {
    return finish({ error: messageOf(ctx, error) });
  }
}

async function finishOAuth2(
  ctx: ServerContext,
  app: AppSettings,
  service: OAuth2Service,
  settings: ConfiguredService['settings'],
  params: URLSearchParams,
  ticket: StartTicket | undefined,
): Promise<ServiceOutcome> {
  const error = single(params, 'error');
  if (error !== undefined)
    throw new GatehouseError(
      'AuthError',
      `${service.label} login was not completed (${error.slice(0, 100)}${
        params.get('error_description') ? `: ${(params.get('error_description') as string).slice(0, 200)}` : ''
      })`,
    );
  const code = single(params, 'code');
  if (!code || code.length > 4096)
    throw new GatehouseError('AuthError', `${service.label} login failed: the answer carries no code`);
  return service.finish(settings, {
    params,
    code,
    redirectUri: callbackUrl(app, service.name),
    now: ctx.now(),
    ...(ticket?.codeVerifier ? { codeVerifier: ticket.codeVerifier } : {}),
    ...(ticket?.nonce ? { nonce: ticket.nonce } : {}),
  });
}

async function finishOAuth1(
  service: OAuth1Service,
  settings: ConfiguredService['settings'],
  params: URLSearchParams,
  ticket: StartTicket,
): Promise<ServiceOutcome> {
  if (single(params, 'denied') !== undefined)
    throw new GatehouseError('AuthError', `${service.label} login was not completed (access_denied)`);
  const token = single(params, 'oauth_token');
  const verifier = single(params, 'oauth_verifier');
  if (!token || token !== ticket.requestToken || !verifier || verifier.length > 1024)
    throw new GatehouseError('AuthError', `${service.label} login failed: the answer does not match the request token`);
  const client = oauth1Client(service.label, {
    key: settings[service.clientIdField] as string,
    secret: settings.secret,
  });
  const endpoints = service.endpoints(settings);
  const access = tokenAnswer(
    service.label,
    await client.call('POST', endpoints.accessToken, {
      token: { token, secret: ticket.requestTokenSecret as string },
      oauthParams: { oauth_verifier: verifier },
    }),
    'access token request',
  );
  const accessToken = {
    token: access.get('oauth_token') as string,
    secret: access.get('oauth_token_secret') as string,
  };
  const signedGet = async (url: string) => {
    const target = new URL(url);
    const query = Object.fromEntries(target.searchParams);
    target.search = '';
    const answer = await client.call('GET', target.toString(), { token: accessToken, params: query });
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      body = null;
    }
    if (!answer.ok || !body || typeof body !== 'object')
      throw new GatehouseError(
        'AuthError',
        `${service.label} login failed: the user endpoint refused (HTTP ${answer.status})`,
      );
    return body;
  };
  return service.identify(settings, signedGet, accessToken);
}

/** What a refusal says to the person at the browser; anything unexpected is logged and said generically. */
function messageOf(ctx: ServerContext, error: unknown): string {
  if (isGatehouseError(error) && error.code !== 'InternalServerError') return error.message.slice(0, 500);
  ctx.logger.error(
    { err: error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : String(error) },
    'external login failed',
  );
  return 'internal server error';
}

export { MESSAGE_TYPE };
