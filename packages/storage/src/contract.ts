import type { JsonObject, UserType } from '@gatehouse-auth/core';

/** A connection pool's use: connections open (`total`, of which `idle`), queries `waiting`, and its size. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/**
 * The storage contract: everything Gatehouse keeps, in the words of its domain. One implementation
 * (Kysely) serves SQLite and PostgreSQL; the conformance suite (`runStorageConformance` in
 * `@gatehouse-auth/storage/testing`, see `docs/storage-adapters.md`) holds it — and any third-party
 * implementation — to every promise written here.
 *
 * Conventions:
 * - Times are milliseconds since the epoch (`number`).
 * - "Not found" is `null` (or `false` for a change that touched nothing), never an exception.
 * - A write that would break a uniqueness rule throws {@link StorageConflictError} naming what collided, and
 *   leaves nothing behind.
 * - Secrets are never stored: callers pass hashes (`refreshHash`, `tokenHash`, `keyHash`, password PHC strings).
 */
export interface Storage extends StorageTransaction {
  /** `'sqlite'` or `'postgres'`; for diagnostics only — behaviour does not differ. */
  readonly dialect: StorageDialect;

  /** Applies pending migrations. Safe to call from several processes at once (PostgreSQL takes a lock). */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query; rejects otherwise. Used by `/readyz`. */
  ping(): Promise<void>;
  /** Closes connections and pools. Further calls fail. */
  close(): Promise<void>;
  /**
   * The connection pool's use right now, for metrics: `null` where there is no pool (SQLite's one connection).
   * Optional, so an adapter without a pool may leave it out.
   */
  poolStats?(): PoolStats | null;
}

/**
 * The data part of the contract: every read and write, and nothing about the storage's life. A transaction's
 * `tx` handle is one of these, so work inside a transaction cannot migrate, ping or close the storage.
 *
 * **Apps never see each other's rows.** Every call that names a user-owned row (a user, email, identity,
 * password, session, API key or one-time token) takes the app id first (or in its input object) and matches
 * it in the query: a row of another app is not found (`null`, `[]`, `0` or `false`) and is left untouched,
 * even when its id or hash is known.
 */
export interface StorageTransaction {
  /**
   * Runs `work` in one database transaction: every storage call made through the `tx` handle commits
   * together, or — if `work` throws — none does. Calls made outside `tx` are not part of it (and on SQLite,
   * which has one connection, they wait until the transaction ends: never await one inside `work`).
   *
   * `transaction()` on a `tx` handle joins the same transaction through a savepoint: if its `work` throws, only
   * its writes are undone. Calls through one `tx` handle must not overlap (await each in turn).
   */
  transaction<T>(work: (tx: StorageTransaction) => Promise<T>): Promise<T>;

  // ---- apps -------------------------------------------------------------------------------------------
  /** Records an app id (idempotent). Users belong to an app; config stays the source of app settings. */
  ensureApp(appId: string, now: number): Promise<void>;

  // ---- users ------------------------------------------------------------------------------------------
  /**
   * Creates a user with its emails, identities and password in **one transaction**. Throws
   * {@link StorageConflictError} (`email`, `username` or `identity`) when any of them is taken in the app —
   * emails and usernames compared case-insensitively — and then nothing of the user exists.
   * Two concurrent calls for the same email (in any letter case) leave exactly one user.
   */
  createUser(input: NewUser): Promise<UserRecord>;
  /** The user with its emails and identities, or `null` (also for a user of another app). */
  getUser(appId: string, userId: string): Promise<UserRecord | null>;
  /** The user owning `email` in the app (case-insensitive), or `null`. */
  findUserByEmail(appId: string, email: string): Promise<UserRecord | null>;
  /**
   * Users of the app whose username equals `username` exactly, or — when no exact match exists — by its
   * comparison key (`usernameKey` in `@gatehouse-auth/core`: case- and width-folded). Returns at most two
   * (enough to tell "unique" from "ambiguous"). Usernames are unique by that key, as `createUser` and
   * `setUsername` enforce with `StorageConflictError('username')`.
   */
  findUsersByUsername(appId: string, username: string): Promise<UserRecord[]>;
  /** The user owning identity (`providerId`, `subject`) in the app, or `null`. */
  findUserByIdentity(appId: string, providerId: string, subject: string): Promise<UserRecord | null>;
  /**
   * Deletes the user and everything that hangs off it (emails, identities, password, sessions, API keys,
   * one-time tokens) atomically. `false` if the app has no such user.
   */
  deleteUser(appId: string, userId: string): Promise<boolean>;
  /** Replaces `profile`. `false` if the app has no such user. */
  setUserProfile(appId: string, userId: string, profile: JsonObject, now: number): Promise<boolean>;
  /** Replaces `custom_data`. `false` if the app has no such user. */
  setUserCustomData(appId: string, userId: string, customData: JsonObject, now: number): Promise<boolean>;
  /**
   * Sets `disabled` (a disabled user cannot log in or use its sessions). `false` if the app has no such user.
   */
  setUserDisabled(appId: string, userId: string, disabled: boolean, now: number): Promise<boolean>;
  /** Sets or clears the username; throws `StorageConflictError('username')` if taken. `false` if no such user. */
  setUsername(appId: string, userId: string, username: string | null, now: number): Promise<boolean>;
  /**
   * A page of the app's users in id order (ObjectIds: creation order), with emails and identities — for the
   * admin API. `after` is the last id of the previous page; `search` matches the id exactly, or a part of the
   * username or of an email address in any letter case; `provider` keeps users with an identity of that
   * provider type or instance. `limit` 50 by default, 200 at most.
   */
  listUsers(appId: string, options?: UserListOptions): Promise<UserRecord[]>;

  // ---- emails and identities --------------------------------------------------------------------------
  /** Marks one of the user's emails verified (or not). `false` if the user has no such address (any case). */
  setEmailVerified(appId: string, userId: string, address: string, verified: boolean): Promise<boolean>;
  /**
   * Adds an email; throws `StorageConflictError('email')` if any user of the app has it. Rejects (with an
   * error that is not a conflict) if the app has no such user.
   */
  addEmail(appId: string, userId: string, email: NewEmail, now: number): Promise<void>;
  /**
   * Replaces one of the user's emails (`oldAddress` matched in any letter case) in place — same position — with
   * `email`; throws `StorageConflictError('email')` if another user of the app has the new address. `false`
   * if the user had no such address.
   */
  replaceEmail(appId: string, userId: string, oldAddress: string, email: NewEmail): Promise<boolean>;
  /** Removes an email (matched in any letter case). `false` if the user had no such address. */
  removeEmail(appId: string, userId: string, address: string): Promise<boolean>;
  /**
   * Adds an identity to an existing user of the app; throws `StorageConflictError('identity')` if it is
   * anyone's. Rejects (with an error that is not a conflict) if the app has no such user.
   */
  addIdentity(appId: string, userId: string, identity: NewIdentity, now: number): Promise<IdentityRecord>;
  /**
   * Removes the user's identity (`providerId`, `subject`) — when an account is reclaimed by its address's
   * owner, or an identity is unlinked. `false` if the user of the app had no such identity.
   */
  removeIdentity(appId: string, userId: string, providerId: string, subject: string): Promise<boolean>;
  /**
   * Replaces the `data` of the user's identity (`providerId`, `subject`) — what an external service said at the
   * latest login. `false` if the user of the app has no such identity (also when another user owns it).
   */
  setIdentityData(
    appId: string,
    userId: string,
    providerId: string,
    subject: string,
    data: JsonObject,
  ): Promise<boolean>;

  // ---- passwords --------------------------------------------------------------------------------------
  /** The user's PHC password hash, or `null` if the user has no password or is not a user of the app. */
  getPasswordHash(appId: string, userId: string): Promise<string | null>;
  /** Sets (inserts or replaces) the user's password hash. `false` (and nothing stored) if the app has no such user. */
  setPasswordHash(appId: string, userId: string, hash: string, now: number): Promise<boolean>;

  // ---- sessions ---------------------------------------------------------------------------------------
  /**
   * Stores a new session (one per login). `refreshHash` is the hash of the secret only the client holds.
   * Rejects if the app has no user `userId`.
   */
  createSession(input: NewSession): Promise<SessionRecord>;
  /** A session of the app by id — revoked or expired ones too (callers check); `null` if unknown. */
  getSession(appId: string, sessionId: string): Promise<SessionRecord | null>;
  /**
   * A session of the app — revoked or expired ones too — with the state of its user, in **one read**: what a
   * token refresh needs, so that hot path costs a single round trip. `null` if the session is unknown.
   */
  getSessionWithUser(appId: string, sessionId: string): Promise<{ session: SessionRecord; user: UserState } | null>;
  /** An active or inactive session of the app by the hash of its secret; `null` if unknown. */
  findSessionByHash(appId: string, refreshHash: string): Promise<SessionRecord | null>;
  /** Records use of a session of the app (`lastUsedAt`). */
  touchSession(appId: string, sessionId: string, now: number): Promise<void>;
  /** Revokes one session. `true` only if it was active before the call (a second revoke returns `false`). */
  revokeSession(appId: string, sessionId: string, now: number): Promise<boolean>;
  /** Revokes every active session of the user except `exceptSessionId`; returns how many it revoked. */
  revokeUserSessions(appId: string, userId: string, now: number, exceptSessionId?: string): Promise<number>;
  /** The user's active (not revoked, not expired at `now`) sessions, newest first. */
  listActiveSessions(appId: string, userId: string, now: number): Promise<SessionRecord[]>;
  /**
   * How many sessions are active (not revoked, not expired at `now`), by app and kind — one counting query over
   * every app, for the active-sessions metric (read at most every few seconds, never per request).
   */
  countActiveSessions(now: number): Promise<{ appId: string; kind: SessionKind; count: number }[]>;

  // ---- one-time tokens --------------------------------------------------------------------------------
  /**
   * Stores a one-time token (email confirmation, password reset, enrollment, OAuth state). Rejects if
   * `userId` is set and the app has no such user.
   */
  createOneTimeToken(input: NewOneTimeToken): Promise<void>;
  /**
   * Atomically consumes the token `id` of the app if its hash equals `tokenHash`, its purpose matches, it has
   * not been consumed and it has not expired at `now`. Exactly one of any number of concurrent calls gets the
   * record; all others (and every later call) get `null`.
   */
  consumeOneTimeToken(query: ConsumeOneTimeToken): Promise<OneTimeTokenRecord | null>;
  /**
   * Atomically consumes the unconsumed, unexpired token of `userId` whose hash equals `tokenHash` and whose
   * purpose matches — a token the user types (a short code) and that has no id of its own. Exactly one of any
   * number of concurrent calls gets the record; all others (and every later call) get `null`.
   */
  consumeUserOneTimeToken(query: ConsumeUserOneTimeToken): Promise<OneTimeTokenRecord | null>;
  /** A user's unconsumed tokens of one purpose, expired ones included (oldest first), without their hashes. */
  listOneTimeTokens(appId: string, userId: string, purpose: OneTimeTokenPurpose): Promise<OneTimeTokenRecord[]>;
  /** Deletes a user's unconsumed tokens of one purpose (a new reset mail voids the older ones). */
  deleteOneTimeTokens(appId: string, userId: string, purpose: OneTimeTokenPurpose): Promise<number>;
  /** Deletes tokens of every app that expired before `now` (housekeeping); returns how many. */
  deleteExpiredOneTimeTokens(now: number): Promise<number>;

  // ---- second factors (TOTP) ----------------------------------------------------------------------------
  /** The user's TOTP factor, pending or enabled; `null` when there is none (or no such user in the app). */
  getSecondFactor(appId: string, userId: string): Promise<SecondFactorRecord | null>;
  /**
   * Stores a new, not yet enabled secret for the user (replacing a pending one). Returns `false` — and changes
   * nothing — when the user's factor is already enabled or the app has no such user.
   */
  setPendingSecondFactor(appId: string, userId: string, secret: string, now: number): Promise<boolean>;
  /**
   * Enables the pending factor, records `step` as its last used time step and replaces the user's recovery
   * codes with `recoveryCodeHashes`, in one transaction. Returns `false` when there is no pending factor (none,
   * or already enabled): of two concurrent calls exactly one enables it.
   */
  enableSecondFactor(
    appId: string,
    userId: string,
    input: { step: number; recoveryCodeHashes: readonly string[]; now: number },
  ): Promise<boolean>;
  /**
   * Spends a TOTP time step: succeeds only when the factor is enabled and `step` is later than its last used
   * step, which becomes `step`. Of any number of concurrent calls with the same step exactly one succeeds, so a
   * code is accepted once.
   */
  useTotpStep(appId: string, userId: string, step: number, now: number): Promise<boolean>;
  /** Spends one unused recovery code of the user by its hash; exactly one concurrent call succeeds. */
  useRecoveryCode(appId: string, userId: string, codeHash: string, now: number): Promise<boolean>;
  /** How many unused recovery codes the user has left. */
  countRecoveryCodes(appId: string, userId: string): Promise<number>;
  /** Removes the user's factor (pending or enabled) and recovery codes; `false` when there was none. */
  deleteSecondFactor(appId: string, userId: string): Promise<boolean>;

  // ---- API keys ---------------------------------------------------------------------------------------
  /**
   * Stores a key; throws `StorageConflictError('apiKeyName')` if the owner already has one of that name.
   * Rejects if the app has no user `userId`.
   */
  createApiKey(input: NewApiKey): Promise<ApiKeyRecord>;
  /** A key of `userId` by id, or `null` (also when it belongs to someone else). */
  getApiKey(appId: string, userId: string, keyId: string): Promise<ApiKeyRecord | null>;
  /** The owner's keys, oldest first. */
  listApiKeys(appId: string, userId: string): Promise<ApiKeyRecord[]>;
  /** The app's keys of one kind, oldest first (the CLI lists server keys with it). */
  listAppApiKeys(appId: string, kind: ApiKeyKind): Promise<ApiKeyRecord[]>;
  /** A key of the app by the hash of its secret, or `null`. */
  findApiKeyByHash(appId: string, keyHash: string): Promise<ApiKeyRecord | null>;
  /** Counts the owner's keys. */
  countApiKeys(appId: string, userId: string): Promise<number>;
  /** Enables or disables a key of `userId`. `false` if not found. */
  setApiKeyDisabled(appId: string, userId: string, keyId: string, disabled: boolean): Promise<boolean>;
  /** Deletes a key of `userId`. `false` if not found. */
  deleteApiKey(appId: string, userId: string, keyId: string): Promise<boolean>;
  /** Records use of a key of the app. */
  touchApiKey(appId: string, keyId: string, now: number): Promise<void>;

  // ---- passkeys (WebAuthn) ----------------------------------------------------------------------------
  /**
   * Stores a user's passkey; throws `StorageConflictError('passkey')` if the app already has a passkey with
   * that credential id (of any user). Rejects if the app has no user `userId`.
   */
  createPasskey(input: NewPasskey): Promise<PasskeyRecord>;
  /** The user's passkeys, oldest first. */
  listPasskeys(appId: string, userId: string): Promise<PasskeyRecord[]>;
  /** A passkey of the app by its credential id (base64url, exact), or `null`. */
  findPasskeyByCredentialId(appId: string, credentialId: string): Promise<PasskeyRecord | null>;
  /**
   * Records a sign-in with a passkey: sets its counter to `newCounter` and its last use to `now`, only if its
   * counter is still `expectedCounter`. `false` when it is not (another sign-in with the same counter got
   * there first: of two clones presenting one counter, exactly one wins) or the passkey is gone.
   */
  usePasskey(appId: string, id: string, expectedCounter: number, newCounter: number, now: number): Promise<boolean>;
  /** Renames a passkey of `userId`. `false` if not found. */
  renamePasskey(appId: string, userId: string, id: string, name: string): Promise<boolean>;
  /** Deletes a passkey of `userId`. `false` if not found. */
  deletePasskey(appId: string, userId: string, id: string): Promise<boolean>;
  /** Deletes every passkey of `userId` (an administrator's reset); returns how many. */
  deleteUserPasskeys(appId: string, userId: string): Promise<number>;
  /**
   * Stores a WebAuthn challenge by its hash. Throws `StorageConflictError('token')` for a taken id or hash.
   * Rejects if `userId` is set and the app has no such user.
   */
  createWebauthnChallenge(input: NewWebauthnChallenge): Promise<void>;
  /**
   * Atomically consumes (deletes) the app's challenge of `purpose` whose hash is `challengeHash`, if it has not
   * expired at `now` and — when `userId` is given — belongs to that user. Exactly one of any number of
   * concurrent calls gets the record; all others (and every later call) get `null`.
   */
  consumeWebauthnChallenge(query: ConsumeWebauthnChallenge): Promise<WebauthnChallengeRecord | null>;
  /** Deletes challenges of every app that expired before `now` (housekeeping); returns how many. */
  deleteExpiredWebauthnChallenges(now: number): Promise<number>;

  // ---- service configurations -------------------------------------------------------------------------
  /** The stored settings of an external service for an app, or `null`. Secrets are in here: never send them out. */
  getServiceConfiguration(appId: string, service: string): Promise<JsonObject | null>;
  /** Inserts or replaces a service's settings. */
  setServiceConfiguration(appId: string, service: string, config: JsonObject, now: number): Promise<void>;
  /** The app's stored services, by name, in name order. Secrets are in here: never send them out. */
  listServiceConfigurations(appId: string): Promise<{ service: string; config: JsonObject; updatedAt: number }[]>;
  /** Removes a service's settings. `false` if there were none. */
  deleteServiceConfiguration(appId: string, service: string): Promise<boolean>;

  // ---- mail outbox ------------------------------------------------------------------------------------
  // One queue for the whole deployment: every instance sends the mail of every app, so `claimDueMail` and
  // `mailQueueDepth` span apps; the per-address count is per app.
  /**
   * Stores one mail for delivery (status `pending`, due at `now`). With `replaces`, pending mails of the same
   * app, recipient (any letter case) and `kind` are taken out in the same transaction — deleted, or, when a
   * sender holds one, marked `dropped` so its `finishMail`/`retryMail` return `false`: a newer confirmation or
   * reset mail voids the links of the older ones, so only it is worth sending.
   */
  enqueueMail(mail: NewMail, options?: { replaces?: boolean }): Promise<void>;
  /**
   * Claims up to `limit` pending mails that are due at `now` and held by no sender (or whose hold expired), for
   * `leaseMs`: each gets a fresh `claim` and one more `attempts`. Exactly one of any number of concurrent
   * callers (on any instance) claims a given mail; a claim that expires (its sender died) lets another
   * sender take the mail over. Oldest due first.
   */
  claimDueMail(now: number, leaseMs: number, limit: number): Promise<MailRecord[]>;
  /**
   * Ends a claimed mail: `sent`, `dropped` (over a limit) or `failed` (given up), at `now`, with an optional
   * reason (never a body or secret). The body is deleted — it carries one-time links. `false` when `claim` no
   * longer holds the mail (it expired and another sender took over).
   */
  finishMail(id: string, claim: string, outcome: MailOutcome): Promise<boolean>;
  /** Gives a claimed mail back for another attempt at `nextAttemptAt`. `false` when `claim` no longer holds it. */
  retryMail(id: string, claim: string, nextAttemptAt: number, error: string): Promise<boolean>;
  /** How many mails to `recipient` (any letter case) of the app were sent at or after `since`. */
  countSentMail(appId: string, recipient: string, since: number): Promise<number>;
  /** Mails waiting for delivery, and the due time of the oldest (`null` when none waits): the queue's depth. */
  mailQueueDepth(): Promise<{ pending: number; oldestDueAt: number | null }>;
  /** Deletes finished mails (sent, dropped, failed) that finished before `before`; returns how many. */
  deleteFinishedMail(before: number): Promise<number>;

  // ---- audit ------------------------------------------------------------------------------------------
  /** Appends an audit event (logins, failures, credential changes). Never pass secrets in `detail`. */
  recordAuditEvent(event: NewAuditEvent): Promise<void>;
  /**
   * Most recent audit events of an app, newest first (by `at`, then id), filtered by user, type and time
   * (`since` inclusive, `until` exclusive); `before` is the last event of the previous page, so paging is
   * stable while events are added. `limit` 100 by default, 1000 at most.
   */
  listAuditEvents(appId: string, options?: AuditQuery): Promise<AuditEventRecord[]>;
  /** Deletes events of every app that happened before `before` (retention); returns how many. */
  deleteAuditEventsBefore(before: number): Promise<number>;

  // ---- admin keys -------------------------------------------------------------------------------------
  // Keys of the admin API belong to the deployment, not to a user: one app's (`appId`) or every app's (`null`).
  /** Stores a key; throws `StorageConflictError('adminKey')` if its id or hash exists. */
  createAdminKey(input: NewAdminKey): Promise<AdminKeyRecord>;
  /** The key whose secret hashes to `keyHash` — revoked ones too (callers check) — or `null`. */
  findAdminKeyByHash(keyHash: string): Promise<AdminKeyRecord | null>;
  /** Every admin key, revoked ones too, oldest first. */
  listAdminKeys(): Promise<AdminKeyRecord[]>;
  /** Revokes a key. `true` only if it was active before the call. */
  revokeAdminKey(keyId: string, now: number): Promise<boolean>;
  /** Records use of a key. */
  touchAdminKey(keyId: string, now: number): Promise<void>;
}

export type StorageDialect = 'sqlite' | 'postgres';

/** What collided in a {@link StorageConflictError}. */
export type ConflictTarget =
  | 'email'
  | 'username'
  | 'identity'
  | 'user'
  | 'apiKey'
  | 'apiKeyName'
  | 'session'
  | 'token'
  | 'passkey'
  | 'adminKey';

/** A write refused because it would break a uniqueness rule. Nothing of that write was kept. */
export class StorageConflictError extends Error {
  override readonly name = 'StorageConflictError';
  constructor(
    readonly target: ConflictTarget,
    options?: { cause?: unknown },
  ) {
    super(`storage conflict: ${target} already exists`, options);
  }
}

/**
 * The database could not be reached or did not answer in time (refused or dropped connection, a server
 * restarting, a connection, statement or pool-wait timeout). Nothing can be said about a write that failed
 * this way unless it ran in a transaction (then it was rolled back). The protocol layers answer it with 503
 * and `Retry-After`.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(options?: { cause?: unknown }) {
    super(`storage unavailable: ${describeCause(options?.cause)}`, options);
  }
}

/** True when `value` is a {@link StorageUnavailableError}, also one from another copy of this package. */
export function isStorageUnavailableError(value: unknown): value is StorageUnavailableError {
  return value instanceof Error && value.name === 'StorageUnavailableError';
}

// The driver's own text (never a query or its parameters: drivers do not put those in connection errors).
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return 'the database did not answer';
  const code = (cause as { code?: unknown }).code;
  return `${cause.message}${typeof code === 'string' && !cause.message.includes(code) ? ` (${code})` : ''}`;
}

/**
 * True when `value` is a {@link StorageConflictError}, also one from another copy of this package.
 *
 * @example
 * ```ts
 * try { await storage.createUser(input); } catch (e) { if (isStorageConflictError(e) && e.target === 'email') … }
 * ```
 */
export function isStorageConflictError(value: unknown): value is StorageConflictError {
  return (
    value instanceof Error &&
    value.name === 'StorageConflictError' &&
    typeof (value as StorageConflictError).target === 'string'
  );
}

export interface EmailRecord {
  address: string;
  verified: boolean;
}

export interface IdentityRecord {
  /** The identity id the profile shows: subject for most providers. */
  id: string;
  providerType: string;
  /** Provider instance name (equals the type for App Services providers). */
  providerId: string;
  /** The provider's user id; for federated identities the IdP subject (`sub`). Unique per (app, providerId). */
  subject: string;
  data: JsonObject;
  createdAt: number;
}

export interface UserRecord {
  id: string;
  appId: string;
  username: string | null;
  type: UserType;
  disabled: boolean;
  profile: JsonObject;
  customData: JsonObject;
  createdAt: number;
  updatedAt: number;
  /** In the order they were added. */
  emails: EmailRecord[];
  /** In the order they were added (linking appends). */
  identities: IdentityRecord[];
}

/** The parts of a user a session check needs: whether it may act, and what its tokens carry. */
export interface UserState {
  id: string;
  appId: string;
  type: UserType;
  disabled: boolean;
  customData: JsonObject;
}

export interface NewEmail {
  address: string;
  verified: boolean;
}

export interface NewIdentity {
  providerType: string;
  providerId: string;
  subject: string;
  data?: JsonObject;
}

export interface NewUser {
  /** 24-hex ObjectId; the caller makes it so it can be returned before the write (and kept by imports). */
  id: string;
  appId: string;
  username?: string | null;
  type?: UserType;
  profile?: JsonObject;
  customData?: JsonObject;
  emails?: NewEmail[];
  identities?: NewIdentity[];
  /** PHC string. */
  passwordHash?: string | null;
  now: number;
}

export interface SessionRecord {
  id: string;
  appId: string;
  userId: string;
  deviceId: string;
  /** `refresh` (App Services login) or `resume` (Meteor login token). */
  kind: SessionKind;
  refreshHash: string;
  /** The provider the session logged in with. */
  providerType: string;
  /** The API key that authenticated this session, if any (it cannot delete itself). */
  apiKeyId: string | null;
  meta: JsonObject;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export type SessionKind = 'refresh' | 'resume';

export interface NewSession {
  id: string;
  appId: string;
  userId: string;
  deviceId: string;
  kind?: SessionKind;
  refreshHash: string;
  providerType: string;
  apiKeyId?: string | null;
  meta?: JsonObject;
  now: number;
  expiresAt: number;
}

/**
 * What a one-time token is for. `oauth-start` is a login started at an external service (its PKCE verifier,
 * nonce or OAuth 1.0a request token); `oauth-credential` is Meteor's pending credential — the outcome of an
 * external login waiting to be redeemed once with its secret.
 */
export type OneTimeTokenPurpose =
  | 'confirm-email'
  | 'reset-password'
  | 'enroll'
  | 'verify-email'
  | 'oauth-state'
  | 'oauth-start'
  | 'oauth-credential'
  /** A passwordless login code mailed to one address of a user (Meteor's `requestLoginTokenForUser`). */
  | 'login-token'
  /** The second step of a login that needs a two-factor code: the first step's proof, for a few minutes. */
  | 'two-factor-challenge';

export interface OneTimeTokenRecord {
  id: string;
  appId: string;
  userId: string | null;
  purpose: OneTimeTokenPurpose;
  data: JsonObject;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface NewOneTimeToken {
  id: string;
  appId: string;
  userId: string | null;
  purpose: OneTimeTokenPurpose;
  tokenHash: string;
  data?: JsonObject;
  now: number;
  expiresAt: number;
}

export interface ConsumeOneTimeToken {
  appId: string;
  id: string;
  tokenHash: string;
  purpose: OneTimeTokenPurpose;
  now: number;
}

export interface ConsumeUserOneTimeToken {
  appId: string;
  userId: string;
  tokenHash: string;
  purpose: OneTimeTokenPurpose;
  now: number;
}

/** A user's TOTP second factor. */
export interface SecondFactorRecord {
  appId: string;
  userId: string;
  /** The secret as the server stored it (sealed with its encryption keys; storage never sees it in clear). */
  secret: string;
  /** When it was enabled (a correct first code); `null` while pending. */
  enabledAt: number | null;
  /** The last TOTP time step accepted (a code is good once); `null` before any. */
  lastStep: number | null;
  createdAt: number;
}

export type ApiKeyKind = 'user' | 'server';

export interface ApiKeyRecord {
  id: string;
  appId: string;
  userId: string;
  kind: ApiKeyKind;
  name: string;
  disabled: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface NewApiKey {
  id: string;
  appId: string;
  userId: string;
  kind: ApiKeyKind;
  name: string;
  keyHash: string;
  now: number;
}

/** What happened to a mail: see {@link Storage.finishMail}. */
export type MailStatus = 'pending' | 'sent' | 'dropped' | 'failed';

export interface NewMail {
  id: string;
  appId: string;
  /** The one recipient address. */
  recipient: string;
  /** What the mail is (`confirm-email`, `reset-password`, …): mails of one kind to one address replace each other. */
  kind: string;
  /** The message, serialised (and sealed) by the mail layer; the storage layer does not read it. */
  payload: string;
  now: number;
}

/** A claimed mail, as {@link Storage.claimDueMail} hands it to a sender. */
export interface MailRecord {
  id: string;
  appId: string;
  recipient: string;
  kind: string;
  payload: string;
  /** Attempts so far, this one included. */
  attempts: number;
  createdAt: number;
  /** The sender's hold on the mail: pass it to `finishMail` / `retryMail`. */
  claim: string;
}

export interface MailOutcome {
  status: Exclude<MailStatus, 'pending'>;
  now: number;
  /** Why it was dropped or given up (a summary, never a body or credentials). */
  reason?: string;
}

export interface NewAuditEvent {
  appId: string;
  userId?: string | null;
  /** e.g. `login`, `login-failed`, `logout`, `password-reset`, `user-deleted`. */
  type: string;
  ip?: string | null;
  /** The client's `User-Agent`. */
  userAgent?: string | null;
  /** Who acted when not the user (an admin key's id). */
  actor?: string | null;
  detail?: JsonObject;
  now: number;
}

export interface AuditEventRecord {
  id: string;
  appId: string;
  userId: string | null;
  type: string;
  ip: string | null;
  userAgent: string | null;
  actor: string | null;
  detail: JsonObject;
  at: number;
}

/** A user's WebAuthn credential. The public key is not secret; nothing here lets anyone sign in. */
export interface PasskeyRecord {
  id: string;
  appId: string;
  userId: string;
  /** The credential id, base64url. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (0 for authenticators that keep none). */
  counter: number;
  /** What the authenticator said it can be reached by (`internal`, `hybrid`, `usb`, …). */
  transports: string[];
  name: string;
  /** `singleDevice` or `multiDevice` (a synced passkey). */
  deviceType: string;
  backedUp: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A passkey to store: its record but for the times, which `now` sets. */
export type NewPasskey = Omit<PasskeyRecord, 'createdAt' | 'lastUsedAt'> & { now: number };

/** `registration`: a signed-in user adds a passkey; `authentication`: someone signs in with one. */
export type WebauthnChallengePurpose = 'registration' | 'authentication';

export interface WebauthnChallengeRecord {
  id: string;
  appId: string;
  userId: string | null;
  purpose: WebauthnChallengePurpose;
  createdAt: number;
  expiresAt: number;
}

export interface NewWebauthnChallenge {
  id: string;
  appId: string;
  userId: string | null;
  purpose: WebauthnChallengePurpose;
  challengeHash: string;
  now: number;
  expiresAt: number;
}

export interface ConsumeWebauthnChallenge {
  appId: string;
  purpose: WebauthnChallengePurpose;
  challengeHash: string;
  /** When set, only that user's challenge is consumed. */
  userId?: string | null;
  now: number;
}

/** Filters and page of {@link StorageTransaction.listAuditEvents}. */
export interface AuditQuery {
  userId?: string;
  type?: string;
  /** Events at or after (ms). */
  since?: number;
  /** Events before (ms). */
  until?: number;
  /** The last event of the previous page. */
  before?: { at: number; id: string };
  limit?: number;
}

/** Filters and page of {@link StorageTransaction.listUsers}. */
export interface UserListOptions {
  search?: string;
  provider?: string;
  /** The last user id of the previous page. */
  after?: string;
  limit?: number;
}

export interface AdminKeyRecord {
  id: string;
  /** The one app the key may administer, or `null` for every app. */
  appId: string | null;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface NewAdminKey {
  id: string;
  appId: string | null;
  name: string;
  /** SHA-256 of the secret (the secret itself is never stored). */
  keyHash: string;
  now: number;
}
