import { deserialize, type JsonObject, ObjectId, objectId } from '@gatehouse-auth/core';
import {
  isStorageConflictError,
  type NewEmail,
  type NewIdentity,
  type NewSession,
  type Storage,
} from '@gatehouse-auth/storage';
import { meteorHash } from '../passwords/index.js';

/**
 * Importing a Meteor `users` collection (a `mongoexport`): ids, usernames, emails
 * with their verified flags, profiles and creation dates are kept; password hashes (`services.password.bcrypt`
 * or `.argon2`, hashes of the password's SHA-256 digest) verify at the next login and are upgraded then;
 * resume tokens (`services.resume.loginTokens`, stored hashed) become sessions, so logged-in users stay
 * logged in; OAuth services become identities keyed by the service's user id.
 */

/** What an import did. */
export interface MeteorImportReport {
  /** Users created. */
  imported: number;
  /** Users already present with the same id (an import is idempotent): left as they are. */
  unchanged: number;
  /** Sessions created from unexpired resume tokens. */
  sessions: number;
  /** Records that could not be imported, with the reason; the others were imported all the same. */
  failed: { record: number; id?: string; reason: string }[];
}

export interface MeteorImportOptions {
  /** Resume tokens live this long after their `when` (Meteor's `loginExpirationInDays`, default 90 days). */
  loginExpirationMs?: number;
  now?: () => number;
}

/** Meteor OAuth service names → Gatehouse provider types. */
const SERVICE_PROVIDERS: Record<string, string> = {
  google: 'oauth2-google',
  facebook: 'oauth2-facebook',
  apple: 'oauth2-apple',
};

/** Services that are not identities: credentials and bookkeeping. */
const NOT_IDENTITIES = new Set(['password', 'resume', 'email', 'twoFactorAuthentication']);

/** Secrets an OAuth service document carries that are never kept. */
const SECRET_FIELDS = new Set(['accessToken', 'refreshToken', 'idToken', 'accessTokenSecret', 'id_token']);

const DEFAULT_LOGIN_EXPIRATION_MS = 90 * 86_400_000;

/**
 * Parses a `mongoexport` file: one Extended JSON document per line (the default), or a JSON array
 * (`--jsonArray`). A line that is not JSON is reported as a failed record, not thrown.
 */
export function parseMongoExport(text: string): { records: unknown[]; failed: MeteorImportReport['failed'] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const array = JSON.parse(trimmed) as unknown[];
      return { records: array.map((r) => deserializeOrError(r)), failed: [] };
    } catch (error) {
      return {
        records: [],
        failed: [{ record: 0, reason: `the file is not a valid JSON array: ${(error as Error).message}` }],
      };
    }
  }
  const records: unknown[] = [];
  const failed: MeteorImportReport['failed'] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      records.push(deserializeOrError(JSON.parse(line)));
    } catch (error) {
      records.push(new Error(`line ${index + 1} is not valid JSON: ${(error as Error).message}`));
    }
  }
  return { records, failed };
}

function deserializeOrError(value: unknown): unknown {
  try {
    return deserialize(value);
  } catch (error) {
    return new Error(`invalid Extended JSON: ${(error as Error).message}`);
  }
}

/**
 * Imports parsed Meteor user documents into an app, each in its own transaction: a bad record is reported
 * and skipped, never aborting the rest, and never leaves half a user.
 *
 * @example
 * ```ts
 * const { records, failed } = parseMongoExport(readFileSync('users.json', 'utf8'));
 * const report = await importMeteorUsers(storage, 'my-app', records);
 * ```
 */
export async function importMeteorUsers(
  storage: Storage,
  appId: string,
  records: readonly unknown[],
  options: MeteorImportOptions = {},
): Promise<MeteorImportReport> {
  const now = options.now ?? Date.now;
  const lifetime = options.loginExpirationMs ?? DEFAULT_LOGIN_EXPIRATION_MS;
  const report: MeteorImportReport = { imported: 0, unchanged: 0, sessions: 0, failed: [] };
  await storage.ensureApp(appId, now());
  for (const [index, record] of records.entries()) {
    const number = index + 1;
    let user: MeteorUser;
    try {
      user = readMeteorUser(record);
    } catch (error) {
      report.failed.push({ record: number, ...idOf(record), reason: (error as Error).message });
      continue;
    }
    if (await storage.getUser(appId, user.id)) {
      report.unchanged++;
      continue;
    }
    const sessions = user.loginTokens
      .filter((t) => t.when + lifetime > now())
      .map(
        (t): NewSession => ({
          id: objectId(),
          appId,
          userId: user.id,
          deviceId: objectId(),
          kind: 'resume',
          // Meteor's hashedToken is base64(sha256(token)); a DDP resume looks the session up by exactly that.
          refreshHash: t.hashedToken,
          providerType: 'resume',
          meta: { importedFrom: 'meteor' },
          now: t.when,
          expiresAt: t.when + lifetime,
        }),
      );
    try {
      await storage.transaction(async (tx) => {
        await tx.createUser({
          id: user.id,
          appId,
          username: user.username,
          profile: user.profile,
          emails: user.emails,
          identities: user.identities,
          passwordHash: user.passwordHash,
          now: user.createdAt ?? now(),
        });
        for (const session of sessions) await tx.createSession(session);
      });
      report.imported++;
      report.sessions += sessions.length;
    } catch (error) {
      const reason = isStorageConflictError(error)
        ? `${error.target} already belongs to another user`
        : `could not be stored: ${(error as Error).message}`;
      report.failed.push({ record: number, id: user.id, reason });
    }
  }
  return report;
}

interface MeteorUser {
  id: string;
  username: string | null;
  createdAt: number | null;
  profile: JsonObject;
  emails: NewEmail[];
  identities: NewIdentity[];
  passwordHash: string | null;
  loginTokens: { when: number; hashedToken: string }[];
}

/** Validates one Meteor user document and maps it; throws an Error saying what is wrong. */
function readMeteorUser(record: unknown): MeteorUser {
  if (record instanceof Error) throw record;
  if (!isObject(record)) throw new Error('not a document');
  const id = record._id instanceof ObjectId ? record._id.hex : record._id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new Error('_id must be a string of letters and digits');
  const username = optionalString(record.username, 'username', 256);
  const emails: NewEmail[] = [];
  if (record.emails !== undefined) {
    if (!Array.isArray(record.emails)) throw new Error('emails must be an array');
    for (const entry of record.emails) {
      if (!isObject(entry) || typeof entry.address !== 'string' || !isPlausibleAddress(entry.address)) {
        throw new Error('emails[] must be { address, verified } with a plausible address');
      }
      emails.push({ address: entry.address.trim(), verified: entry.verified === true });
    }
  }
  if (record.profile !== undefined && !isObject(record.profile)) throw new Error('profile must be an object');
  const services = record.services === undefined ? {} : record.services;
  if (!isObject(services)) throw new Error('services must be an object');

  const identities: NewIdentity[] = [];
  const password = isObject(services.password) ? services.password : null;
  const stored = password
    ? (optionalString(password.argon2, 'services.password.argon2', 512) ??
      optionalString(password.bcrypt, 'services.password.bcrypt', 512))
    : null;
  if (stored !== null)
    identities.push({ providerType: 'local-userpass', providerId: 'local-userpass', subject: objectId() });
  for (const [name, service] of Object.entries(services)) {
    if (NOT_IDENTITIES.has(name)) continue;
    if (!isObject(service) || (typeof service.id !== 'string' && typeof service.id !== 'number')) {
      throw new Error(`services.${name} has no id`);
    }
    const type = SERVICE_PROVIDERS[name] ?? `oauth2-${name}`;
    const data: JsonObject = {};
    for (const [key, value] of Object.entries(service)) {
      if (key === 'id' || SECRET_FIELDS.has(key)) continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') data[key] = value;
    }
    identities.push({ providerType: type, providerId: type, subject: String(service.id), data });
  }

  const loginTokens: MeteorUser['loginTokens'] = [];
  const resume = isObject(services.resume) ? services.resume.loginTokens : undefined;
  if (resume !== undefined) {
    if (!Array.isArray(resume)) throw new Error('services.resume.loginTokens must be an array');
    for (const token of resume) {
      // Only hashed tokens are imported; legacy clear-text ones ({ token }) would be a secret at rest.
      if (!isObject(token) || typeof token.hashedToken !== 'string') continue;
      const when = dateOf(token.when);
      if (when !== null && /^[A-Za-z0-9+/]{43}=$/.test(token.hashedToken))
        loginTokens.push({ when, hashedToken: token.hashedToken });
    }
  }
  return {
    id,
    username,
    createdAt: dateOf(record.createdAt),
    profile: (record.profile as JsonObject | undefined) ?? {},
    emails,
    identities,
    passwordHash: stored === null ? null : meteorHash(stored),
    loginTokens,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof ObjectId)
  );
}

function optionalString(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new Error(`${field} must be a non-empty string`);
  return value;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const UNSAFE_IN_ADDRESS = /[\u0000-\u001f\u007f\s]/;

/** Meteor validates no email format; refuse only what cannot be an address or could inject mail headers. */
function isPlausibleAddress(address: string): boolean {
  return (
    address.trim().length > 0 &&
    address.length <= 254 &&
    address.includes('@') &&
    !UNSAFE_IN_ADDRESS.test(address.trim())
  );
}

function dateOf(value: unknown): number | null {
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return null;
}

function idOf(record: unknown): { id?: string } {
  const id = isObject(record) ? record._id : undefined;
  return typeof id === 'string' ? { id: id.slice(0, 64) } : {};
}
