import { GatehouseError, isObjectIdHex, objectId } from '@gatehouse-auth/core';
import type { ApiKeyRecord, Storage } from '@gatehouse-auth/storage';
import type { AppSettings } from '../../context.js';
import { type ApiKeyView, checkName, endSessionsOfKey, newKeySecret, PROVIDER, view } from './keys.js';

/** A server key as the operator sees it (`gatehouse keys list`): never the secret or its hash. */
export interface ServerApiKeyView extends ApiKeyView {
  /** The key's server user: the `user_id` a login with the key gets. */
  userId: string;
  createdAt: number;
  lastUsedAt: number | null;
}

const serverView = (key: ApiKeyRecord): ServerApiKeyView => ({
  ...view(key),
  userId: key.userId,
  createdAt: key.createdAt,
  lastUsedAt: key.lastUsedAt,
});

/**
 * Server API keys of one app, made by the operator (the CLI), never by clients. As in App Services ("when
 * you create a server API key, you also create an associated server user"), **each key has its own user of
 * type `server`**, with one identity (`api-key`, subject = the key id): a login with the key gives that user,
 * `type: "server"` in its profile. Holders of different keys are different users, so one cannot
 * see or end another's sessions; deleting a key deletes its user, and with it every session it opened.
 *
 * @example
 * ```ts
 * const keys = serverApiKeys(gatehouse.storage, config.apps.get('myapp-abcde')!, Date.now());
 * const { _id, key } = await keys.create('backend'); // `key` is shown once, stored as its SHA-256
 * ```
 */
export function serverApiKeys(storage: Storage, app: AppSettings, now: number) {
  const maxKeys = app.providers[PROVIDER]?.maxServerKeys ?? 100;
  const find = async (keyId: string): Promise<ApiKeyRecord | null> =>
    isObjectIdHex(keyId)
      ? ((await storage.listAppApiKeys(app.id, 'server')).find((k) => k.id === keyId) ?? null)
      : null;
  return {
    /** Makes a key and its server user in one transaction; the secret is in the answer and nowhere else. */
    async create(name: string): Promise<ApiKeyView & { key: string; userId: string }> {
      const clean = checkName(name);
      const existing = await storage.listAppApiKeys(app.id, 'server');
      // Names are what the operator tells keys apart by: unique per app, not only per (server) user.
      if (existing.some((k) => k.name === clean))
        throw new GatehouseError('APIKeyAlreadyExists', 'API key already exists');
      if (existing.length >= maxKeys)
        throw new GatehouseError('InvalidParameter', `an app can have at most ${maxKeys} server API keys`);
      const { key, keyHash } = await newKeySecret();
      const keyId = objectId(now);
      const userId = objectId(now);
      await storage.ensureApp(app.id, now);
      const record = await storage.transaction(async (tx) => {
        await tx.createUser({
          id: userId,
          appId: app.id,
          type: 'server',
          identities: [{ providerType: PROVIDER, providerId: PROVIDER, subject: keyId }],
          now,
        });
        return tx.createApiKey({ id: keyId, appId: app.id, userId, kind: 'server', name: clean, keyHash, now });
      });
      return { ...view(record), key, userId };
    },
    /** The app's server keys, oldest first. */
    async list(): Promise<ServerApiKeyView[]> {
      return (await storage.listAppApiKeys(app.id, 'server')).map(serverView);
    },
    /** Enables or disables a key; disabling ends the sessions it opened. `false` if the app has no such key. */
    async setDisabled(keyId: string, disabled: boolean): Promise<boolean> {
      const key = await find(keyId);
      if (!key || !(await storage.setApiKeyDisabled(app.id, key.userId, key.id, disabled))) return false;
      if (disabled) await endSessionsOfKey(storage, app.id, key.userId, key.id, now);
      return true;
    },
    /** Deletes a key with its server user (and so its sessions). `false` if the app has no such key. */
    async remove(keyId: string): Promise<boolean> {
      const key = await find(keyId);
      if (!key || !(await storage.deleteApiKey(app.id, key.userId, key.id))) return false;
      await endSessionsOfKey(storage, app.id, key.userId, key.id, now);
      // The server user exists for this key alone; it goes with its last key.
      const owner = await storage.getUser(app.id, key.userId);
      if (owner?.type === 'server' && (await storage.countApiKeys(app.id, owner.id)) === 0)
        await storage.deleteUser(app.id, owner.id);
      return true;
    },
  };
}
