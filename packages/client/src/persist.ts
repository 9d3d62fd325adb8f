import { deserialize, isObjectIdHex, type ProviderType, serialize } from '@gatehouse-auth/core';
import type { Profile } from './profile.js';
import type { StorageAdapter } from './storage.js';

/** One user as the storage holds them. */
export interface StoredUser {
  id: string;
  providerType: ProviderType;
  accessToken: string | null;
  refreshToken: string | null;
  profile: Profile | undefined;
}

/**
 * The per-user keys: realm-web's four, and `document`, the user's document as `createAccounts()`
 * last fetched it (`GET /auth/user`, kept as canonical Extended JSON text).
 */
export type UserField = 'accessToken' | 'refreshToken' | 'providerType' | 'profile' | 'document';

/**
 * An app's state in a {@link StorageAdapter}, under realm-web 2.0.1's keys:
 * `app(<id>):userIds`, `app(<id>):deviceId`, `app(<id>):user(<userId>):<field>`. Profiles are kept with
 * canonical Extended JSON in `data` so that dates and ObjectIds come back as what they were.
 */
export interface PersistedState {
  users(): StoredUser[];
  /** Writes the ids, most recent first; ids other apps (tabs) wrote meanwhile are kept behind them. */
  setUserIds(ids: string[]): void;
  deviceId(): string | null;
  setDeviceId(id: string): void;
  write(userId: string, field: UserField, value: string | Profile | null): void;
  /** The text stored under a user's `field`, or `null`. */
  read(userId: string, field: UserField): string | null;
  /** Removes everything about a user. */
  forget(userId: string): void;
}

export function persistedState(storage: StorageAdapter, appId: string): PersistedState {
  const key = (name: string) => `app(${appId}):${name}`;
  const userKey = (id: string, field: UserField) => key(`user(${id}):${field}`);
  const readIds = (): string[] => {
    try {
      const ids = JSON.parse(storage.get(key('userIds')) ?? '[]') as unknown;
      return Array.isArray(ids) ? [...new Set(ids.filter((id): id is string => typeof id === 'string'))] : [];
    } catch {
      return [];
    }
  };
  const write = (userId: string, field: UserField, value: string | Profile | null) => {
    if (value === null) storage.remove(userKey(userId, field));
    else if (typeof value === 'string') storage.set(userKey(userId, field), value);
    else storage.set(userKey(userId, field), JSON.stringify({ ...value, data: serialize(value.data) }));
  };
  return {
    users() {
      const users: StoredUser[] = [];
      for (const id of readIds()) {
        const providerType = storage.get(userKey(id, 'providerType')) as ProviderType | null;
        // Without a provider type the entry is unusable (realm-web wiped all storage then; one user is enough).
        if (!providerType) continue;
        let profile: Profile | undefined;
        try {
          const stored = JSON.parse(storage.get(userKey(id, 'profile')) ?? 'null') as Profile | null;
          if (stored && Array.isArray(stored.identities))
            profile = { ...stored, data: deserialize(stored.data ?? {}) as Record<string, unknown> };
        } catch {
          // A damaged profile is refetched by the next refreshProfile().
        }
        users.push({
          id,
          providerType,
          accessToken: storage.get(userKey(id, 'accessToken')),
          refreshToken: storage.get(userKey(id, 'refreshToken')),
          profile,
        });
      }
      return users;
    },
    setUserIds(ids) {
      storage.set(key('userIds'), JSON.stringify([...new Set([...ids, ...readIds()])]));
    },
    deviceId() {
      const id = storage.get(key('deviceId'));
      return isObjectIdHex(id) ? id : null;
    },
    setDeviceId: (id) => storage.set(key('deviceId'), id),
    write,
    read: (userId, field) => storage.get(userKey(userId, field)),
    forget(userId) {
      for (const field of ['accessToken', 'refreshToken', 'providerType', 'profile', 'document'] as const)
        storage.remove(userKey(userId, field));
      storage.set(key('userIds'), JSON.stringify(readIds().filter((id) => id !== userId)));
    },
  };
}
