import { GatehouseError, isObjectIdHex, type JsonObject } from '@gatehouse-auth/core';
import type { AuditEventRecord, SessionRecord, UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { serviceAdmin } from '../oauth/meteor/settings.js';
import { endSessionsOfKey } from '../providers/api-key/keys.js';
import { MAX_PROFILE_BYTES } from './create.js';
import { serverAccounts } from './server-api.js';
import { appServicesProfile, deleteUser, setCustomData, setUserDisabled } from './users.js';

/** A user as the admin API shows it: everything but secrets (no password hash, no provider tokens). */
export interface AdminUserView {
  id: string;
  username: string | null;
  type: string;
  disabled: boolean;
  emails: { address: string; verified: boolean }[];
  identities: { id: string; providerType: string; providerId: string; data?: JsonObject }[];
  profile: JsonObject;
  customData: JsonObject;
  createdAt: number;
  updatedAt: number;
}

/** A session as the admin API shows it: never its secret's hash. */
export interface AdminSessionView {
  id: string;
  kind: string;
  providerType: string;
  deviceId: string;
  userAgent: string | null;
  apiKeyId: string | null;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
}

export interface AdminAuditEventView {
  id: string;
  type: string;
  userId: string | null;
  at: number;
  ip: string | null;
  userAgent: string | null;
  /** The admin key that acted, when one did. */
  actor: string | null;
  detail: JsonObject;
}

/** The account mails an operator may send. */
export type AccountMailKind = 'confirmation' | 'reset' | 'enrollment';

/** A page of a list and the cursor of the next page (`null` on the last page). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Setting names whose values never leave the server (any letter case, anywhere in the settings). */
const SECRET_NAME = /secret|password|private|token|signing|^keys?$|^jwk/i;

export function adminUserView(user: UserRecord): AdminUserView {
  const identities = appServicesProfile(user).identities;
  return {
    id: user.id,
    username: user.username,
    type: user.type,
    disabled: user.disabled,
    emails: user.emails.map((e) => ({ address: e.address, verified: e.verified })),
    identities: identities.map((i) => ({
      id: i.id,
      providerType: i.provider_type,
      providerId: i.provider_id,
      ...(i.provider_data ? { data: i.provider_data } : {}),
    })),
    profile: user.profile,
    customData: user.customData,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

const sessionView = (s: SessionRecord): AdminSessionView => ({
  id: s.id,
  kind: s.kind,
  providerType: s.providerType,
  deviceId: s.deviceId,
  userAgent: typeof s.meta.userAgent === 'string' ? s.meta.userAgent : null,
  apiKeyId: s.apiKeyId,
  createdAt: s.createdAt,
  lastUsedAt: s.lastUsedAt,
  expiresAt: s.expiresAt,
});

const auditView = (e: AuditEventRecord): AdminAuditEventView => ({
  id: e.id,
  type: e.type,
  userId: e.userId,
  at: e.at,
  ip: e.ip,
  userAgent: e.userAgent,
  actor: e.actor,
  detail: e.detail,
});

/** The audit cursor: the last event's time and id. */
const AUDIT_CURSOR = /^(\d{1,16})_([0-9a-f]{24})$/;

/**
 * The operator's account administration of one app — what the admin API (`/api/admin/v1`), the admin console
 * and the CLI do: list and search users, look at one, create, update profile and custom data, disable and
 * enable, delete, set a password, send account mails, end sessions, delete API keys, unlink identities, the
 * external services, the app's settings (secrets redacted) and its audit log. Each change goes through the same
 * core functions as every other front, and its event carries `info` — the client address, user agent and
 * the acting admin key (`info.actor`) — into the audit log.
 *
 * @example
 * ```ts
 * const admin = adminAccounts(ctx, app, { address: '203.0.113.7', userAgent: 'curl/8', actor: key.id });
 * const { items, next } = await admin.listUsers({ search: 'ada@' });
 * await admin.setDisabled(items[0].id, true); // its sessions end; its logins answer UserDisabled
 * ```
 */
export function adminAccounts(ctx: ServerContext, app: AppSettings, info: RequestInfo) {
  const server = serverAccounts(ctx, app, info);
  const userOf = async (userId: string): Promise<UserRecord> => {
    const user = isObjectIdHex(userId) ? await ctx.storage.getUser(app.id, userId) : null;
    if (!user) throw new GatehouseError('UserNotFound', 'User not found');
    return user;
  };
  const emit = (type: Parameters<typeof ctx.events.emit>[0]['type'], userId: string | null, detail?: JsonObject) =>
    ctx.events.emit({ type, appId: app.id, userId, ...requestFacts(info), ...(detail ? { detail } : {}) });

  return {
    /** A page of users in creation order; `search` matches an id, or part of a username or email. */
    async listUsers(
      query: { search?: string; provider?: string; after?: string; limit?: number } = {},
    ): Promise<Page<AdminUserView>> {
      if (query.after !== undefined && !isObjectIdHex(query.after))
        throw new GatehouseError('InvalidParameter', "'after' is not a user id");
      const limit = query.limit ?? 50;
      const users = await ctx.storage.listUsers(app.id, { ...query, limit });
      return {
        items: users.map(adminUserView),
        next: users.length === limit ? (users[users.length - 1]?.id ?? null) : null,
      };
    },

    async getUser(userId: string): Promise<AdminUserView> {
      return adminUserView(await userOf(userId));
    },

    /** Makes a user (the email-domain rule and the hooks apply; sign-up switches do not). */
    async createUser(input: {
      email?: string;
      username?: string;
      password?: string;
      profile?: JsonObject;
    }): Promise<AdminUserView> {
      const id = await server.createUser(input);
      return adminUserView(await userOf(id));
    },

    /** Replaces the profile and/or the custom data. */
    async updateUser(userId: string, input: { profile?: JsonObject; customData?: JsonObject }): Promise<AdminUserView> {
      const user = await userOf(userId);
      if (input.profile !== undefined) {
        if (JSON.stringify(input.profile).length > MAX_PROFILE_BYTES)
          throw new GatehouseError('BadRequest', `the profile is larger than ${MAX_PROFILE_BYTES / 1024} KiB`);
        await ctx.storage.setUserProfile(app.id, user.id, input.profile, ctx.now());
        await emit('profile-updated', user.id, { by: 'admin' });
      }
      if (input.customData !== undefined) await setCustomData(ctx, user, input.customData, info);
      return adminUserView(await userOf(userId));
    },

    /** Disables (its sessions end at once, its logins answer `UserDisabled`) or enables a user. */
    async setDisabled(userId: string, disabled: boolean): Promise<AdminUserView> {
      const user = await userOf(userId);
      await setUserDisabled(ctx, user, disabled, info);
      return adminUserView(await userOf(userId));
    },

    async deleteUser(userId: string): Promise<void> {
      await deleteUser(ctx, await userOf(userId), info, 'admin');
    },

    /** Sets a password (the policy applies); every session ends unless `logout: false`. */
    async setPassword(userId: string, password: string, options: { logout?: boolean } = {}): Promise<void> {
      await server.setPassword(userId, password, options);
    },

    /** Mails a confirmation, reset or enrollment link to `email` (or the first fitting address). */
    async sendMail(userId: string, kind: AccountMailKind, email?: string): Promise<{ sentTo: string }> {
      const sentTo =
        kind === 'confirmation'
          ? await server.sendVerificationEmail(userId, email)
          : kind === 'reset'
            ? await server.sendResetPasswordEmail(userId, email)
            : await server.sendEnrollmentEmail(userId, email);
      await emit('account-mail-sent', userId, { kind });
      return { sentTo };
    },

    async listSessions(userId: string): Promise<AdminSessionView[]> {
      const user = await userOf(userId);
      return (await ctx.storage.listActiveSessions(app.id, user.id, ctx.now())).map(sessionView);
    },

    /** Ends one session of the user; another user's or an unknown id is `NotFound`. */
    async revokeSession(userId: string, sessionId: string): Promise<void> {
      const user = await userOf(userId);
      const session = await ctx.storage.getSession(app.id, sessionId);
      if (!session || session.userId !== user.id || !(await ctx.storage.revokeSession(app.id, sessionId, ctx.now())))
        throw new GatehouseError('NotFound', 'session not found');
      await emit('session-revoked', user.id, { sessionId, by: 'admin' });
    },

    /** Ends every session of the user; returns how many. */
    async revokeSessions(userId: string): Promise<{ revoked: number }> {
      const user = await userOf(userId);
      const revoked = await ctx.storage.revokeUserSessions(app.id, user.id, ctx.now());
      await emit('sessions-revoked', user.id, { count: revoked, by: 'admin' });
      return { revoked };
    },

    async listApiKeys(userId: string) {
      const user = await userOf(userId);
      return (await ctx.storage.listApiKeys(app.id, user.id)).map((k) => ({
        id: k.id,
        name: k.name,
        kind: k.kind,
        disabled: k.disabled,
        createdAt: k.createdAt,
        lastUsedAt: k.lastUsedAt,
      }));
    },

    /** Deletes one of the user's API keys; the sessions it opened end. */
    async deleteApiKey(userId: string, keyId: string): Promise<void> {
      const user = await userOf(userId);
      const now = ctx.now();
      const deleted = await ctx.storage.transaction(async (tx) => {
        if (!(await tx.getApiKey(app.id, user.id, keyId))) return false;
        await endSessionsOfKey(tx, app.id, user.id, keyId, now);
        return tx.deleteApiKey(app.id, user.id, keyId);
      });
      if (!deleted) throw new GatehouseError('APIKeyNotFound', 'API key not found');
      await emit('api-key-deleted', user.id, { keyId, by: 'admin' });
    },

    /**
     * Unlinks one identity (`providerId`, `id`) from the user. The last identity cannot go: a user with none
     * could never log in again (delete the user instead).
     */
    async unlinkIdentity(userId: string, providerId: string, identityId: string): Promise<void> {
      const user = await userOf(userId);
      const identity = user.identities.find((i) => i.providerId === providerId && i.id === identityId);
      if (!identity) throw new GatehouseError('NotFound', 'identity not found');
      if (user.identities.length === 1)
        throw new GatehouseError('InvalidParameter', "cannot unlink the user's only identity; delete the user instead");
      await ctx.storage.removeIdentity(app.id, user.id, identity.providerId, identity.subject);
      await emit('identity-unlinked', user.id, { provider: identity.providerType, providerId, by: 'admin' });
    },

    /** The app's external services (public settings only) — what `gatehouse services list` shows. */
    listServices: () => serviceAdmin(ctx, app).list(),

    /** Stores a service in the database (checked; the secret encrypted) — what `gatehouse services set` does. */
    async setService(name: string, settings: Record<string, unknown>) {
      const stored = await serviceAdmin(ctx, app).set(name, settings);
      await emit('service-configured', null, { service: name });
      return stored;
    },

    async removeService(name: string): Promise<void> {
      if (!(await serviceAdmin(ctx, app).remove(name))) throw new GatehouseError('NotFound', 'service not found');
      await emit('service-removed', null, { service: name });
    },

    /** The app's settings as configured, every secret replaced by `"[redacted]"`. */
    settings(): JsonObject {
      return redact({
        id: app.id,
        name: app.name,
        accounts: app.accounts,
        accessTokenLifetimeMs: app.accessTokenLifetimeMs,
        refreshTokenLifetimeMs: app.refreshTokenLifetimeMs,
        anonymousRefreshTokenLifetimeMs: app.anonymousRefreshTokenLifetimeMs,
        oauthRedirectUris: app.oauthRedirectUris,
        rootUrl: app.rootUrl,
        preventAccountEnumeration: app.preventAccountEnumeration,
        providers: app.providers,
        services: app.services,
      }) as JsonObject;
    },

    /** A page of the app's audit log, newest first, by user, type and time (`since` ≤ at < `until`). */
    async audit(
      query: { userId?: string; type?: string; since?: number; until?: number; before?: string; limit?: number } = {},
    ): Promise<Page<AdminAuditEventView>> {
      const { before, limit = 100, ...filters } = query;
      let cursor: { at: number; id: string } | undefined;
      if (before !== undefined) {
        const match = AUDIT_CURSOR.exec(before);
        if (!match) throw new GatehouseError('InvalidParameter', "'before' is not an audit cursor");
        cursor = { at: Number(match[1]), id: match[2] as string };
      }
      const events = await ctx.storage.listAuditEvents(app.id, {
        ...filters,
        limit,
        ...(cursor ? { before: cursor } : {}),
      });
      const last = events[events.length - 1];
      return { items: events.map(auditView), next: events.length === limit && last ? `${last.at}_${last.id}` : null };
    },
  };
}

export type AdminAccounts = ReturnType<typeof adminAccounts>;

/** A JSON copy of `value` with secret-named settings redacted and functions named, never called. */
function redact(value: unknown, depth = 0): unknown {
  if (depth > 16) return '[…]';
  if (typeof value === 'function') return '[function]';
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] =
        SECRET_NAME.test(k) && v !== null && typeof v !== 'boolean' && typeof v !== 'number'
          ? '[redacted]'
          : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
