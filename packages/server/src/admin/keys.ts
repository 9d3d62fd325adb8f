import { GatehouseError, isObjectIdHex, objectId, randomSecret } from '@gatehouse-auth/core';
import type { AdminKeyRecord } from '@gatehouse-auth/storage';
import type { ServerContext } from '../context.js';
import { checkName } from '../providers/api-key/keys.js';
import { secretHash } from '../tokens/hash.js';

/**
 * Every admin key starts with this, so a leaked one is recognisable (secret scanners, logs) and a user's
 * access or refresh token — a JWT — can never be mistaken for one.
 */
export const ADMIN_KEY_PREFIX = 'gha_';

/** An admin key as the operator sees it: never the secret or its hash. */
export interface AdminKeyView {
  id: string;
  /** The one app it administers, or `null` for every app. */
  appId: string | null;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Last-used times are written at most once a minute: the admin console polls. */
const TOUCH_INTERVAL_MS = 60_000;

const view = (key: AdminKeyRecord): AdminKeyView => ({ ...key });

/**
 * Keys of the admin API (`/api/admin/v1`), made by the operator with `gatehouse admin-keys`: each is shown once
 * and stored as its SHA-256 (a 256-bit random secret needs no slow hash, and a lookup by hash compares nothing
 * in variable time), scoped to one app or global, revocable; its last use is recorded.
 *
 * @example
 * ```ts
 * const { key } = await gatehouse.adminKeys.create({ appId: 'myapp-abcde', name: 'support' });
 * // curl -H "Authorization: Bearer $key" https://auth.example.com/api/admin/v1/apps/myapp-abcde/users
 * ```
 */
export function adminKeys(ctx: ServerContext) {
  return {
    /** Makes a key; the secret is in the answer and nowhere else. `appId: null` makes a global key. */
    async create(input: { appId: string | null; name: string }): Promise<AdminKeyView & { key: string }> {
      if (input.appId !== null && !ctx.config.apps.has(input.appId))
        throw new GatehouseError('AppNotFound', `no app '${input.appId}' in the configuration`);
      const name = checkName(input.name);
      const key = `${ADMIN_KEY_PREFIX}${randomSecret(32)}`;
      const now = ctx.now();
      const record = await ctx.storage.createAdminKey({
        id: objectId(now),
        appId: input.appId,
        name,
        keyHash: secretHash(key),
        now,
      });
      await announce(ctx, 'admin-key-created', record);
      return { ...view(record), key };
    },

    /** Every key, revoked ones too, oldest first. */
    async list(): Promise<AdminKeyView[]> {
      return (await ctx.storage.listAdminKeys()).map(view);
    },

    /** Revokes a key at once: its next request answers 401. `false` if no such active key. */
    async revoke(keyId: string): Promise<boolean> {
      if (!isObjectIdHex(keyId)) return false;
      const record = (await ctx.storage.listAdminKeys()).find((k) => k.id === keyId);
      if (!record || !(await ctx.storage.revokeAdminKey(keyId, ctx.now()))) return false;
      await announce(ctx, 'admin-key-revoked', record);
      return true;
    },

    /**
     * The key an `Authorization: Bearer <key>` header presents, if it may administer `appId`: a missing,
     * unknown or revoked key (and anything else, such as a user's token) is `AuthError` (401); a key of another
     * app is `Forbidden` (403).
     */
    async authenticate(header: string | null | undefined, appId: string | null): Promise<AdminKeyView> {
      const match = header == null ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
      const presented = match?.[1];
      // User tokens are never admin keys: only the prefix's keys are looked up at all.
      if (!presented?.startsWith(ADMIN_KEY_PREFIX) || presented.length > 256)
        throw new GatehouseError('AuthError', 'an admin API key is required (Authorization: Bearer gha_…)');
      const record = await ctx.storage.findAdminKeyByHash(secretHash(presented));
      if (!record || record.revokedAt !== null)
        throw new GatehouseError('AuthError', 'invalid or revoked admin API key');
      if (appId !== null && record.appId !== null && record.appId !== appId)
        throw new GatehouseError('Forbidden', 'this admin API key is for another app');
      const now = ctx.now();
      if (record.lastUsedAt === null || now - record.lastUsedAt > TOUCH_INTERVAL_MS)
        await ctx.storage.touchAdminKey(record.id, now);
      return view(record);
    },
  };
}

export type AdminKeys = ReturnType<typeof adminKeys>;

/** A key's creation and revocation go into the audit log of the app it serves (every app for a global key). */
async function announce(
  ctx: ServerContext,
  type: 'admin-key-created' | 'admin-key-revoked',
  key: AdminKeyRecord,
): Promise<void> {
  const apps = key.appId === null ? [...ctx.config.apps.keys()] : [key.appId];
  for (const appId of apps)
    await ctx.events.emit({ type, appId, userId: null, detail: { keyId: key.id, name: key.name } });
}
