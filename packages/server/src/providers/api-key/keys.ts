import { GatehouseError, randomSecret } from '@gatehouse-auth/core';
import type { ApiKeyRecord, StorageTransaction } from '@gatehouse-auth/storage';
import { secretHash } from '../../tokens/hash.js';

/** The provider type of user and server API keys alike (clients send `api-key` for both). */
export const PROVIDER = 'api-key';

/** The shape App Services returned for a key: `_id` as a plain 24-hex string (realm-core needs it). */
export interface ApiKeyView {
  _id: string;
  name: string;
  disabled: boolean;
}

/** A key as the client sees it: id, name and state — never the secret or its hash. */
export const view = (key: ApiKeyRecord): ApiKeyView => ({ _id: key.id, name: key.name, disabled: key.disabled });

/** Longest key name, in code points. */
export const MAX_NAME_LENGTH = 100;

/**
 * A key name as stored: trimmed, NFC, 1–{@link MAX_NAME_LENGTH} code points, no control characters. Names are
 * unique per owner (the storage refuses a second one), so they are normalised before that comparison.
 */
export function checkName(name: string): string {
  const clean = name.trim().normalize('NFC');
  if (clean.length === 0 || [...clean].length > MAX_NAME_LENGTH || /\p{Cc}/u.test(clean)) {
    throw new GatehouseError(
      'InvalidParameter',
      `API key names are 1 to ${MAX_NAME_LENGTH} characters, without control characters`,
    );
  }
  return clean;
}

/**
 * A new key secret and the hash stored in its place. 48 random bytes — 384 bits, 64 base64url characters,
 * the length of Atlas keys. A secret this strong needs no slow hash: SHA-256 is enough, and a lookup by hash
 * compares nothing in variable time (ASVS 6.5.2).
 */
export async function newKeySecret(): Promise<{ key: string; keyHash: string }> {
  const key = randomSecret(48);
  return { key, keyHash: secretHash(key) };
}

/** The hash a presented key is looked up by. */
export const keyHashOf = async (key: string): Promise<string> => secretHash(key);

/**
 * Ends the active sessions a key opened (when it is disabled or deleted), except `keepSessionId` — the
 * caller's own session when it disables the very key it logged in with. Returns how many it ended.
 */
export async function endSessionsOfKey(
  storage: StorageTransaction,
  appId: string,
  userId: string,
  keyId: string,
  now: number,
  keepSessionId?: string,
): Promise<number> {
  let ended = 0;
  for (const session of await storage.listActiveSessions(appId, userId, now)) {
    if (session.apiKeyId !== keyId || session.id === keepSessionId) continue;
    if (await storage.revokeSession(appId, session.id, now)) ended++;
  }
  return ended;
}
