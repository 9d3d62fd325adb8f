import { GatehouseError, isObjectIdHex, objectId, randomSecret, sha256 } from '@gatehouse/core';
import {
  type ApiKeyRecord,
  isStorageConflictError,
  type SessionRecord,
  type Storage,
  type UserRecord,
} from '@gatehouse/storage';
import { z } from 'zod';
import type { AppSettings, ServerContext } from '../../context.js';
import { addressKey } from '../../rate-limit/index.js';
import { isAnonymousOnly } from '../../sessions/index.js';
import type { CredentialProvider } from '../registry.js';

/**
 * User API keys (spec §10): a user makes named keys, each shown once and stored only as its SHA-256 (a
 * 256-bit secret needs no slow hash, ASVS 6.5.2); logging in with one gives the owning user a session.
 */

export const PROVIDER = 'api-key';

/** The shape App Services returned for a key: `_id` as a plain 24-hex string (realm-core needs it). */
export interface ApiKeyView {
  _id: string;
  name: string;
  disabled: boolean;
}

const notFound = () => new GatehouseError('APIKeyNotFound', 'API key not found');

function settingsOf(app: AppSettings) {
  const settings = app.providers[PROVIDER];
  if (!settings?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PROVIDER}' is unsupported`);
  return settings;
}

const view = (key: ApiKeyRecord): ApiKeyView => ({ _id: key.id, name: key.name, disabled: key.disabled });

/** Names: 1–100 characters, no control characters. */
function checkName(name: string): string {
  const trimmed = name.trim().normalize('NFC');
  if (trimmed.length === 0 || [...trimmed].length > 100 || /\p{Cc}/u.test(trimmed)) {
    throw new GatehouseError('InvalidParameter', 'API key names are 1 to 100 characters, without control characters');
  }
  return trimmed;
}

/** Creates a key for `user`; the secret is in the answer and nowhere else. */
export async function createApiKey(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  name: string,
): Promise<ApiKeyView & { key: string }> {
  const settings = settingsOf(app);
  if (isAnonymousOnly(user)) throw new GatehouseError('InvalidParameter', 'anonymous users cannot own API keys');
  const clean = checkName(name);
  if ((await ctx.storage.countApiKeys(user.id)) >= settings.maxKeysPerUser) {
    throw new GatehouseError('InvalidParameter', `a user can have at most ${settings.maxKeysPerUser} API keys`);
  }
  const key = randomSecret(48);
  const now = ctx.now();
  let record: ApiKeyRecord;
  try {
    record = await ctx.storage.createApiKey({
      id: objectId(now),
      appId: app.id,
      userId: user.id,
      kind: 'user',
      name: clean,
      keyHash: await sha256(key),
      now,
    });
  } catch (error) {
    if (isStorageConflictError(error)) throw new GatehouseError('APIKeyAlreadyExists', 'API key already exists');
    throw error;
  }
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: user.id,
    type: 'api-key-created',
    now,
    detail: { keyId: record.id },
  });
  return { ...view(record), key };
}

export async function listApiKeys(ctx: ServerContext, app: AppSettings, user: UserRecord): Promise<ApiKeyView[]> {
  settingsOf(app);
  return (await ctx.storage.listApiKeys(user.id)).map(view);
}

export async function getApiKey(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  keyId: string,
): Promise<ApiKeyView> {
  settingsOf(app);
  const key = isObjectIdHex(keyId) ? await ctx.storage.getApiKey(user.id, keyId) : null;
  if (!key) throw notFound();
  return view(key);
}

export async function setApiKeyDisabled(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  keyId: string,
  disabled: boolean,
): Promise<void> {
  settingsOf(app);
  if (!isObjectIdHex(keyId) || !(await ctx.storage.setApiKeyDisabled(user.id, keyId, disabled))) throw notFound();
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: user.id,
    type: disabled ? 'api-key-disabled' : 'api-key-enabled',
    now: ctx.now(),
    detail: { keyId },
  });
}

/** Deletes a key; the key that authenticated the calling session cannot delete itself (spec §4.4: 403). */
export async function deleteApiKey(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  session: SessionRecord,
  keyId: string,
): Promise<void> {
  settingsOf(app);
  if (!isObjectIdHex(keyId)) throw notFound();
  if (session.apiKeyId === keyId)
    throw new GatehouseError('Forbidden', 'cannot delete the API key of the current session');
  if (!(await ctx.storage.deleteApiKey(user.id, keyId))) throw notFound();
  await ctx.storage.recordAuditEvent({
    appId: app.id,
    userId: user.id,
    type: 'api-key-deleted',
    now: ctx.now(),
    detail: { keyId },
  });
}

/**
 * `api-key` login: the owner of an enabled key. Unknown and disabled keys get one answer; failures count
 * against the client address like failed passwords.
 */
export const apiKeyProvider: CredentialProvider<{ key: string }> = {
  type: PROVIDER,
  schema: z.object({ key: z.string().min(1).max(512) }).strict(),
  enabled: (app) => app.providers[PROVIDER]?.enabled === true,
  async logIn(ctx, app, { key }, info) {
    const limits = ctx.config.rateLimits;
    const addrKey = `login-addr:${addressKey(info.address)}`;
    if (ctx.limiter.isLimited(addrKey, limits.failedLoginsPerAddress, ctx.now())) {
      throw new GatehouseError('TooManyRequests', 'too many failed attempts, try again later', {
        details: { retryAfterSeconds: Math.ceil(ctx.limiter.retryAfterMs(addrKey, ctx.now()) / 1000) },
      });
    }
    const record = await ctx.storage.findApiKeyByHash(app.id, await sha256(key));
    const user = record && !record.disabled ? await ctx.storage.getUser(app.id, record.userId) : null;
    if (!record || !user) {
      ctx.limiter.count(addrKey, limits.windowMs, ctx.now());
      throw new GatehouseError('InvalidPassword', 'invalid API key');
    }
    await ctx.storage.touchApiKey(record.id, ctx.now());
    return { user, apiKeyId: record.id };
  },
};

// ---- server API keys ---------------------------------------------------------------------------------

/** The identity that marks an app's server user, the owner of its server API keys. */
const SERVER_IDENTITY = { providerType: PROVIDER, providerId: 'server', subject: 'server-keys' } as const;

/**
 * Server API keys (made with the CLI, never by clients): owned by one user of type `server` per app, so a
 * login with one gives that user — `type: 'server'` in its profile (spec §6).
 */
export async function serverApiKeys(storage: Storage, appId: string, now: number) {
  const owner = async (create: boolean): Promise<UserRecord | null> => {
    const found = await storage.findUserByIdentity(appId, SERVER_IDENTITY.providerId, SERVER_IDENTITY.subject);
    if (found || !create) return found;
    await storage.ensureApp(appId, now);
    return storage.createUser({ id: objectId(now), appId, type: 'server', identities: [{ ...SERVER_IDENTITY }], now });
  };
  return {
    async create(name: string): Promise<ApiKeyView & { key: string }> {
      const user = (await owner(true)) as UserRecord;
      const key = randomSecret(48);
      try {
        const record = await storage.createApiKey({
          id: objectId(now),
          appId,
          userId: user.id,
          kind: 'server',
          name: checkName(name),
          keyHash: await sha256(key),
          now,
        });
        return { ...view(record), key };
      } catch (error) {
        if (isStorageConflictError(error)) throw new GatehouseError('APIKeyAlreadyExists', 'API key already exists');
        throw error;
      }
    },
    async list(): Promise<ApiKeyView[]> {
      const user = await owner(false);
      return user ? (await storage.listApiKeys(user.id)).map(view) : [];
    },
    async setDisabled(keyId: string, disabled: boolean): Promise<boolean> {
      const user = await owner(false);
      return !!user && isObjectIdHex(keyId) && storage.setApiKeyDisabled(user.id, keyId, disabled);
    },
    async remove(keyId: string): Promise<boolean> {
      const user = await owner(false);
      return !!user && isObjectIdHex(keyId) && storage.deleteApiKey(user.id, keyId);
    },
  };
}
