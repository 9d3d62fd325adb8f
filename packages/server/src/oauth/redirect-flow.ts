import {
  fromBase64Url,
  GatehouseError,
  isGatehouseError,
  type JsonObject,
  objectId,
  randomSecret,
  toBase64Url,
  utf8,
} from '@gatehouse-auth/core';
import * as oauth from 'oauth4webapi';
import {
  type Authenticated,
  deviceIdFrom,
  findOrCreateUserForIdentity,
  identityTaken,
  isActive,
  issueAccessToken,
  linkIdentity,
  logIn,
  type ProvenIdentity,
} from '../accounts/index.js';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { escapeHtml, page } from '../pages/layout.js';
import { credentialProviders, providerNotFound } from '../providers/index.js';
import { facebookRedirect } from '../providers/oauth2-facebook/index.js';
import { googleRedirect } from '../providers/oauth2-google/index.js';
import { addressKey } from '../rate-limit/index.js';
import { secretHash } from '../tokens/hash.js';
import type { RedirectProvider, RedirectSettings } from './redirect-provider.js';

/**
 * The OAuth2 redirect flow of realm-web: `GET …/login?state&redirect&device` sends the browser to
 * the IdP with PKCE (S256), a single-use state and (OpenID Connect) a nonce; the IdP comes back to
 * `GET /auth/callback`, where the provider exchanges the code and proves the identity (`./redirect-provider.ts`),
 * the user is logged in (or the identity linked) through the same hooks as every login, and the browser
 * is sent to the app's page with the result in the URL fragment.
 *
 * The pending login is a one-time token (`oauth-state`): only the hash of its secret is stored, consuming it is
 * atomic, and it expires after {@link STATE_LIFETIME_MS} (ASVS 10.4.3). The app page must be on the app's
 * exact-match allowlist (`oauthRedirectUris`, RFC 9700 §4.11): nothing is ever redirected anywhere else.
 */

/** Providers that can run the redirect flow, by type. Apple is not built yet. */
export const redirectProviders: ReadonlyMap<string, RedirectProvider> = new Map(
  [googleRedirect, facebookRedirect].map((p) => [p.type, p]),
);

/** How long a started login may take at the IdP. */
export const STATE_LIFETIME_MS = 10 * 60_000;

/** Logins one client address may start per window: each one writes a row. */
const STARTS_PER_ADDRESS = 60;
const STARTS_WINDOW_MS = 10 * 60_000;

/** The path the IdP returns to, under the public URL; register `<publicUrl>` + this at the IdP. */
export const CALLBACK_PATH = '/api/client/v2.0/auth/callback';

/** realm-web's state: 12 lowercase letters; a little room for other clients, nothing more. */
const CLIENT_STATE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_REDIRECT_LENGTH = 2048;
const MAX_DEVICE_LENGTH = 4096;
/**
 * Our state at the IdP: `<app id, base64url>.<token id>.<secret>`. The callback URL names no app, and the
 * ticket is stored under its app, so the state carries the app id.
 */
const OUR_STATE = /^([A-Za-z0-9_-]{1,256})\.([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/;

/** What is kept between the two requests (the one-time token's data). */
interface PendingLogin {
  provider: string;
  clientState: string;
  redirect: string;
  deviceId: string;
  codeVerifier: string;
  nonce: string;
  /** For a link: the session that asked for it. */
  linkSessionId?: string;
}

export interface StartInput {
  state: string | undefined;
  redirect: string | undefined;
  device: string | undefined;
}

/**
 * Starts a redirect login (or, with `linking`, a link for that user's session) and returns the IdP URL to send
 * the browser to. Refusals are coded errors (400 on the wire); none of them redirects anywhere.
 *
 * @example
 * ```ts
 * const url = await startRedirectLogin(ctx, app, 'oauth2-google', { state: 'abcdefghijkl', redirect, device }, info);
 * ```
 */
export async function startRedirectLogin(
  ctx: ServerContext,
  app: AppSettings,
  type: string,
  input: StartInput,
  info: RequestInfo,
  linking?: Authenticated,
): Promise<string> {
  const settings = settingsFor(app, type);
  if (input.state === undefined || !CLIENT_STATE.test(input.state))
    throw new GatehouseError('InvalidParameter', "invalid request: 'state' must be 1 to 64 letters, digits, - or _");
  if (input.redirect === undefined || input.redirect.length > MAX_REDIRECT_LENGTH)
    throw new GatehouseError('InvalidParameter', "invalid request: 'redirect' is missing or too long");
  // Exact string match (RFC 9700 §4.1, ASVS 10.4.1): no prefixes, no normalising, no patterns.
  if (!app.oauthRedirectUris.includes(input.redirect))
    throw new GatehouseError('InvalidParameter', "invalid request: 'redirect' is not an allowed redirect URI");
  if (input.device !== undefined && input.device.length > MAX_DEVICE_LENGTH)
    throw new GatehouseError('InvalidParameter', "invalid request: 'device' is too long");
  if (linking) {
    if (linking.user.appId !== app.id)
      throw new GatehouseError('InvalidSession', 'invalid session: token of another app');
    if (linking.user.type === 'server') throw new GatehouseError('Forbidden', 'server users cannot link credentials');
  }

  const now = ctx.now();
  const key = `oauth-start:${addressKey(info.address)}`;
  const blocked = await ctx.limiter.blocked([{ key, limit: STARTS_PER_ADDRESS }], now);
  if (blocked)
    throw new GatehouseError('TooManyRequests', 'too many logins started; try again later', {
      details: { retryAfterSeconds: Math.ceil(blocked.retryAfterMs / 1000) },
    });
  await ctx.limiter.count([key], STARTS_WINDOW_MS, now);

  const codeVerifier = oauth.generateRandomCodeVerifier();
  const nonce = oauth.generateRandomNonce();
  const pending: PendingLogin = {
    provider: type,
    clientState: input.state,
    redirect: input.redirect,
    // A link keeps the session's device; a login takes realm-web's (a plain hex `deviceId`).
    deviceId: linking ? linking.session.deviceId : deviceIdFrom({ device: decodeDevice(input.device) }),
    codeVerifier,
    nonce,
    ...(linking ? { linkSessionId: linking.session.id } : {}),
  };
  const state = await issueTicket(ctx, app.id, linking ? linking.user.id : null, pending);

  const url = new URL(settings.authorizationEndpoint);
  const params = {
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: callbackUrl(ctx),
    scope: settings.scope,
    state,
    ...(settings.nonce ? { nonce } : {}),
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * The outcome of a callback: where to send the browser, a refusal to show (no usable state), or — for a link —
 * the page that asks the person at the browser to confirm it.
 */
export type CallbackOutcome =
  | { redirect: string }
  | { refused: GatehouseError }
  | { confirm: { html: string; formAction: string } };

/**
 * Finishes a redirect login at the callback. Without a valid, unexpired, unused state nothing is known about
 * where to go, so the answer is a refusal page (`refused`) and no redirect. Once the state is consumed, every
 * outcome — success or failure — goes to the app page the login started with, as realm-web expects.
 */
export async function finishRedirectLogin(
  ctx: ServerContext,
  params: URLSearchParams,
  info: RequestInfo,
): Promise<CallbackOutcome> {
  const refused = new GatehouseError('BadRequest', 'invalid, expired or already used OAuth state');
  if (params.getAll('state').length !== 1) return { refused };
  const ticket = await consumeTicket(ctx, params.get('state') as string, readPending);
  if (!ticket) return { refused };
  const { app, userId, data: pending, back } = ticket;
  try {
    const identity = await proveAnswer(ctx, app, params, pending);
    if (pending.linkSessionId !== undefined)
      return { confirm: await askToConfirmLink(ctx, app, userId, pending, identity) };
    const provider = credentialProviders.get(pending.provider);
    if (!provider?.enabled(app)) throw providerNotFound(pending.provider);
    const result = await logIn(
      ctx,
      app,
      { type: pending.provider, methodName: 'login', providerType: provider.type, info },
      async () => ({ user: await findOrCreateUserForIdentity(ctx, app, identity, info) }),
      { kind: 'refresh', deviceId: pending.deviceId },
    );
    return back([['_baas_ua', `${result.accessToken}$${result.refreshToken}$${result.userId}$${result.deviceId}`]]);
  } catch (error) {
    return back([['_baas_error', clientMessage(ctx, error)]]);
  }
}

/** Where the link confirmation form posts. */
export const CONFIRM_PATH = `${CALLBACK_PATH}/confirm`;

/** A link waiting for the person at the browser to confirm it (the `oauth-state` token's data, second step). */
interface PendingLink {
  step: 'confirm-link';
  provider: string;
  clientState: string;
  redirect: string;
  deviceId: string;
  linkSessionId: string;
  identity: ProvenIdentity;
}

/**
 * A link is not made at the callback but after the person at the browser confirms it on a page that names both
 * accounts. Nothing ties the popup to the browser that asked for the link (Atlas used a cookie; cross-site
 * cookies are unreliable now), so without this step someone could start a link for their own user and get a
 * victim to open the IdP URL: the victim's account would be linked to theirs silently (OAuth "login CSRF").
 * The page is a form carrying a new single-use token; an identity already owned by another user is refused
 * before any page is shown.
 */
async function askToConfirmLink(
  ctx: ServerContext,
  app: AppSettings,
  userId: string | null,
  pending: PendingLogin,
  identity: ProvenIdentity,
): Promise<{ html: string; formAction: string }> {
  const { user } = await linkingSession(ctx, app, userId, pending.linkSessionId as string);
  const owner = await ctx.storage.findUserByIdentity(app.id, identity.providerId, identity.subject);
  if (owner && owner.id !== user.id) throw identityTaken();
  const link: PendingLink = {
    step: 'confirm-link',
    provider: pending.provider,
    clientState: pending.clientState,
    redirect: pending.redirect,
    deviceId: pending.deviceId,
    linkSessionId: pending.linkSessionId as string,
    identity,
  };
  const token = await issueTicket(ctx, app.id, user.id, link);
  const label = redirectProviders.get(pending.provider)?.redirectSettings(app);
  const providerName = typeof label === 'object' && label ? label.label : pending.provider;
  const theirs = identity.email?.address ?? identity.profile?.name ?? identity.subject;
  const account = `the ${app.name} account ${verifiedLabel(user)}`;
  const formAction = `${ctx.config.publicUrl}${CONFIRM_PATH}`;
  const html = page(
    `Link your ${providerName} account`,
    `<h1>Link your ${escapeHtml(providerName)} account?</h1>
<p>Signing in with ${escapeHtml(providerName)} as <strong>${escapeHtml(String(theirs))}</strong> will also sign you in to
<strong>${escapeHtml(account)}</strong>.</p>
<p>Only continue if you started this yourself, in ${escapeHtml(app.name)}, just now.</p>
<form method="post" action="${escapeHtml(formAction)}">
<input type="hidden" name="token" value="${token}">
<button type="submit" name="decision" value="link">Link the accounts</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>`,
  );
  return { html, formAction };
}

/**
 * How the link page names the account being linked to: only what the server itself verified, never what the
 * account's holder typed — a username or `profile.name` could read `bob@example.com (your account)` on an
 * attacker's anonymous account. A verified email; else an identity an outside provider vouched for; else the
 * kind of account and when it was made.
 */
function verifiedLabel(user: Authenticated['user']): string {
  const email = user.emails.find((e) => e.verified)?.address;
  if (email) return email;
  for (const identity of user.identities) {
    const vouched = identity.data.email;
    if (typeof vouched === 'string' && identity.data.email_verified !== false)
      return `${vouched} (${identity.providerType.replace(/^oauth2-/, '')})`;
  }
  const created = new Date(user.createdAt).toISOString().slice(0, 10);
  return user.identities.every((i) => i.providerType === 'anon-user')
    ? `(an anonymous account created ${created})`
    : `(an account created ${created}, id ${user.id})`;
}

/**
 * The answer to the confirmation page: with `decision=link` the identity is linked to the user whose session
 * started it and that session gets a new access token (`_baas_link=ok`, an empty refresh part); anything
 * else cancels. Either way the browser goes back to the app page the link started with.
 */
export async function confirmRedirectLink(ctx: ServerContext, form: URLSearchParams): Promise<CallbackOutcome> {
  const refused = new GatehouseError('BadRequest', 'invalid, expired or already used link confirmation');
  if (form.getAll('token').length !== 1 || form.getAll('decision').length > 1) return { refused };
  const ticket = await consumeTicket(ctx, form.get('token') as string, readPendingLink);
  if (!ticket) return { refused };
  const { app, userId, data: link, back } = ticket;
  if (form.get('decision') !== 'link') return back([['_baas_error', 'the link was cancelled']]);
  try {
    const accessToken = await linkWithSession(ctx, app, userId, link.linkSessionId, link.identity);
    // the refresh part may be empty; realm-web keeps its refresh token.
    return back([
      ['_baas_link', 'ok'],
      ['_baas_ua', `${accessToken}$$${userId}$${link.deviceId}`],
    ]);
  } catch (error) {
    return back([['_baas_error', clientMessage(ctx, error)]]);
  }
}

function readPendingLink(data: JsonObject): PendingLink | null {
  const link = data as unknown as Partial<PendingLink>;
  const identity = link.identity as Partial<ProvenIdentity> | undefined;
  if (
    link.step !== 'confirm-link' ||
    typeof link.provider !== 'string' ||
    typeof link.clientState !== 'string' ||
    typeof link.redirect !== 'string' ||
    typeof link.deviceId !== 'string' ||
    typeof link.linkSessionId !== 'string' ||
    typeof identity?.providerType !== 'string' ||
    typeof identity.providerId !== 'string' ||
    typeof identity.subject !== 'string'
  )
    return null;
  return link as PendingLink;
}

/** `<publicUrl>/api/client/v2.0/auth/callback`: built from configuration only, never from request headers. */
export function callbackUrl(ctx: ServerContext): string {
  return `${ctx.config.publicUrl}${CALLBACK_PATH}`;
}

/**
 * `<redirect>#k=v&…` with every value percent-encoded: realm-web splits on `&` and `=` and keeps only the
 * first two pieces, so a literal `=` (base64 padding, a JWT never has one, an error message may) would cut a
 * value short.
 */
export function resultUrl(redirect: string, fields: [string, string][]): string {
  return `${redirect}#${fields.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

function settingsFor(app: AppSettings, type: string): RedirectSettings {
  const settings = redirectProviders.get(type)?.redirectSettings(app) ?? null;
  if (settings === null) throw providerNotFound(type);
  if (settings === 'needs-client-secret')
    throw new GatehouseError('InvalidParameter', `'${type}' is not set up for redirect logins (it needs clientSecret)`);
  return settings;
}

/** realm-web's `device`: standard base64 of a JSON object. Informational: junk is ignored. */
function decodeDevice(device: string | undefined): unknown {
  if (device === undefined || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(device)) return undefined;
  try {
    const binary = atob(device.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
  } catch {
    return undefined;
  }
}

function readPending(data: JsonObject): PendingLogin | null {
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null);
  const [provider, clientState, redirect, deviceId, codeVerifier, nonce] = [
    'provider',
    'clientState',
    'redirect',
    'deviceId',
    'codeVerifier',
    'nonce',
  ].map(text);
  if (!provider || !clientState || !redirect || !deviceId || !codeVerifier || !nonce) return null;
  const linkSessionId = text('linkSessionId');
  return {
    provider,
    clientState,
    redirect,
    deviceId,
    codeVerifier,
    nonce,
    ...(linkSessionId ? { linkSessionId } : {}),
  };
}

/**
 * The IdP's answer → a proven identity: an `error=` becomes a refusal naming only the IdP's error code (never
 * its free text); repeated parameters are refused (CVE-2026-9689); the provider exchanges the code.
 */
async function proveAnswer(
  ctx: ServerContext,
  app: AppSettings,
  params: URLSearchParams,
  pending: PendingLogin,
): Promise<ProvenIdentity> {
  const settings = settingsFor(app, pending.provider);
  const refuse = (why: string) => new GatehouseError('AuthError', `${settings.label} login failed: ${why}`);
  for (const name of ['code', 'error', 'iss'])
    if (params.getAll(name).length > 1) throw refuse(`the answer has more than one '${name}'`);
  const error = params.get('error');
  if (error !== null) throw refuse(/^[a-z_]{1,64}$/.test(error) ? error : 'the provider refused');
  const code = params.get('code');
  if (!code || code.length > 4096) throw refuse('no authorization code');
  const provider = redirectProviders.get(pending.provider) as RedirectProvider;
  return provider.finish(ctx, app, {
    params,
    callbackUrl: callbackUrl(ctx),
    codeVerifier: pending.codeVerifier,
    nonce: pending.nonce,
  });
}

/**
 * Writes a ticket — a one-time `oauth-state` token holding `data`, expiring in {@link STATE_LIFETIME_MS} —
 * and returns it as `<token id>.<secret>`: what goes to the IdP as `state`, or into the link confirmation form.
 * Only the secret's hash is stored.
 */
async function issueTicket(ctx: ServerContext, appId: string, userId: string | null, data: object): Promise<string> {
  const now = ctx.now();
  const tokenId = objectId(now);
  const secret = randomSecret();
  await ctx.storage.createOneTimeToken({
    id: tokenId,
    appId,
    userId,
    purpose: 'oauth-state',
    tokenHash: secretHash(secret),
    data: data as JsonObject,
    now,
    expiresAt: now + STATE_LIFETIME_MS,
  });
  return `${toBase64Url(utf8(appId))}.${tokenId}.${secret}`;
}

/**
 * Consumes a ticket (atomically, once) and reads its data with `read`; `null` for anything unusable — a bad
 * shape, unknown, used or expired, another step's data, an app no longer configured, or an app page no longer
 * on its allowlist (the configuration may have changed since the login started). With it comes `back`, the
 * URL of that app page with the result in the fragment.
 */
async function consumeTicket<T extends { redirect: string; clientState: string }>(
  ctx: ServerContext,
  value: string,
  read: (data: JsonObject) => T | null,
): Promise<{
  app: AppSettings;
  userId: string | null;
  data: T;
  back: (fields: [string, string][]) => { redirect: string };
} | null> {
  const match = OUR_STATE.exec(value);
  const appIdBytes = match && fromBase64Url(match[1] as string);
  const app = appIdBytes && ctx.config.apps.get(new TextDecoder().decode(appIdBytes));
  if (!match || !app) return null;
  const record = await ctx.storage.consumeOneTimeToken({
    appId: app.id,
    id: match[2] as string,
    tokenHash: secretHash(match[3] as string),
    purpose: 'oauth-state',
    now: ctx.now(),
  });
  const data = record && read(record.data);
  if (!record || !data || !app.oauthRedirectUris.includes(data.redirect)) return null;
  const back = (fields: [string, string][]) => ({
    redirect: resultUrl(data.redirect, [['_baas_client_app_id', app.id], ['_baas_state', data.clientState], ...fields]),
  });
  return { app, userId: record.userId, data, back };
}

/** The user whose session started a link, while that session lives; `InvalidSession` once it has ended. */
async function linkingSession(ctx: ServerContext, app: AppSettings, userId: string | null, sessionId: string) {
  const session = await ctx.storage.getSession(app.id, sessionId);
  const user = userId === null ? null : await ctx.storage.getUser(app.id, userId);
  if (!session || !isActive(session, ctx.now()) || session.userId !== userId || !user || user.disabled)
    throw new GatehouseError('InvalidSession', 'invalid session: the session that started the link has ended');
  return { user, session };
}

/** adds the identity to the user whose session asked, and issues that session a new access token. */
async function linkWithSession(
  ctx: ServerContext,
  app: AppSettings,
  userId: string | null,
  sessionId: string,
  identity: ProvenIdentity,
): Promise<string> {
  const { user, session } = await linkingSession(ctx, app, userId, sessionId);
  await linkIdentity(ctx, app, user, identity);
  const linked = (await ctx.storage.getUser(app.id, user.id)) ?? user;
  return issueAccessToken(ctx, app, session, linked);
}

/** A refusal's message as the app page may show it; anything unexpected is logged and said generically. */
function clientMessage(ctx: ServerContext, error: unknown): string {
  if (isGatehouseError(error) && error.code !== 'InternalServerError') return error.message.slice(0, 500);
  ctx.logger.error(
    { err: error instanceof Error ? { type: error.name, message: error.message } : String(error) },
    'OAuth callback failed',
  );
  return 'internal server error';
}
