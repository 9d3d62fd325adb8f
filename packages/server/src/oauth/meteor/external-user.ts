import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';
import { type IdentityRecord, isStorageConflictError, type UserRecord } from '@gatehouse-auth/storage';
import { createAccount } from '../../accounts/create.js';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';
import { requestFacts } from '../../events/index.js';
import { SECRET_SERVICE_FIELDS } from '../services/service.js';
import { vaultOf } from '../vault.js';

/**
 * Meteor's `Accounts.updateOrCreateUserFromExternalService`, the one place an
 * external login becomes a user: the user whose `services.<name>.id` is the service's user id — stored as the
 * identity (`identityProvider`, id) — never one matched by email; that user's service data updated key by key
 * (keys the service did not send this time, such as a refresh token given only once, are kept); or, on first
 * use, a new user made through the hooks (`onCreateUser(options, user)` sees `user.services.<name>`,
 * `validateNewUser`, the sign-up rules).
 *
 * Tokens (`accessToken`, `refreshToken`, `idToken`, `accessTokenSecret`) are stored encrypted
 * (`../vault.ts`), bound to the identity; the rest of the service data is stored as is.
 *
 * @example
 * ```ts
 * const user = await updateOrCreateUserFromExternalService(ctx, app, { name: 'github', identityProvider: 'oauth2-github' },
 *   { id: '1234', accessToken: 'gho_…', username: 'ada' }, { profile: { name: 'Ada' } });
 * ```
 */
export async function updateOrCreateUserFromExternalService(
  ctx: ServerContext,
  app: AppSettings,
  service: { name: string; identityProvider: string },
  serviceData: JsonObject,
  options: { profile?: JsonObject } = {},
  info: RequestInfo | null = null,
): Promise<UserRecord> {
  const { name, identityProvider } = service;
  if (name === 'password' || name === 'resume')
    throw new GatehouseError(
      'BadRequest',
      `Can't use updateOrCreateUserFromExternalService with internal service ${name}`,
    );
  const id = serviceData.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 256)
    throw new GatehouseError('BadRequest', `Service data for service ${name} must include id`);

  const existing = await ctx.storage.findUserByIdentity(app.id, identityProvider, id);
  if (existing) return updateServiceData(ctx, app, existing, service, id, serviceData);
  try {
    // The core makes the account: sign-up rules, `onCreateUser` (which sees `user.services.<name>`),
    // `validateNewUser`, the `user-created` event.
    return await createAccount(
      ctx,
      app,
      {
        profile: options.profile ?? {},
        identity: {
          providerType: identityProvider,
          providerId: identityProvider,
          subject: id,
          data: sealServiceData(ctx, app, name, identityProvider, id, serviceData),
        },
        services: { [name]: serviceData },
      },
      'external',
      info,
    );
  } catch (error) {
    // Two logins of one new service user at once: the other request created the user; update it instead.
    if (!isStorageConflictError(error) || error.target !== 'identity') throw error;
    const raced = await ctx.storage.findUserByIdentity(app.id, identityProvider, id);
    if (!raced) throw error;
    return updateServiceData(ctx, app, raced, service, id, serviceData);
  }
}

async function updateServiceData(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  service: { name: string; identityProvider: string },
  id: string,
  serviceData: JsonObject,
): Promise<UserRecord> {
  const identity = user.identities.find((i) => i.providerId === service.identityProvider && i.subject === id);
  const previous = identity ? openServiceData(ctx, app, identity) : {};
  const merged = { ...previous, ...serviceData };
  await ctx.storage.setIdentityData(
    app.id,
    user.id,
    service.identityProvider,
    id,
    sealServiceData(ctx, app, service.name, service.identityProvider, id, merged),
  );
  return (await ctx.storage.getUser(app.id, user.id)) ?? user;
}

/**
 * Adds an external service to an existing user (linking): refused when another user has that
 * service account — accounts are never merged; a repeat link updates the stored data.
 */
export async function addExternalServiceToUser(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  service: { name: string; identityProvider: string },
  serviceData: JsonObject,
  info: RequestInfo | null = null,
): Promise<void> {
  const id = serviceData.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 256)
    throw new GatehouseError('BadRequest', `Service data for service ${service.name} must include id`);
  const owner = await ctx.storage.findUserByIdentity(app.id, service.identityProvider, id);
  if (owner && owner.id !== user.id)
    throw new GatehouseError('InvalidParameter', 'this identity is already linked to another user');
  if (owner) {
    await updateServiceData(ctx, app, owner, service, id, serviceData);
    return;
  }
  try {
    await ctx.storage.addIdentity(
      app.id,
      user.id,
      {
        providerType: service.identityProvider,
        providerId: service.identityProvider,
        subject: id,
        data: sealServiceData(ctx, app, service.name, service.identityProvider, id, serviceData),
      },
      ctx.now(),
    );
  } catch (error) {
    if (isStorageConflictError(error))
      throw new GatehouseError('InvalidParameter', 'this identity is already linked to another user');
    throw error;
  }
  await ctx.events.emit({
    type: 'identity-linked',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { provider: service.identityProvider },
  });
}

/** Meteor's service names of the App Services OAuth providers. */
const SERVICE_OF_PROVIDER: Readonly<Record<string, string>> = {
  'oauth2-google': 'google',
  'oauth2-facebook': 'facebook',
  'oauth2-apple': 'apple',
};

/**
 * Keeps what an App Services OAuth login was handed (`Credentials.google`, `facebook`, `apple`: the ID token,
 * an access token, a refresh token) with the user's identity, encrypted, in the same `services.<service>`
 * shape as a Meteor-style login — so `gatehouse.accounts(appId).serviceData()` reads both. Without
 * `encryptionKeys` nothing is kept.
 */
export async function keepProviderTokens(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  identity: { providerId: string; subject: string; data?: JsonObject },
  tokens: JsonObject,
): Promise<void> {
  if (!vaultOf(ctx).enabled || Object.keys(tokens).length === 0) return;
  const name = SERVICE_OF_PROVIDER[identity.providerId] ?? identity.providerId;
  const stored = user.identities.find((i) => i.providerId === identity.providerId && i.subject === identity.subject);
  const previous = stored ? openServiceData(ctx, app, stored) : {};
  const merged = { ...previous, ...identity.data, ...tokens, id: identity.subject };
  await ctx.storage.setIdentityData(
    app.id,
    user.id,
    identity.providerId,
    identity.subject,
    sealServiceData(ctx, app, name, identity.providerId, identity.subject, merged),
  );
}

const context = (appId: string, provider: string, subject: string) => `identity:${appId}:${provider}:${subject}`;

/**
 * An identity's stored data: `{ service, data, sealed }` — the service's name, its public fields, and its
 * tokens encrypted. Identities stored before (App Services logins) hold their fields directly.
 */
function sealServiceData(
  ctx: ServerContext,
  app: AppSettings,
  name: string,
  provider: string,
  subject: string,
  serviceData: JsonObject,
): JsonObject {
  const open: JsonObject = {};
  const secret: JsonObject = {};
  for (const [key, value] of Object.entries(serviceData)) {
    if ((SECRET_SERVICE_FIELDS as readonly string[]).includes(key)) secret[key] = value;
    else open[key] = value;
  }
  return {
    service: name,
    data: open,
    ...(Object.keys(secret).length
      ? { sealed: vaultOf(ctx).seal(JSON.stringify(secret), context(app.id, provider, subject)) }
      : {}),
  };
}

/** An identity's service data with its tokens decrypted (a token whose key is gone is left out). */
export function openServiceData(ctx: ServerContext, app: AppSettings, identity: IdentityRecord): JsonObject {
  const stored = identity.data;
  const layered = typeof stored.service === 'string' && stored.data && typeof stored.data === 'object';
  const open = (layered ? stored.data : stored) as JsonObject;
  const sealed = layered && typeof stored.sealed === 'string' ? stored.sealed : null;
  const secret = sealed ? vaultOf(ctx).open(sealed, context(app.id, identity.providerId, identity.subject)) : null;
  return { ...open, ...(secret ? (JSON.parse(secret) as JsonObject) : {}), id: identity.subject };
}

/** The Meteor service name an identity was stored for, or `null` (not an external service's). */
export function serviceOfIdentity(identity: IdentityRecord): string | null {
  return typeof identity.data.service === 'string' && identity.data.data && typeof identity.data.data === 'object'
    ? identity.data.service
    : null;
}

/**
 * A user's `services` as server code and hooks see them — `{ github: { id, accessToken, … } }` — tokens
 * decrypted. Never sent to clients.
 */
export function servicesOfUser(ctx: ServerContext, app: AppSettings, user: UserRecord): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const identity of user.identities) {
    const name = serviceOfIdentity(identity);
    if (name) out[name] = openServiceData(ctx, app, identity);
  }
  return out;
}
