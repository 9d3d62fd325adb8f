import { GatehouseError, type JsonObject, randomSecret } from '@gatehouse-auth/core';
import { isStorageConflictError } from '@gatehouse-auth/storage';
import type { AppSettings, ServerContext } from '../../context.js';
import { secretHash } from '../../tokens/hash.js';
import { vaultOf } from '../vault.js';

/**
 * What an external login keeps between requests, in the database's one-time tokens so that any instance can
 * finish what another started: consumed atomically, exactly once, and sealed with the vault (they hold PKCE
 * verifiers, OAuth 1.0a token secrets and provider tokens).
 *
 * - A **start ticket** (`oauth-start`): a login Gatehouse started (`?requestTokenAndRedirect=true`), under the
 *   client's credential token: the app, the service, the login style and page, the PKCE verifier and nonce, or
 *   the OAuth 1.0a request token.
 * - A **pending credential** (`oauth-credential`, Meteor's `meteor_oauth_pendingCredentials`): the outcome of a
 *   login at the service, redeemed once with the credential token and its secret (`login({ oauth })`).
 */

/** How long a started login may take at the service (Meteor keeps OAuth 1.0a request tokens 5 minutes). */
export const START_LIFETIME_MS = 10 * 60_000;
/** How long a pending credential waits to be redeemed (Meteor: 1 minute). */
export const CREDENTIAL_LIFETIME_MS = 60_000;

export interface StartTicket {
  service: string;
  loginStyle: 'popup' | 'redirect';
  /** The checked page a redirect login returns to, or whose origin a popup hands its result to. */
  redirectUrl?: string;
  /** `meteor`: Meteor's hand-back (opener, storage); `sdk`: Gatehouse's client (message, URL fragment). */
  handBack: 'meteor' | 'sdk';
  codeVerifier?: string;
  nonce?: string;
  requestToken?: string;
  requestTokenSecret?: string;
}

/** Meteor's pending credential: `{ serviceName, serviceData, options }`. */
export interface PendingCredential {
  serviceName: string;
  serviceData: JsonObject & { id: string };
  options: { profile?: JsonObject };
}

const startId = (credentialToken: string) => secretHash(`oauth-start:${credentialToken}`);
const credentialId = (credentialToken: string) => secretHash(`oauth-credential:${credentialToken}`);

async function store(
  ctx: ServerContext,
  app: AppSettings,
  purpose: 'oauth-start' | 'oauth-credential',
  id: string,
  secret: string,
  value: object,
  lifetimeMs: number,
): Promise<void> {
  const now = ctx.now();
  try {
    await ctx.storage.createOneTimeToken({
      id,
      appId: app.id,
      userId: null,
      purpose,
      tokenHash: secretHash(secret),
      data: { sealed: vaultOf(ctx).seal(JSON.stringify(value), `${purpose}:${id}`) },
      now,
      expiresAt: now + lifetimeMs,
    });
  } catch (error) {
    // Meteor overwrote a second use of the same state; here the first one stands and the second is refused.
    if (isStorageConflictError(error))
      throw new GatehouseError('BadRequest', 'this login was already used; start a new one');
    throw error;
  }
}

async function take<T>(
  ctx: ServerContext,
  appId: string,
  purpose: 'oauth-start' | 'oauth-credential',
  id: string,
  secret: string,
): Promise<{ appId: string; value: T } | null> {
  const record = await ctx.storage.consumeOneTimeToken({
    appId,
    id,
    tokenHash: secretHash(secret),
    purpose,
    now: ctx.now(),
  });
  const sealed = record?.data.sealed;
  if (!record || typeof sealed !== 'string') return null;
  const opened = vaultOf(ctx).open(sealed, `${purpose}:${id}`);
  return opened === null ? null : { appId: record.appId, value: JSON.parse(opened) as T };
}

/** Keeps a started login under the client's credential token. */
export function storeStart(ctx: ServerContext, app: AppSettings, credentialToken: string, ticket: StartTicket) {
  return store(ctx, app, 'oauth-start', startId(credentialToken), credentialToken, ticket, START_LIFETIME_MS);
}

/**
 * Takes the started login of a credential token (once), with the app it was started for; `null` if none. A
 * login started for another app of this deployment is found (and used up) too, so that its callback can be
 * refused for what it is.
 */
export async function takeStart(ctx: ServerContext, app: AppSettings, credentialToken: string) {
  const id = startId(credentialToken);
  for (const appId of [app.id, ...[...ctx.config.apps.keys()].filter((other) => other !== app.id)]) {
    const found = await take<StartTicket>(ctx, appId, 'oauth-start', id, credentialToken);
    if (found) return found;
  }
  return null;
}

/** Keeps the outcome of a login for `login({ oauth })`; returns the credential secret that redeems it. */
export async function storePendingCredential(
  ctx: ServerContext,
  app: AppSettings,
  credentialToken: string,
  credential: PendingCredential,
): Promise<string> {
  const credentialSecret = randomSecret();
  await store(
    ctx,
    app,
    'oauth-credential',
    credentialId(credentialToken),
    credentialSecret,
    credential,
    CREDENTIAL_LIFETIME_MS,
  );
  return credentialSecret;
}

/**
 * Meteor's `OAuth.retrieveCredential`: the pending credential of a token, if the secret matches, it has not
 * expired nor been used, and it belongs to this app — removed as it is read. `null` otherwise.
 */
export async function retrievePendingCredential(
  ctx: ServerContext,
  app: AppSettings,
  credentialToken: string,
  credentialSecret: string,
): Promise<PendingCredential | null> {
  const found = await take<PendingCredential>(
    ctx,
    app.id,
    'oauth-credential',
    credentialId(credentialToken),
    credentialSecret,
  );
  return found?.value ?? null;
}
