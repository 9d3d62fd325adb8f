import { GatehouseError, isObjectIdHex, objectId } from '@gatehouse-auth/core';
import {
  type ApiKeyRecord,
  isStorageConflictError,
  type SessionRecord,
  type UserRecord,
} from '@gatehouse-auth/storage';
import { z } from 'zod';
import { attemptLimits, isAnonymousOnly, refuseLogin } from '../../accounts/index.js';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';
import { requestFacts } from '../../events/index.js';
import type { CredentialProvider } from '../registry.js';
import { type ApiKeyView, checkName, endSessionsOfKey, keyHashOf, newKeySecret, PROVIDER, view } from './keys.js';

/**
 * User API keys (routes 8–13) and `api-key` login. A non-anonymous user makes named keys,
 * each shown once and stored only as its SHA-256; logging in with one gives the owning user a session that
 * remembers the key. Every function here acts on the caller's own keys: the owner always comes from the
 * authenticated session, never from the request (CVE-2025-61928).
 */

export { type ApiKeyView, PROVIDER } from './keys.js';
export { type ServerApiKeyView, serverApiKeys } from './server-keys.js';

const notFound = () => new GatehouseError('APIKeyNotFound', 'API key not found');

function settingsOf(app: AppSettings) {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  return settings;
}

/**
 * Server users own exactly their server key, which the operator manages with the CLI: a holder of one server
 * key must not make, see or change keys through the client API.
 */
function refuseServerUser(user: UserRecord): void {
  if (user.type === 'server')
    throw new GatehouseError('Forbidden', "server users' API keys are managed with 'gatehouse keys'");
}

/** A key id from the URL, or 404 for anything that is not a 24-hex id (it cannot name a key). */
function keyIdOf(keyId: string): string {
  if (!isObjectIdHex(keyId)) throw notFound();
  return keyId;
}

async function announce(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  type: 'api-key-created' | 'api-key-enabled' | 'api-key-disabled' | 'api-key-deleted',
  keyId: string,
  info: RequestInfo | null,
) {
  await ctx.events.emit({ type, appId: app.id, userId: user.id, ...requestFacts(info), detail: { keyId } });
}

/**
 * `POST /auth/api_keys` (route 8): makes a key for `user`; the secret is in the answer and nowhere else.
 * Anonymous users cannot own keys; a user holds at most `maxKeysPerUser` (App Services: 20).
 *
 * @example
 * ```ts
 * const { _id, key } = await createApiKey(ctx, app, user, 'ci');
 * ```
 */
export async function createApiKey(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  name: string,
  info: RequestInfo | null = null,
): Promise<ApiKeyView & { key: string }> {
  const { maxKeysPerUser } = settingsOf(app);
  refuseServerUser(user);
  if (isAnonymousOnly(user)) throw new GatehouseError('InvalidParameter', 'anonymous users cannot own API keys');
  const clean = checkName(name);
  const tooMany = () =>
    new GatehouseError('InvalidParameter', `a user can have at most ${maxKeysPerUser} API keys`, {
      details: { maxKeysPerUser },
    });
  if ((await ctx.storage.countApiKeys(app.id, user.id)) >= maxKeysPerUser) throw tooMany();
  const { key, keyHash } = await newKeySecret();
  const now = ctx.now();
  let record: ApiKeyRecord;
  try {
    record = await ctx.storage.createApiKey({
      id: objectId(now),
      appId: app.id,
      userId: user.id,
      kind: 'user',
      name: clean,
      keyHash,
      now,
    });
  } catch (error) {
    if (isStorageConflictError(error) && error.target === 'apiKeyName')
      throw new GatehouseError('APIKeyAlreadyExists', 'API key already exists');
    throw error;
  }
  // Concurrent creates can all pass the count above. Each counts again after its own insert and steps back
  // when over the limit: the last insert to keep its key saw every other kept key, so the limit holds without
  // a lock (under contention, a create may be refused that would have fitted — never the other way round).
  if ((await ctx.storage.countApiKeys(app.id, user.id)) > maxKeysPerUser) {
    await ctx.storage.deleteApiKey(app.id, user.id, record.id);
    throw tooMany();
  }
  await announce(ctx, app, user, 'api-key-created', record.id, info);
  return { ...view(record), key };
}

/** `GET /auth/api_keys` (route 9): the caller's keys, oldest first; `[]` when none. */
export async function listApiKeys(ctx: ServerContext, app: AppSettings, user: UserRecord): Promise<ApiKeyView[]> {
  settingsOf(app);
  refuseServerUser(user);
  return (await ctx.storage.listApiKeys(app.id, user.id)).map(view);
}

/** `GET /auth/api_keys/{id}` (route 10): one of the caller's keys; another user's key is not found. */
export async function getApiKey(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  keyId: string,
): Promise<ApiKeyView> {
  settingsOf(app);
  refuseServerUser(user);
  const key = await ctx.storage.getApiKey(app.id, user.id, keyIdOf(keyId));
  if (!key) throw notFound();
  return view(key);
}

/**
 * `PUT /auth/api_keys/{id}/enable|disable` (routes 12, 13). Disabling a key also ends the sessions it opened
 * — except the caller's own, when a session disables the key it logged in with (it asked for it, and
 * realm-web keeps using that session afterwards).
 */
export async function setApiKeyDisabled(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  session: SessionRecord,
  keyId: string,
  disabled: boolean,
  info: RequestInfo | null = null,
): Promise<void> {
  settingsOf(app);
  refuseServerUser(user);
  if (!(await ctx.storage.setApiKeyDisabled(app.id, user.id, keyIdOf(keyId), disabled))) throw notFound();
  if (disabled) await endSessionsOfKey(ctx.storage, app.id, user.id, keyId, ctx.now(), session.id);
  await announce(ctx, app, user, disabled ? 'api-key-disabled' : 'api-key-enabled', keyId, info);
}

/**
 * `DELETE /auth/api_keys/{id}` (route 11): deletes a key and ends the sessions it opened. The key that
 * authenticated the calling session cannot delete itself (403, as Atlas did).
 */
export async function deleteApiKey(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  session: SessionRecord,
  keyId: string,
  info: RequestInfo | null = null,
): Promise<void> {
  settingsOf(app);
  refuseServerUser(user);
  keyIdOf(keyId);
  if (session.apiKeyId === keyId)
    throw new GatehouseError('Forbidden', 'cannot delete the API key of the current session');
  if (!(await ctx.storage.deleteApiKey(app.id, user.id, keyId))) throw notFound();
  await endSessionsOfKey(ctx.storage, app.id, user.id, keyId, ctx.now());
  await announce(ctx, app, user, 'api-key-deleted', keyId, info);
}

/**
 * `api-key` login (body `{"key"}`): the owner of an enabled key of this app — a user key's owner, or
 * a server key's server user. Unknown, disabled and deleted keys get one answer (401 `InvalidPassword`), and
 * failures count against the client address like failed passwords. The session remembers the key.
 */
export const apiKeyProvider: CredentialProvider<{ key: string }> = {
  type: PROVIDER,
  schema: z.object({ key: z.string().min(1).max(512) }).strict(),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  async logIn(ctx, app, { key }, info) {
    const limits = attemptLimits(ctx, app, null, info.address);
    await limits.check();
    const record = await ctx.storage.findApiKeyByHash(app.id, await keyHashOf(key));
    const user = record && !record.disabled ? await ctx.storage.getUser(app.id, record.userId) : null;
    if (!record || !user) {
      await limits.failed();
      const refusal = { userId: null, provider: PROVIDER, reason: 'unknown-key', info };
      throw await refuseLogin(ctx, app, refusal, new GatehouseError('InvalidPassword', 'invalid API key'));
    }
    await ctx.storage.touchApiKey(app.id, record.id, ctx.now());
    return { user, apiKeyId: record.id };
  },
};
