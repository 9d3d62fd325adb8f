import { type JsonObject, objectId } from '@gatehouse-auth/core';
import {
  type ConflictTarget,
  isStorageConflictError,
  type NewApiKey,
  type NewOneTimeToken,
  type NewPasskey,
  type NewSession,
  type NewUser,
  type NewWebauthnChallenge,
  type Storage,
  StorageConflictError,
  type UserRecord,
} from '../contract.js';

/** What the `open` callback of {@link runStorageConformance} returns. */
export interface OpenedStorage {
  /**
   * A migrated storage. The suite isolates its cases by fresh app and user ids, so it need not be empty, and
   * it leaves rows behind: give it a database of its own.
   */
  storage: Storage;
  /** Closes the storage and removes what `open` created. */
  cleanup(): Promise<void>;
}

/**
 * The parts of a Jest-style test runner the suite uses: pass vitest's (`import * as vitest from 'vitest'`) or
 * Jest's (`@jest/globals`) functions. The suite imports no runner itself, so none is a dependency of this
 * package.
 */
export interface ConformanceTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void): void;
  beforeAll(hook: () => Promise<void> | void): void;
  beforeEach(hook: () => Promise<void> | void): void;
  afterAll(hook: () => Promise<void> | void): void;
  expect: ConformanceExpect;
}

/** `expect(actual, message?)` with the matchers the suite uses (a subset of Jest's and vitest's). */
export type ConformanceExpect = (actual: unknown, message?: string) => ConformanceAssertion;

export interface ConformanceMatchers<R> {
  toBe(expected: unknown): R;
  toEqual(expected: unknown): R;
  toMatchObject(expected: object): R;
  toBeNull(): R;
  toBeUndefined(): R;
  toContain(item: unknown): R;
  toHaveLength(length: number): R;
  toMatch(pattern: RegExp | string): R;
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): R;
  toThrow(expected?: string | RegExp): R;
}

export interface ConformanceAssertion extends ConformanceMatchers<void> {
  readonly not: ConformanceMatchers<void>;
  readonly resolves: ConformanceMatchers<Promise<unknown>>;
  readonly rejects: ConformanceMatchers<Promise<unknown>>;
}

/** Options of {@link runStorageConformance}. */
export interface StorageConformanceOptions {
  /** Names the suite (`storage conformance: <name>`), e.g. the dialect and how it is opened. */
  name: string;
  /**
   * Opens a fresh, migrated storage. Called once for the suite, and once more by the case that checks
   * `close()` (that storage is closed by the case, then `cleanup()` is called).
   */
  open: () => Promise<OpenedStorage>;
  /** The test runner's functions. */
  test: ConformanceTestApi;
}

/**
 * The storage contract as test cases: every method, the app isolation every user-owned call promises, and the
 * atomicity and concurrency promises of the contract's TSDoc. Every implementation of `Storage` — the built-in
 * SQLite and PostgreSQL ones, and any third-party adapter — must pass all of it unchanged. See
 * `docs/storage-adapters.md`.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest';
 * import { runStorageConformance } from '@gatehouse-auth/storage/testing';
 *
 * runStorageConformance({
 *   name: 'my adapter',
 *   open: async () => {
 *     const storage = await createMyStorage(process.env.TEST_DATABASE_URL!);
 *     await storage.migrate();
 *     return { storage, cleanup: () => storage.close() };
 *   },
 *   test: vitest,
 * });
 * ```
 */
export function runStorageConformance(options: StorageConformanceOptions): void {
  const { name, open } = options;
  const { describe, it, beforeAll, beforeEach, afterAll, expect } = options.test;

  /** Awaits `promise` and checks it was refused with `StorageConflictError(target)`. */
  async function expectConflict(promise: Promise<unknown>, target: ConflictTarget): Promise<void> {
    const outcome = await promise.then(
      () => ({ resolved: true as const }),
      (error: unknown) => ({ resolved: false as const, error }),
    );
    expect(outcome.resolved, `expected StorageConflictError('${target}'), but the call succeeded`).toBe(false);
    if (outcome.resolved) return;
    expect(outcome.error).toBeInstanceOf(StorageConflictError);
    expect(isStorageConflictError(outcome.error)).toBe(true);
    expect((outcome.error as StorageConflictError).target).toBe(target);
  }

  describe(`storage conformance: ${name}`, () => {
    let opened: OpenedStorage | undefined;
    let openError: unknown;
    let storage: Storage;

    beforeAll(async () => {
      try {
        opened = await open();
        storage = opened.storage;
      } catch (error) {
        openError = error;
      }
    });
    // A storage that cannot be opened fails every case (a failing beforeAll would only mark them skipped).
    beforeEach(() => {
      if (openError !== undefined) throw openError;
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    // Times beyond 2^31 ms, so a BIGINT read back as a string or truncated shows up as a failure.
    const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
    const DAY = 86_400_000;

    const newAppId = () => `app-${objectId()}`;
    const userInput = (appId: string, extra: Partial<NewUser> = {}): NewUser => ({
      id: objectId(),
      appId,
      now: NOW,
      ...extra,
    });
    const createUser = (appId: string, extra: Partial<NewUser> = {}) => storage.createUser(userInput(appId, extra));
    const sessionInput = (user: UserRecord, extra: Partial<NewSession> = {}): NewSession => ({
      id: objectId(),
      appId: user.appId,
      userId: user.id,
      deviceId: objectId(),
      refreshHash: `refresh-${objectId()}`,
      providerType: 'local-userpass',
      now: NOW,
      expiresAt: NOW + 60 * DAY,
      ...extra,
    });
    const tokenInput = (
      appId: string,
      userId: string | null,
      extra: Partial<NewOneTimeToken> = {},
    ): NewOneTimeToken => ({
      id: objectId(),
      appId,
      userId,
      purpose: 'reset-password',
      tokenHash: `token-${objectId()}`,
      now: NOW,
      expiresAt: NOW + 30 * 60_000,
      ...extra,
    });
    const apiKeyInput = (user: UserRecord, extra: Partial<NewApiKey> = {}): NewApiKey => ({
      id: objectId(),
      appId: user.appId,
      userId: user.id,
      kind: 'user',
      name: `key-${objectId()}`,
      keyHash: `key-hash-${objectId()}`,
      now: NOW,
      ...extra,
    });

    const passkeyInput = (user: UserRecord, extra: Partial<NewPasskey> = {}): NewPasskey => ({
      id: objectId(),
      appId: user.appId,
      userId: user.id,
      credentialId: `cred-${objectId()}`,
      publicKey: `pk-${objectId()}`,
      counter: 0,
      transports: ['internal', 'hybrid'],
      name: 'Laptop',
      deviceType: 'multiDevice',
      backedUp: true,
      now: NOW,
      ...extra,
    });
    const challengeInput = (
      appId: string,
      userId: string | null,
      extra: Partial<NewWebauthnChallenge> = {},
    ): NewWebauthnChallenge => ({
      id: objectId(),
      appId,
      userId,
      purpose: userId ? 'registration' : 'authentication',
      challengeHash: `challenge-${objectId()}`,
      now: NOW,
      expiresAt: NOW + 5 * 60_000,
      ...extra,
    });

    const NESTED: JsonObject = {
      name: 'Zoë 😀',
      nested: { deeper: { list: [1, 2.5, -3, { nothing: null }, 'x'], empty: {} }, flag: true },
      off: false,
      big: Number.MAX_SAFE_INTEGER,
      none: null,
      emptyList: [],
    };

    describe('lifecycle', () => {
      it('reports a known dialect', () => {
        expect(['sqlite', 'postgres']).toContain(storage.dialect);
      });

      it('migrate() is idempotent, also when called concurrently', async () => {
        await storage.migrate();
        await Promise.all([storage.migrate(), storage.migrate()]);
        await expect(storage.ping()).resolves.toBeUndefined();
      });

      it('close() ends the storage: further calls fail, a second close() does not', async () => {
        const other = await open();
        try {
          const appId = newAppId();
          const user = await other.storage.createUser(userInput(appId));
          await other.storage.close();
          await expect(other.storage.ping()).rejects.toThrow();
          await expect(other.storage.getUser(appId, user.id)).rejects.toThrow();
          await expect(other.storage.close()).resolves.toBeUndefined();
        } finally {
          await other.cleanup();
        }
      });
    });

    describe('transaction()', () => {
      it('commits every write made through the handle and returns what work returns', async () => {
        const appId = newAppId();
        const input = userInput(appId, { emails: [{ address: 'tx-commit@example.com', verified: false }] });
        const result = await storage.transaction(async (tx) => {
          await tx.createUser(input);
          await tx.setPasswordHash(input.appId, input.id, '$argon2id$commit', NOW);
          expect(await tx.getUser(appId, input.id)).not.toBeNull();
          return 42;
        });
        expect(result).toBe(42);
        expect(await storage.getUser(appId, input.id)).not.toBeNull();
        expect(await storage.getPasswordHash(input.appId, input.id)).toBe('$argon2id$commit');
      });

      it('undoes every write when work throws, and rethrows the same error', async () => {
        const appId = newAppId();
        const input = userInput(appId, {
          username: 'rolled-back',
          emails: [{ address: 'tx-rollback@example.com', verified: true }],
          passwordHash: '$argon2id$rollback',
        });
        const session = sessionInput(await createUser(appId));
        const injected = new Error('injected failure');
        const outcome = storage.transaction(async (tx) => {
          await tx.createUser(input);
          await tx.createSession(session);
          await tx.recordAuditEvent({ appId, type: 'inside-rolled-back-tx', now: NOW });
          throw injected;
        });
        await expect(outcome).rejects.toBe(injected);
        expect(await storage.getUser(appId, input.id)).toBeNull();
        expect(await storage.findUserByEmail(appId, 'tx-rollback@example.com')).toBeNull();
        expect(await storage.findUsersByUsername(appId, 'rolled-back')).toEqual([]);
        expect(await storage.getPasswordHash(input.appId, input.id)).toBeNull();
        expect(await storage.getSession(session.appId, session.id)).toBeNull();
        expect(await storage.listAuditEvents(appId)).toEqual([]);
      });

      it('a nested transaction() that throws undoes only its own writes', async () => {
        const appId = newAppId();
        const outer = userInput(appId);
        const inner = userInput(appId);
        await storage.transaction(async (tx) => {
          await tx.createUser(outer);
          await expect(
            tx.transaction(async (nested) => {
              await nested.createUser(inner);
              await nested.setUserProfile(appId, outer.id, { changed: 'inside' }, NOW + 1);
              throw new Error('inner failure');
            }),
          ).rejects.toThrow('inner failure');
          await tx.setUserCustomData(appId, outer.id, { after: 'inner' }, NOW + 2);
        });
        const saved = await storage.getUser(appId, outer.id);
        expect(saved?.profile).toEqual({});
        expect(saved?.customData).toEqual({ after: 'inner' });
        expect(await storage.getUser(appId, inner.id)).toBeNull();
      });

      it('a createUser() refused inside a transaction leaves no trace, and the transaction goes on', async () => {
        const appId = newAppId();
        const first = userInput(appId, { emails: [{ address: 'taken@example.com', verified: false }] });
        const refused = userInput(appId, {
          username: 'refused',
          emails: [
            { address: 'refused-own@example.com', verified: false },
            { address: 'TAKEN@example.com', verified: false },
          ],
          passwordHash: '$argon2id$refused',
        });
        const third = userInput(appId, { emails: [{ address: 'third@example.com', verified: false }] });
        await storage.transaction(async (tx) => {
          await tx.createUser(first);
          await expectConflict(tx.createUser(refused), 'email');
          await tx.createUser(third);
        });
        expect(await storage.getUser(appId, first.id)).not.toBeNull();
        expect(await storage.getUser(appId, third.id)).not.toBeNull();
        expect(await storage.getUser(appId, refused.id)).toBeNull();
        expect(await storage.findUserByEmail(appId, 'refused-own@example.com')).toBeNull();
        expect(await storage.findUsersByUsername(appId, 'refused')).toEqual([]);
        expect(await storage.getPasswordHash(refused.appId, refused.id)).toBeNull();
      });

      it('reads through the handle see the transaction’s own writes before it commits (the hot reads too)', async () => {
        const appId = newAppId();
        const input = userInput(appId, { emails: [{ address: 'tx-reads@example.com', verified: false }] });
        await storage.transaction(async (tx) => {
          const user = await tx.createUser(input);
          const session = await tx.createSession(sessionInput(user));
          const keyInput = apiKeyInput(user);
          const key = await tx.createApiKey(keyInput);
          expect((await tx.getUser(appId, user.id))?.emails).toEqual([
            { address: 'tx-reads@example.com', verified: false },
          ]);
          expect((await tx.findUserByEmail(appId, 'TX-Reads@example.com'))?.id).toBe(user.id);
          expect((await tx.getSession(appId, session.id))?.userId).toBe(user.id);
          expect((await tx.getSessionWithUser(appId, session.id))?.user.id).toBe(user.id);
          expect((await tx.findSessionByHash(appId, session.refreshHash))?.id).toBe(session.id);
          expect((await tx.findApiKeyByHash(appId, keyInput.keyHash))?.id).toBe(key.id);
        });
      });

      it('gives the transaction handle no migrate(), ping() or close()', async () => {
        await storage.transaction(async (tx) => {
          for (const lifecycle of ['migrate', 'ping', 'close']) expect(lifecycle in tx).toBe(false);
        });
        await expect(storage.ping()).resolves.toBeUndefined();
      });
    });

    describe('apps', () => {
      it('ensureApp() is idempotent', async () => {
        const appId = newAppId();
        await storage.ensureApp(appId, NOW);
        await storage.ensureApp(appId, NOW + 1);
        await Promise.all([storage.ensureApp(appId, NOW + 2), storage.ensureApp(appId, NOW + 3)]);
      });
    });

    describe('users', () => {
      it('createUser() fills defaults, and getUser() returns the same record', async () => {
        const appId = newAppId();
        const input = userInput(appId);
        const created = await storage.createUser(input);
        expect(created).toEqual({
          id: input.id,
          appId,
          username: null,
          type: 'normal',
          disabled: false,
          profile: {},
          customData: {},
          createdAt: NOW,
          updatedAt: NOW,
          emails: [],
          identities: [],
        });
        expect(await storage.getUser(appId, input.id)).toEqual(created);
      });

      it('createUser() stores emails, identities and password, in the order given', async () => {
        const appId = newAppId();
        const input = userInput(appId, {
          username: 'Grace',
          type: 'server',
          profile: NESTED,
          customData: { plan: 'pro', limits: { seats: 3 } },
          emails: [
            { address: 'zed@example.com', verified: true },
            { address: 'Amy@Example.com', verified: false },
            { address: 'mid@example.com', verified: true },
          ],
          identities: [
            { providerType: 'oauth2-google', providerId: 'oauth2-google', subject: 'z-subject', data: { hd: 'x.org' } },
            { providerType: 'local-userpass', providerId: 'local-userpass', subject: 'a-subject' },
          ],
          passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
        });
        const created = await storage.createUser(input);
        expect(created.emails).toEqual([
          { address: 'zed@example.com', verified: true },
          { address: 'Amy@Example.com', verified: false },
          { address: 'mid@example.com', verified: true },
        ]);
        expect(created.identities).toEqual([
          {
            id: 'z-subject',
            providerType: 'oauth2-google',
            providerId: 'oauth2-google',
            subject: 'z-subject',
            data: { hd: 'x.org' },
            createdAt: NOW,
          },
          {
            id: 'a-subject',
            providerType: 'local-userpass',
            providerId: 'local-userpass',
            subject: 'a-subject',
            data: {},
            createdAt: NOW,
          },
        ]);
        expect(created).toMatchObject({ username: 'Grace', type: 'server', profile: NESTED });
        expect(await storage.getUser(appId, input.id)).toEqual(created);
        expect(await storage.getPasswordHash(input.appId, input.id)).toBe(input.passwordHash);
      });

      it('getUser() is null for an unknown id and for another app', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        expect(await storage.getUser(appId, objectId())).toBeNull();
        expect(await storage.getUser(newAppId(), user.id)).toBeNull();
      });

      it('createUser() refuses a taken id, email, username or identity (letter case ignored)', async () => {
        const appId = newAppId();
        const existing = await createUser(appId, {
          username: 'Taken.Name',
          emails: [{ address: 'Taken@Example.com', verified: true }],
          identities: [{ providerType: 'custom-token', providerId: 'custom-token', subject: 'sub-1' }],
        });
        const refused: Array<[NewUser, ConflictTarget]> = [
          [userInput(newAppId(), { id: existing.id }), 'user'],
          [userInput(appId, { emails: [{ address: 'taken@example.COM', verified: false }] }), 'email'],
          [userInput(appId, { username: 'taken.name' }), 'username'],
          // Usernames compare by their PRECIS key: full-width letters are the same name.
          [userInput(appId, { username: 'ＴＡＫＥＮ.name' }), 'username'],
          [
            userInput(appId, {
              identities: [{ providerType: 'custom-token', providerId: 'custom-token', subject: 'sub-1' }],
            }),
            'identity',
          ],
        ];
        for (const [input, target] of refused) await expectConflict(storage.createUser(input), target);
        for (const [input] of refused.slice(1)) expect(await storage.getUser(appId, input.id)).toBeNull();
        expect(await storage.getUser(appId, existing.id)).toEqual(existing);
      });

      it('createUser() refuses two emails of one user that differ only in case, keeping nothing', async () => {
        const appId = newAppId();
        const input = userInput(appId, {
          emails: [
            { address: 'twice@example.com', verified: false },
            { address: 'TWICE@example.com', verified: false },
          ],
        });
        await expectConflict(storage.createUser(input), 'email');
        expect(await storage.getUser(appId, input.id)).toBeNull();
        expect(await storage.findUserByEmail(appId, 'twice@example.com')).toBeNull();
      });

      it('the same email, username and identity may exist once in each app', async () => {
        const shared: Partial<NewUser> = {
          username: 'same',
          emails: [{ address: 'same@example.com', verified: false }],
          identities: [{ providerType: 'custom-token', providerId: 'custom-token', subject: 'same' }],
        };
        const a = await createUser(newAppId(), shared);
        const b = await createUser(newAppId(), shared);
        expect((await storage.findUserByEmail(a.appId, 'same@example.com'))?.id).toBe(a.id);
        expect((await storage.findUserByEmail(b.appId, 'same@example.com'))?.id).toBe(b.id);
      });

      it('findUserByEmail() ignores letter case, Unicode included, and keeps the stored spelling', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          emails: [
            { address: 'first@example.com', verified: false },
            { address: 'Ærøskøbing.ÉLODIE@Exämple.DK', verified: true },
          ],
        });
        const found = await storage.findUserByEmail(appId, 'ærøskøbing.élodie@exämple.dk');
        expect(found).toEqual(user);
        expect(found?.emails[1]?.address).toBe('Ærøskøbing.ÉLODIE@Exämple.DK');
        expect(await storage.findUserByEmail(appId, 'ÆRØSKØBING.ÉLODIE@EXÄMPLE.DK')).toEqual(user);
        expect(await storage.findUserByEmail(appId, 'nobody@example.com')).toBeNull();
        expect(await storage.findUserByEmail(newAppId(), 'first@example.com')).toBeNull();
      });

      it('findUsersByUsername() matches exactly or else case-insensitively, Unicode included', async () => {
        const appId = newAppId();
        const ada = await createUser(appId, {
          username: 'ÁdaLØvela😈e',
          emails: [{ address: 'ada@example.com', verified: true }],
        });
        await createUser(appId, { username: 'someone-else' });
        expect(await storage.findUsersByUsername(appId, 'ÁdaLØvela😈e')).toEqual([ada]);
        expect(await storage.findUsersByUsername(appId, 'ádaløvela😈e')).toEqual([ada]);
        expect(await storage.findUsersByUsername(appId, 'ÁDALØVELA😈E')).toEqual([ada]);
        expect(await storage.findUsersByUsername(appId, 'adalovela😈e')).toEqual([]);
        expect(await storage.findUsersByUsername(newAppId(), 'ÁdaLØvela😈e')).toEqual([]);
      });

      it('findUserByIdentity() finds by provider instance and subject within the app', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          identities: [
            { providerType: 'oauth2-google', providerId: 'google-main', subject: '10769150350006150715113082367' },
          ],
        });
        expect(await storage.findUserByIdentity(appId, 'google-main', '10769150350006150715113082367')).toEqual(user);
        expect(await storage.findUserByIdentity(appId, 'google-other', '10769150350006150715113082367')).toBeNull();
        expect(await storage.findUserByIdentity(appId, 'google-main', 'another-subject')).toBeNull();
        expect(await storage.findUserByIdentity(newAppId(), 'google-main', '10769150350006150715113082367')).toBeNull();
      });

      it('deleteUser() removes the user and everything hanging off it, and frees its names', async () => {
        const appId = newAppId();
        const identity = { providerType: 'custom-token', providerId: 'custom-token', subject: 'to-delete' };
        const user = await createUser(appId, {
          username: 'doomed',
          emails: [{ address: 'doomed@example.com', verified: true }],
          identities: [identity],
          passwordHash: '$argon2id$doomed',
        });
        const session = await storage.createSession(sessionInput(user));
        const key = apiKeyInput(user);
        await storage.createApiKey(key);
        const token = tokenInput(appId, user.id);
        await storage.createOneTimeToken(token);
        const bystander = await createUser(appId, { emails: [{ address: 'bystander@example.com', verified: false }] });
        const bystanderSession = await storage.createSession(sessionInput(bystander));

        expect(await storage.deleteUser(newAppId(), user.id)).toBe(false);
        expect(await storage.getUser(appId, user.id)).not.toBeNull();

        expect(await storage.deleteUser(appId, user.id)).toBe(true);
        expect(await storage.deleteUser(appId, user.id)).toBe(false);
        expect(await storage.getUser(appId, user.id)).toBeNull();
        expect(await storage.findUserByEmail(appId, 'doomed@example.com')).toBeNull();
        expect(await storage.findUserByIdentity(appId, 'custom-token', 'to-delete')).toBeNull();
        expect(await storage.getPasswordHash(user.appId, user.id)).toBeNull();
        expect(await storage.getSession(session.appId, session.id)).toBeNull();
        expect(await storage.findSessionByHash(appId, session.refreshHash)).toBeNull();
        expect(await storage.getApiKey(user.appId, user.id, key.id)).toBeNull();
        expect(await storage.findApiKeyByHash(appId, key.keyHash)).toBeNull();
        expect(await storage.listApiKeys(user.appId, user.id)).toEqual([]);
        expect(await storage.consumeOneTimeToken({ ...token, now: NOW })).toBeNull();
        expect(await storage.getUser(appId, bystander.id)).toEqual(bystander);
        expect(await storage.getSession(bystanderSession.appId, bystanderSession.id)).toEqual(bystanderSession);

        // Nothing of the old user still holds a unique value.
        const heir = await createUser(appId, {
          username: 'doomed',
          emails: [{ address: 'doomed@example.com', verified: false }],
          identities: [identity],
        });
        await storage.createApiKey(apiKeyInput(heir, { name: key.name, keyHash: key.keyHash }));
        await storage.createOneTimeToken({ ...token, userId: heir.id });
      });

      it('setUserProfile() and setUserCustomData() replace the JSON (nested values round-trip)', async () => {
        const appId = newAppId();
        const user = await createUser(appId, { profile: { keep: 'no', old: { a: 1 } }, customData: { x: 1 } });
        expect(await storage.setUserProfile(appId, user.id, NESTED, NOW + 5)).toBe(true);
        expect(
          await storage.setUserCustomData(appId, user.id, { roles: ['admin', 'ops'], meta: NESTED }, NOW + 6),
        ).toBe(true);
        const saved = await storage.getUser(appId, user.id);
        expect(saved?.profile).toEqual(NESTED);
        expect(saved?.customData).toEqual({ roles: ['admin', 'ops'], meta: NESTED });
        expect(saved?.updatedAt).toBe(NOW + 6);
        expect(saved?.createdAt).toBe(NOW);
        expect(await storage.setUserProfile(appId, objectId(), {}, NOW)).toBe(false);
        expect(await storage.setUserProfile(newAppId(), user.id, {}, NOW)).toBe(false);
        expect(await storage.setUserCustomData(appId, objectId(), {}, NOW)).toBe(false);
        expect(await storage.setUserCustomData(newAppId(), user.id, {}, NOW)).toBe(false);
        expect((await storage.getUser(appId, user.id))?.profile).toEqual(NESTED);
      });

      it('setUserDisabled() sets and clears the flag', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        expect(await storage.setUserDisabled(appId, user.id, true, NOW + 1)).toBe(true);
        expect(await storage.getUser(appId, user.id)).toMatchObject({ disabled: true, updatedAt: NOW + 1 });
        expect(await storage.setUserDisabled(appId, user.id, false, NOW + 2)).toBe(true);
        expect((await storage.getUser(appId, user.id))?.disabled).toBe(false);
        expect(await storage.setUserDisabled(appId, objectId(), true, NOW)).toBe(false);
        expect(await storage.setUserDisabled(newAppId(), user.id, true, NOW)).toBe(false);
      });

      it('setUsername() sets, re-cases and clears a username, refusing one taken in any case', async () => {
        const appId = newAppId();
        const ann = await createUser(appId);
        const other = await createUser(appId, { username: 'Bob' });
        expect(await storage.setUsername(appId, ann.id, 'Ann', NOW + 1)).toBe(true);
        expect(await storage.getUser(appId, ann.id)).toMatchObject({ username: 'Ann', updatedAt: NOW + 1 });
        await expectConflict(storage.setUsername(appId, other.id, 'aNN', NOW), 'username');
        expect((await storage.getUser(appId, other.id))?.username).toBe('Bob');
        expect(await storage.setUsername(appId, ann.id, 'ANN', NOW + 2)).toBe(true);
        expect(await storage.findUsersByUsername(appId, 'ANN')).toMatchObject([{ id: ann.id, username: 'ANN' }]);
        expect(await storage.setUsername(appId, ann.id, null, NOW + 3)).toBe(true);
        expect((await storage.getUser(appId, ann.id))?.username).toBeNull();
        expect(await storage.setUsername(appId, other.id, null, NOW + 3)).toBe(true);
        expect(await storage.setUsername(appId, other.id, 'ann', NOW + 4)).toBe(true);
        expect(await storage.setUsername(appId, objectId(), 'ghost', NOW)).toBe(false);
        expect(await storage.setUsername(newAppId(), ann.id, 'elsewhere', NOW)).toBe(false);
      });

      it('setEmailVerified() changes only the user’s own address, matched in any case', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          emails: [
            { address: 'One@Example.com', verified: false },
            { address: 'two@example.com', verified: false },
          ],
        });
        const other = await createUser(appId, { emails: [{ address: 'other@example.com', verified: false }] });
        expect(await storage.setEmailVerified(appId, user.id, 'one@example.COM', true)).toBe(true);
        expect((await storage.getUser(appId, user.id))?.emails).toEqual([
          { address: 'One@Example.com', verified: true },
          { address: 'two@example.com', verified: false },
        ]);
        expect(await storage.setEmailVerified(appId, user.id, 'One@Example.com', false)).toBe(true);
        expect((await storage.getUser(appId, user.id))?.emails[0]?.verified).toBe(false);
        expect(await storage.setEmailVerified(appId, user.id, 'other@example.com', true)).toBe(false);
        expect(await storage.setEmailVerified(appId, user.id, 'missing@example.com', true)).toBe(false);
        expect(await storage.setEmailVerified(newAppId(), user.id, 'two@example.com', true)).toBe(false);
        expect((await storage.getUser(appId, other.id))?.emails[0]?.verified).toBe(false);
      });

      it('addEmail() appends, and refuses an address any user of the app has, in any case', async () => {
        const appId = newAppId();
        const user = await createUser(appId, { emails: [{ address: 'first@example.com', verified: true }] });
        const other = await createUser(appId, { emails: [{ address: 'Other@Example.com', verified: false }] });
        await storage.addEmail(appId, user.id, { address: 'b-second@example.com', verified: false }, NOW + 1);
        await storage.addEmail(appId, user.id, { address: 'a-third@example.com', verified: true }, NOW + 2);
        expect((await storage.getUser(appId, user.id))?.emails).toEqual([
          { address: 'first@example.com', verified: true },
          { address: 'b-second@example.com', verified: false },
          { address: 'a-third@example.com', verified: true },
        ]);
        await expectConflict(
          storage.addEmail(appId, user.id, { address: 'OTHER@example.com', verified: false }, NOW),
          'email',
        );
        await expectConflict(
          storage.addEmail(appId, user.id, { address: 'First@Example.com', verified: false }, NOW),
          'email',
        );
        expect((await storage.getUser(appId, user.id))?.emails).toHaveLength(3);
        expect((await storage.getUser(appId, other.id))?.emails).toHaveLength(1);
        const elsewhere = await createUser(newAppId());
        await storage.addEmail(elsewhere.appId, elsewhere.id, { address: 'other@example.com', verified: false }, NOW);
      });

      it('replaceEmail() replaces an address in place, also only its case, and refuses one another user has', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          emails: [
            { address: 'a@example.com', verified: true },
            { address: 'b@example.com', verified: true },
          ],
        });
        const other = await createUser(appId, { emails: [{ address: 'taken@example.com', verified: false }] });
        expect(
          await storage.replaceEmail(appId, user.id, 'A@example.com', { address: 'new@example.com', verified: false }),
        ).toBe(true);
        expect(
          await storage.replaceEmail(appId, user.id, 'b@example.com', { address: 'B@Example.com', verified: false }),
        ).toBe(true);
        expect((await storage.getUser(appId, user.id))?.emails).toEqual([
          { address: 'new@example.com', verified: false },
          { address: 'B@Example.com', verified: false },
        ]);
        expect((await storage.findUserByEmail(appId, 'a@example.com'))?.id).toBeUndefined();
        await expectConflict(
          storage.replaceEmail(appId, user.id, 'new@example.com', { address: 'TAKEN@example.com', verified: true }),
          'email',
        );
        expect((await storage.getUser(appId, user.id))?.emails[0]).toEqual({
          address: 'new@example.com',
          verified: false,
        });
        expect(
          await storage.replaceEmail(appId, user.id, 'missing@example.com', {
            address: 'x@example.com',
            verified: false,
          }),
        ).toBe(false);
        expect(
          await storage.replaceEmail(appId, other.id, 'new@example.com', { address: 'y@example.com', verified: false }),
        ).toBe(false);
      });

      it('removeEmail() removes one address (any case), keeps the order of the rest, and frees it', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          emails: [
            { address: 'a@example.com', verified: false },
            { address: 'B@example.com', verified: true },
            { address: 'c@example.com', verified: false },
          ],
        });
        expect(await storage.removeEmail(appId, user.id, 'b@EXAMPLE.com')).toBe(true);
        expect(await storage.removeEmail(appId, user.id, 'B@example.com')).toBe(false);
        expect((await storage.getUser(appId, user.id))?.emails).toEqual([
          { address: 'a@example.com', verified: false },
          { address: 'c@example.com', verified: false },
        ]);
        const other = await createUser(appId);
        expect(await storage.removeEmail(appId, other.id, 'a@example.com')).toBe(false);
        await storage.addEmail(appId, other.id, { address: 'b@example.com', verified: false }, NOW);
        expect((await storage.findUserByEmail(appId, 'B@example.com'))?.id).toBe(other.id);
      });

      it('addIdentity() appends an identity and refuses one another user has', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          identities: [{ providerType: 'anon-user', providerId: 'anon-user', subject: 'anon-1' }],
        });
        const other = await createUser(appId, {
          identities: [{ providerType: 'custom-token', providerId: 'custom-token', subject: 'owned' }],
        });
        const added = await storage.addIdentity(
          appId,
          user.id,
          { providerType: 'oauth2-apple', providerId: 'oauth2-apple', subject: '001234.abc', data: NESTED },
          NOW + 10,
        );
        expect(added).toEqual({
          id: '001234.abc',
          providerType: 'oauth2-apple',
          providerId: 'oauth2-apple',
          subject: '001234.abc',
          data: NESTED,
          createdAt: NOW + 10,
        });
        const saved = await storage.getUser(appId, user.id);
        expect(saved?.identities.map((i) => i.subject)).toEqual(['anon-1', '001234.abc']);
        expect(saved?.identities[1]).toEqual(added);
        await expectConflict(
          storage.addIdentity(
            appId,
            user.id,
            { providerType: 'custom-token', providerId: 'custom-token', subject: 'owned' },
            NOW,
          ),
          'identity',
        );
        expect((await storage.findUserByIdentity(appId, 'custom-token', 'owned'))?.id).toBe(other.id);
      });
    });

    describe('identity removal', () => {
      it('setIdentityData() replaces the data of the user’s own identity only', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          identities: [{ providerType: 'oauth2-github', providerId: 'oauth2-github', subject: '42', data: { a: 1 } }],
        });
        const other = await createUser(appId);
        expect(await storage.setIdentityData(appId, user.id, 'oauth2-github', '42', NESTED)).toBe(true);
        expect((await storage.getUser(appId, user.id))?.identities[0]?.data).toEqual(NESTED);
        expect(await storage.setIdentityData(appId, other.id, 'oauth2-github', '42', { stolen: true })).toBe(false);
        expect(await storage.setIdentityData(appId, user.id, 'oauth2-github', '43', { a: 2 })).toBe(false);
        expect(await storage.setIdentityData(newAppId(), user.id, 'oauth2-github', '42', { a: 3 })).toBe(false);
        expect((await storage.getUser(appId, user.id))?.identities[0]?.data).toEqual(NESTED);
      });

      it('removeIdentity() removes one identity of its user only, and frees it', async () => {
        const appId = newAppId();
        const user = await createUser(appId, {
          identities: [
            { providerType: 'local-userpass', providerId: 'local-userpass', subject: 'lp-1' },
            { providerType: 'custom-token', providerId: 'custom-token', subject: 'sub-1' },
          ],
        });
        const other = await createUser(appId);
        expect(await storage.removeIdentity(appId, other.id, 'custom-token', 'sub-1')).toBe(false);
        expect(await storage.removeIdentity(newAppId(), user.id, 'custom-token', 'sub-1')).toBe(false);
        expect(await storage.removeIdentity(appId, user.id, 'custom-token', 'sub-1')).toBe(true);
        expect(await storage.removeIdentity(appId, user.id, 'custom-token', 'sub-1')).toBe(false);
        expect((await storage.getUser(appId, user.id))?.identities.map((i) => i.subject)).toEqual(['lp-1']);
        expect(await storage.findUserByIdentity(appId, 'custom-token', 'sub-1')).toBeNull();
        const identity = { providerType: 'custom-token', providerId: 'custom-token', subject: 'sub-1' };
        await storage.addIdentity(appId, other.id, identity, NOW);
        expect((await storage.findUserByIdentity(appId, 'custom-token', 'sub-1'))?.id).toBe(other.id);
      });
    });

    describe('passwords', () => {
      it('getPasswordHash() is null until setPasswordHash() sets it, which then replaces it', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        expect(await storage.getPasswordHash(user.appId, user.id)).toBeNull();
        await storage.setPasswordHash(user.appId, user.id, '$2b$10$imported.bcrypt', NOW);
        expect(await storage.getPasswordHash(user.appId, user.id)).toBe('$2b$10$imported.bcrypt');
        await storage.setPasswordHash(user.appId, user.id, '$argon2id$upgraded', NOW + 1);
        expect(await storage.getPasswordHash(user.appId, user.id)).toBe('$argon2id$upgraded');
        expect(await storage.getPasswordHash(appId, objectId())).toBeNull();
      });
    });

    describe('sessions', () => {
      it('createSession() fills defaults; getSession() and findSessionByHash() return the record', async () => {
        const user = await createUser(newAppId());
        const input = sessionInput(user);
        const created = await storage.createSession(input);
        expect(created).toEqual({
          id: input.id,
          appId: user.appId,
          userId: user.id,
          deviceId: input.deviceId,
          kind: 'refresh',
          refreshHash: input.refreshHash,
          providerType: 'local-userpass',
          apiKeyId: null,
          meta: {},
          createdAt: NOW,
          lastUsedAt: NOW,
          expiresAt: input.expiresAt,
          revokedAt: null,
        });
        expect(await storage.getSession(input.appId, input.id)).toEqual(created);
        expect(await storage.findSessionByHash(user.appId, input.refreshHash)).toEqual(created);
        expect(await storage.getSession(user.appId, objectId())).toBeNull();
        expect(await storage.findSessionByHash(user.appId, 'unknown-hash')).toBeNull();
      });

      it('keeps kind, API key and meta, and refuses a taken session id', async () => {
        const user = await createUser(newAppId());
        const input = sessionInput(user, { kind: 'resume', apiKeyId: objectId(), meta: NESTED });
        const created = await storage.createSession(input);
        expect(created).toMatchObject({ kind: 'resume', apiKeyId: input.apiKeyId, meta: NESTED });
        expect(await storage.getSession(input.appId, input.id)).toEqual(created);
        await expectConflict(storage.createSession(sessionInput(user, { id: input.id })), 'session');
      });

      it('getSessionWithUser() reads the session and its user state together', async () => {
        const user = await createUser(newAppId());
        await storage.setUserCustomData(user.appId, user.id, NESTED, NOW);
        const session = await storage.createSession(sessionInput(user));
        expect(await storage.getSessionWithUser(session.appId, session.id)).toEqual({
          session,
          user: { id: user.id, appId: user.appId, type: 'normal', disabled: false, customData: NESTED },
        });
        await storage.setUserDisabled(user.appId, user.id, true, NOW + 1);
        await storage.revokeSession(session.appId, session.id, NOW + 2);
        expect(await storage.getSessionWithUser(session.appId, session.id)).toMatchObject({
          session: { revokedAt: NOW + 2 },
          user: { disabled: true },
        });
        expect(await storage.getSessionWithUser(user.appId, objectId())).toBeNull();
        await storage.deleteUser(user.appId, user.id);
        expect(await storage.getSessionWithUser(session.appId, session.id)).toBeNull();
      });

      it('getSession() returns revoked and expired sessions too', async () => {
        const user = await createUser(newAppId());
        const revoked = await storage.createSession(sessionInput(user));
        await storage.revokeSession(revoked.appId, revoked.id, NOW + 1);
        const expired = await storage.createSession(sessionInput(user, { expiresAt: NOW + 2 }));
        expect(await storage.getSession(revoked.appId, revoked.id)).toMatchObject({ revokedAt: NOW + 1 });
        expect(await storage.getSession(expired.appId, expired.id)).toMatchObject({
          expiresAt: NOW + 2,
          revokedAt: null,
        });
      });

      it('touchSession() records use', async () => {
        const user = await createUser(newAppId());
        const session = await storage.createSession(sessionInput(user));
        await storage.touchSession(session.appId, session.id, NOW + 1000);
        expect((await storage.getSession(session.appId, session.id))?.lastUsedAt).toBe(NOW + 1000);
        await storage.touchSession(user.appId, objectId(), NOW);
      });

      it('revokeSession() is true only for the call that revoked an active session', async () => {
        const user = await createUser(newAppId());
        const session = await storage.createSession(sessionInput(user));
        expect(await storage.revokeSession(session.appId, session.id, NOW + 5)).toBe(true);
        expect(await storage.revokeSession(session.appId, session.id, NOW + 6)).toBe(false);
        expect((await storage.getSession(session.appId, session.id))?.revokedAt).toBe(NOW + 5);
        const expired = await storage.createSession(sessionInput(user, { expiresAt: NOW + 10 }));
        expect(await storage.revokeSession(expired.appId, expired.id, NOW + 10)).toBe(false);
        expect(await storage.revokeSession(user.appId, objectId(), NOW)).toBe(false);
      });

      it('revokeUserSessions() revokes the user’s active sessions, except the one named', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        const other = await createUser(appId);
        const keep = await storage.createSession(sessionInput(user));
        const drop = await storage.createSession(sessionInput(user));
        const alreadyRevoked = await storage.createSession(sessionInput(user));
        await storage.revokeSession(alreadyRevoked.appId, alreadyRevoked.id, NOW + 1);
        await storage.createSession(sessionInput(user, { expiresAt: NOW + 2 }));
        const othersSession = await storage.createSession(sessionInput(other));

        expect(await storage.revokeUserSessions(user.appId, user.id, NOW + 10, keep.id)).toBe(1);
        expect((await storage.getSession(drop.appId, drop.id))?.revokedAt).toBe(NOW + 10);
        expect((await storage.getSession(keep.appId, keep.id))?.revokedAt).toBeNull();
        expect((await storage.getSession(alreadyRevoked.appId, alreadyRevoked.id))?.revokedAt).toBe(NOW + 1);
        expect(await storage.revokeUserSessions(user.appId, user.id, NOW + 20)).toBe(1);
        expect((await storage.getSession(keep.appId, keep.id))?.revokedAt).toBe(NOW + 20);
        expect(await storage.revokeUserSessions(user.appId, user.id, NOW + 30)).toBe(0);
        expect((await storage.getSession(othersSession.appId, othersSession.id))?.revokedAt).toBeNull();
      });

      it('listActiveSessions() lists unrevoked, unexpired sessions of the user, newest first', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        const other = await createUser(appId);
        const oldest = await storage.createSession(sessionInput(user, { now: NOW }));
        const newest = await storage.createSession(sessionInput(user, { now: NOW + 20 }));
        const middle = await storage.createSession(sessionInput(user, { now: NOW + 10 }));
        const revoked = await storage.createSession(sessionInput(user, { now: NOW + 30 }));
        await storage.revokeSession(revoked.appId, revoked.id, NOW + 31);
        await storage.createSession(sessionInput(user, { now: NOW + 40, expiresAt: NOW + 50 }));
        await storage.createSession(sessionInput(other, { now: NOW + 60 }));

        const active = await storage.listActiveSessions(user.appId, user.id, NOW + 50);
        expect(active.map((s) => s.id)).toEqual([newest.id, middle.id, oldest.id]);
        expect(active[2]).toEqual(oldest);
        expect(await storage.listActiveSessions(appId, objectId(), NOW)).toEqual([]);
      });

      it('countActiveSessions() counts unrevoked, unexpired sessions by app and kind', async () => {
        const appId = newAppId();
        const otherApp = newAppId();
        const user = await createUser(appId);
        const elsewhere = await createUser(otherApp);
        await storage.createSession(sessionInput(user, { now: NOW }));
        await storage.createSession(sessionInput(user, { now: NOW + 1 }));
        await storage.createSession(sessionInput(user, { now: NOW + 2, kind: 'resume' }));
        const revoked = await storage.createSession(sessionInput(user, { now: NOW + 3 }));
        await storage.revokeSession(revoked.appId, revoked.id, NOW + 4);
        await storage.createSession(sessionInput(user, { now: NOW + 5, expiresAt: NOW + 50 }));
        await storage.createSession(sessionInput(elsewhere, { now: NOW + 6 }));
        const mine = <R extends { appId: string }>(rows: R[]) =>
          rows.filter((r) => r.appId === appId || r.appId === otherApp);

        expect(mine(await storage.countActiveSessions(NOW + 49))).toEqual(
          [
            { appId, kind: 'refresh', count: 3 },
            { appId, kind: 'resume', count: 1 },
            { appId: otherApp, kind: 'refresh', count: 1 },
          ].sort((a, b) => a.appId.localeCompare(b.appId) || a.kind.localeCompare(b.kind)),
        );
        // At the expiry instant the expired one no longer counts.
        const atExpiry = mine(await storage.countActiveSessions(NOW + 50));
        expect(atExpiry.find((r) => r.appId === appId && r.kind === 'refresh')?.count).toBe(2);
      });
    });

    describe('one-time tokens', () => {
      it('consumeOneTimeToken() returns the record once', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        const input = tokenInput(appId, user.id, {
          purpose: 'confirm-email',
          data: { email: 'Ünï@example.com', n: NESTED },
        });
        await storage.createOneTimeToken(input);
        const consumed = await storage.consumeOneTimeToken({
          appId,
          id: input.id,
          tokenHash: input.tokenHash,
          purpose: 'confirm-email',
          now: NOW + 1,
        });
        expect(consumed).toEqual({
          id: input.id,
          appId,
          userId: user.id,
          purpose: 'confirm-email',
          data: { email: 'Ünï@example.com', n: NESTED },
          createdAt: NOW,
          expiresAt: input.expiresAt,
          consumedAt: NOW + 1,
        });
        expect(
          await storage.consumeOneTimeToken({
            appId,
            id: input.id,
            tokenHash: input.tokenHash,
            purpose: 'confirm-email',
            now: NOW + 2,
          }),
        ).toBeNull();
      });

      it('refuses a wrong hash, purpose or id without spending the token', async () => {
        const appId = newAppId();
        const input = tokenInput(appId, null, { purpose: 'oauth-state' });
        await storage.createOneTimeToken(input);
        const query = { appId, id: input.id, tokenHash: input.tokenHash, purpose: input.purpose, now: NOW + 1 };
        expect(await storage.consumeOneTimeToken({ ...query, tokenHash: `${input.tokenHash}x` })).toBeNull();
        expect(await storage.consumeOneTimeToken({ ...query, purpose: 'reset-password' })).toBeNull();
        expect(await storage.consumeOneTimeToken({ ...query, id: objectId() })).toBeNull();
        expect(await storage.consumeOneTimeToken(query)).toMatchObject({
          id: input.id,
          userId: null,
          consumedAt: NOW + 1,
        });
      });

      it('an expired token cannot be consumed', async () => {
        const appId = newAppId();
        const input = tokenInput(appId, null, { expiresAt: NOW + 10 });
        await storage.createOneTimeToken(input);
        const query = { appId, id: input.id, tokenHash: input.tokenHash, purpose: input.purpose };
        expect(await storage.consumeOneTimeToken({ ...query, now: NOW + 10 })).toBeNull();
        expect(await storage.consumeOneTimeToken({ ...query, now: NOW + 11 })).toBeNull();
        expect(await storage.consumeOneTimeToken({ ...query, now: NOW + 9 })).not.toBeNull();
      });

      it('createOneTimeToken() refuses a taken id', async () => {
        const appId = newAppId();
        const input = tokenInput(appId, null);
        await storage.createOneTimeToken(input);
        await expectConflict(storage.createOneTimeToken({ ...input, tokenHash: 'another' }), 'token');
      });

      it('deleteOneTimeTokens() deletes one purpose of one user’s unconsumed tokens', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        const other = await createUser(appId);
        const resets = [tokenInput(appId, user.id), tokenInput(appId, user.id), tokenInput(appId, user.id)];
        for (const token of resets) await storage.createOneTimeToken(token);
        const [spent] = resets;
        await storage.consumeOneTimeToken({ ...spent!, now: NOW });
        const confirm = tokenInput(appId, user.id, { purpose: 'confirm-email' });
        await storage.createOneTimeToken(confirm);
        const othersReset = tokenInput(appId, other.id);
        await storage.createOneTimeToken(othersReset);

        expect(await storage.deleteOneTimeTokens(user.appId, user.id, 'reset-password')).toBe(2);
        expect(await storage.consumeOneTimeToken({ ...resets[1]!, now: NOW })).toBeNull();
        expect(await storage.consumeOneTimeToken({ ...confirm, now: NOW })).not.toBeNull();
        expect(await storage.consumeOneTimeToken({ ...othersReset, now: NOW })).not.toBeNull();
        expect(await storage.deleteOneTimeTokens(user.appId, user.id, 'reset-password')).toBe(0);
      });

      it('deleteExpiredOneTimeTokens() deletes tokens that expired before now', async () => {
        // Times far in the past, so tokens of the other cases are not expired at `now`.
        const appId = newAppId();
        const early = tokenInput(appId, null, { now: 500, expiresAt: 1_000 });
        const boundary = tokenInput(appId, null, { now: 500, expiresAt: 2_000 });
        const late = tokenInput(appId, null, { now: 500, expiresAt: 3_000 });
        for (const token of [early, boundary, late]) await storage.createOneTimeToken(token);
        expect(await storage.deleteExpiredOneTimeTokens(2_000)).toBe(1);
        expect(await storage.deleteExpiredOneTimeTokens(2_001)).toBe(1);
        expect(await storage.consumeOneTimeToken({ ...late, now: 2_500 })).not.toBeNull();
      });

      it('consumeUserOneTimeToken() spends a user’s token by hash once; listOneTimeTokens() shows the unspent', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        const other = await createUser(appId);
        const mine = tokenInput(appId, user.id, { purpose: 'login-token', data: { email: 'a@example.com' } });
        const expired = tokenInput(appId, user.id, { purpose: 'login-token', expiresAt: NOW + 5 });
        await storage.createOneTimeToken(mine);
        await storage.createOneTimeToken(expired);
        const query = { appId, userId: user.id, tokenHash: mine.tokenHash, purpose: 'login-token' as const };
        expect((await storage.listOneTimeTokens(appId, user.id, 'login-token')).map((t) => t.id).sort()).toEqual(
          [mine.id, expired.id].sort(),
        );
        expect(await storage.consumeUserOneTimeToken({ ...query, userId: other.id, now: NOW + 1 })).toBeNull();
        expect(await storage.consumeUserOneTimeToken({ ...query, purpose: 'reset-password', now: NOW + 1 })).toBeNull();
        expect(await storage.consumeUserOneTimeToken({ ...query, appId: newAppId(), now: NOW + 1 })).toBeNull();
        expect(
          await storage.consumeUserOneTimeToken({ ...query, tokenHash: expired.tokenHash, now: NOW + 5 }),
        ).toBeNull();
        const results = await Promise.all(
          [1, 2, 3].map(() => storage.consumeUserOneTimeToken({ ...query, now: NOW + 1 })),
        );
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        expect(results.find((r) => r !== null)).toMatchObject({ id: mine.id, data: { email: 'a@example.com' } });
        expect((await storage.listOneTimeTokens(appId, user.id, 'login-token')).map((t) => t.id)).toEqual([expired.id]);
      });
    });

    describe('second factors', () => {
      it('a pending factor is replaced, enabled once with its recovery codes, and then not replaced', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        expect(await storage.getSecondFactor(appId, user.id)).toBeNull();
        expect(await storage.setPendingSecondFactor(appId, objectId(), 'sealed', NOW)).toBe(false);
        expect(await storage.setPendingSecondFactor(newAppId(), user.id, 'sealed', NOW)).toBe(false);
        expect(await storage.setPendingSecondFactor(appId, user.id, 'first', NOW)).toBe(true);
        expect(await storage.setPendingSecondFactor(appId, user.id, 'second', NOW + 1)).toBe(true);
        expect(await storage.getSecondFactor(appId, user.id)).toEqual({
          appId,
          userId: user.id,
          secret: 'second',
          enabledAt: null,
          lastStep: null,
          createdAt: NOW + 1,
        });
        // A pending factor spends no steps.
        expect(await storage.useTotpStep(appId, user.id, 100, NOW)).toBe(false);
        const enable = { step: 100, recoveryCodeHashes: ['h1', 'h2'], now: NOW + 2 };
        const enabled = await Promise.all([1, 2].map(() => storage.enableSecondFactor(appId, user.id, enable)));
        expect(enabled.filter(Boolean)).toHaveLength(1);
        expect(await storage.getSecondFactor(appId, user.id)).toMatchObject({ enabledAt: NOW + 2, lastStep: 100 });
        expect(await storage.setPendingSecondFactor(appId, user.id, 'third', NOW + 3)).toBe(false);
        expect((await storage.getSecondFactor(appId, user.id))?.secret).toBe('second');
        expect(await storage.countRecoveryCodes(appId, user.id)).toBe(2);
      });

      it('a time step and a recovery code are each accepted once', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        await storage.setPendingSecondFactor(appId, user.id, 'sealed', NOW);
        await storage.enableSecondFactor(appId, user.id, { step: 10, recoveryCodeHashes: ['r1', 'r2'], now: NOW });
        expect(await storage.useTotpStep(appId, user.id, 10, NOW)).toBe(false);
        expect(await storage.useTotpStep(appId, user.id, 9, NOW)).toBe(false);
        const steps = await Promise.all([1, 2, 3].map(() => storage.useTotpStep(appId, user.id, 11, NOW)));
        expect(steps.filter(Boolean)).toHaveLength(1);
        expect(await storage.useTotpStep(newAppId(), user.id, 12, NOW)).toBe(false);
        const codes = await Promise.all([1, 2].map(() => storage.useRecoveryCode(appId, user.id, 'r1', NOW)));
        expect(codes.filter(Boolean)).toHaveLength(1);
        expect(await storage.useRecoveryCode(appId, user.id, 'nope', NOW)).toBe(false);
        expect(await storage.useRecoveryCode(newAppId(), user.id, 'r2', NOW)).toBe(false);
        expect(await storage.countRecoveryCodes(appId, user.id)).toBe(1);
      });

      it('deleteSecondFactor() removes the factor and its codes; deleting the user does too', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        const other = await createUser(appId);
        for (const u of [user, other]) {
          await storage.setPendingSecondFactor(appId, u.id, 'sealed', NOW);
          await storage.enableSecondFactor(appId, u.id, { step: 1, recoveryCodeHashes: [`c-${u.id}`], now: NOW });
        }
        expect(await storage.deleteSecondFactor(newAppId(), user.id)).toBe(false);
        expect(await storage.deleteSecondFactor(appId, user.id)).toBe(true);
        expect(await storage.deleteSecondFactor(appId, user.id)).toBe(false);
        expect(await storage.getSecondFactor(appId, user.id)).toBeNull();
        expect(await storage.countRecoveryCodes(appId, user.id)).toBe(0);
        expect(await storage.deleteUser(appId, other.id)).toBe(true);
        expect(await storage.getSecondFactor(appId, other.id)).toBeNull();
        expect(await storage.countRecoveryCodes(appId, other.id)).toBe(0);
      });
    });

    describe('API keys', () => {
      it('createApiKey() returns the record; getApiKey() returns it to its owner only', async () => {
        const appId = newAppId();
        const owner = await createUser(appId);
        const stranger = await createUser(appId);
        const input = apiKeyInput(owner, { kind: 'server', name: 'ci-deploy' });
        const created = await storage.createApiKey(input);
        expect(created).toEqual({
          id: input.id,
          appId,
          userId: owner.id,
          kind: 'server',
          name: 'ci-deploy',
          disabled: false,
          createdAt: NOW,
          lastUsedAt: null,
        });
        expect(await storage.getApiKey(owner.appId, owner.id, input.id)).toEqual(created);
        expect(await storage.getApiKey(stranger.appId, stranger.id, input.id)).toBeNull();
        expect(await storage.getApiKey(owner.appId, owner.id, objectId())).toBeNull();
      });

      it('refuses a name the owner already uses, a taken id or a taken hash', async () => {
        const appId = newAppId();
        const owner = await createUser(appId);
        const other = await createUser(appId);
        const first = apiKeyInput(owner, { name: 'laptop' });
        await storage.createApiKey(first);
        await expectConflict(storage.createApiKey(apiKeyInput(owner, { name: 'laptop' })), 'apiKeyName');
        await storage.createApiKey(apiKeyInput(other, { name: 'laptop' }));
        await expectConflict(storage.createApiKey(apiKeyInput(other, { id: first.id })), 'apiKey');
        await expectConflict(storage.createApiKey(apiKeyInput(other, { keyHash: first.keyHash })), 'apiKey');
        expect(await storage.countApiKeys(owner.appId, owner.id)).toBe(1);
        expect(await storage.countApiKeys(other.appId, other.id)).toBe(1);
      });

      it('listApiKeys() lists the owner’s keys oldest first; countApiKeys() counts them', async () => {
        const appId = newAppId();
        const owner = await createUser(appId);
        const other = await createUser(appId);
        const newer = await storage.createApiKey(apiKeyInput(owner, { name: 'newer', now: NOW + 2 }));
        const older = await storage.createApiKey(apiKeyInput(owner, { name: 'older', now: NOW + 1 }));
        await storage.createApiKey(apiKeyInput(other));
        expect(await storage.listApiKeys(owner.appId, owner.id)).toEqual([older, newer]);
        expect(await storage.countApiKeys(owner.appId, owner.id)).toBe(2);
        expect(await storage.countApiKeys(appId, objectId())).toBe(0);
        expect(await storage.listApiKeys(appId, objectId())).toEqual([]);
      });

      it('listAppApiKeys() lists the app’s keys of one kind, oldest first, across owners', async () => {
        const appId = newAppId();
        const first = await createUser(appId);
        const second = await createUser(appId);
        const stranger = await createUser(newAppId());
        const newer = await storage.createApiKey(apiKeyInput(second, { kind: 'server', now: NOW + 2 }));
        const older = await storage.createApiKey(apiKeyInput(first, { kind: 'server', now: NOW + 1 }));
        await storage.createApiKey(apiKeyInput(first, { kind: 'user' }));
        await storage.createApiKey(apiKeyInput(stranger, { kind: 'server' }));
        expect(await storage.listAppApiKeys(appId, 'server')).toEqual([older, newer]);
        expect((await storage.listAppApiKeys(appId, 'user')).map((k) => k.userId)).toEqual([first.id]);
        expect(await storage.listAppApiKeys(newAppId(), 'server')).toEqual([]);
      });

      it('findApiKeyByHash() finds a key of the app by hash', async () => {
        const owner = await createUser(newAppId());
        const input = apiKeyInput(owner);
        const created = await storage.createApiKey(input);
        expect(await storage.findApiKeyByHash(owner.appId, input.keyHash)).toEqual(created);
        expect(await storage.findApiKeyByHash(newAppId(), input.keyHash)).toBeNull();
        expect(await storage.findApiKeyByHash(owner.appId, 'unknown')).toBeNull();
      });

      it('setApiKeyDisabled() and deleteApiKey() act only on the owner’s key', async () => {
        const appId = newAppId();
        const owner = await createUser(appId);
        const stranger = await createUser(appId);
        const key = await storage.createApiKey(apiKeyInput(owner));
        expect(await storage.setApiKeyDisabled(stranger.appId, stranger.id, key.id, true)).toBe(false);
        expect((await storage.getApiKey(owner.appId, owner.id, key.id))?.disabled).toBe(false);
        expect(await storage.setApiKeyDisabled(owner.appId, owner.id, key.id, true)).toBe(true);
        expect((await storage.getApiKey(owner.appId, owner.id, key.id))?.disabled).toBe(true);
        expect(await storage.setApiKeyDisabled(owner.appId, owner.id, key.id, false)).toBe(true);
        expect((await storage.getApiKey(owner.appId, owner.id, key.id))?.disabled).toBe(false);
        expect(await storage.setApiKeyDisabled(owner.appId, owner.id, objectId(), true)).toBe(false);

        expect(await storage.deleteApiKey(stranger.appId, stranger.id, key.id)).toBe(false);
        expect(await storage.getApiKey(owner.appId, owner.id, key.id)).not.toBeNull();
        expect(await storage.deleteApiKey(owner.appId, owner.id, key.id)).toBe(true);
        expect(await storage.deleteApiKey(owner.appId, owner.id, key.id)).toBe(false);
        expect(await storage.getApiKey(owner.appId, owner.id, key.id)).toBeNull();
      });

      it('touchApiKey() records use', async () => {
        const owner = await createUser(newAppId());
        const key = await storage.createApiKey(apiKeyInput(owner));
        await storage.touchApiKey(key.appId, key.id, NOW + 99);
        expect((await storage.getApiKey(owner.appId, owner.id, key.id))?.lastUsedAt).toBe(NOW + 99);
      });
    });

    describe('passkeys', () => {
      it('createPasskey() returns the record; listPasskeys() and findPasskeyByCredentialId() return it', async () => {
        const appId = newAppId();
        const owner = await createUser(appId);
        const other = await createUser(appId);
        const input = passkeyInput(owner, { counter: 2 ** 32 - 1 });
        const created = await storage.createPasskey(input);
        expect(created).toEqual({
          id: input.id,
          appId,
          userId: owner.id,
          credentialId: input.credentialId,
          publicKey: input.publicKey,
          counter: 2 ** 32 - 1,
          transports: ['internal', 'hybrid'],
          name: 'Laptop',
          deviceType: 'multiDevice',
          backedUp: true,
          createdAt: NOW,
          lastUsedAt: null,
        });
        const bare = await storage.createPasskey(
          passkeyInput(owner, { transports: [], backedUp: false, deviceType: 'singleDevice', now: NOW + 1 }),
        );
        expect(bare).toMatchObject({ transports: [], backedUp: false, deviceType: 'singleDevice' });
        expect(await storage.listPasskeys(appId, owner.id)).toEqual([created, bare]);
        expect(await storage.listPasskeys(appId, other.id)).toEqual([]);
        expect(await storage.findPasskeyByCredentialId(appId, input.credentialId)).toEqual(created);
        expect(await storage.findPasskeyByCredentialId(appId, input.credentialId.toUpperCase())).toBeNull();
      });

      it('refuses a credential id the app already has (any user) or a taken id; another app may have it', async () => {
        const appId = newAppId();
        const owner = await createUser(appId);
        const other = await createUser(appId);
        const first = passkeyInput(owner);
        await storage.createPasskey(first);
        await expectConflict(
          storage.createPasskey(passkeyInput(other, { credentialId: first.credentialId })),
          'passkey',
        );
        await expectConflict(storage.createPasskey(passkeyInput(other, { id: first.id })), 'passkey');
        const elsewhere = await createUser(newAppId());
        await storage.createPasskey(passkeyInput(elsewhere, { credentialId: first.credentialId }));
        expect(await storage.listPasskeys(appId, other.id)).toEqual([]);
        await expect(storage.createPasskey(passkeyInput(owner, { userId: objectId() }))).rejects.toThrow();
      });

      it('usePasskey() moves the counter only from the expected value, once among concurrent calls', async () => {
        const user = await createUser(newAppId());
        const key = await storage.createPasskey(passkeyInput(user, { counter: 5 }));
        expect(await storage.usePasskey(user.appId, key.id, 4, 9, NOW + 1)).toBe(false);
        const outcomes = await Promise.all(
          Array.from({ length: 5 }, (_, i) => storage.usePasskey(user.appId, key.id, 5, 6 + i, NOW + 2)),
        );
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        const after = await storage.findPasskeyByCredentialId(user.appId, key.credentialId);
        expect(after?.lastUsedAt).toBe(NOW + 2);
        expect([6, 7, 8, 9, 10]).toContain(after?.counter);
        expect(await storage.usePasskey(user.appId, objectId(), 0, 1, NOW)).toBe(false);
      });

      it('renamePasskey(), deletePasskey() act only on the owner’s passkey; deleteUserPasskeys() clears a user', async () => {
        const appId = newAppId();
        const owner = await createUser(appId);
        const stranger = await createUser(appId);
        const key = await storage.createPasskey(passkeyInput(owner));
        const second = await storage.createPasskey(passkeyInput(owner, { now: NOW + 1 }));
        const theirs = await storage.createPasskey(passkeyInput(stranger));
        expect(await storage.renamePasskey(appId, stranger.id, key.id, 'Mine now')).toBe(false);
        expect(await storage.renamePasskey(appId, owner.id, key.id, 'Phone')).toBe(true);
        expect((await storage.listPasskeys(appId, owner.id)).map((k) => k.name)).toEqual(['Phone', 'Laptop']);
        expect(await storage.deletePasskey(appId, stranger.id, key.id)).toBe(false);
        expect(await storage.deletePasskey(appId, owner.id, key.id)).toBe(true);
        expect(await storage.deletePasskey(appId, owner.id, key.id)).toBe(false);
        expect(await storage.listPasskeys(appId, owner.id)).toEqual([second]);
        await storage.createPasskey(passkeyInput(owner));
        expect(await storage.deleteUserPasskeys(appId, owner.id)).toBe(2);
        expect(await storage.listPasskeys(appId, owner.id)).toEqual([]);
        expect(await storage.listPasskeys(appId, stranger.id)).toEqual([theirs]);
      });

      it('deleteUser() deletes the user’s passkeys and challenges', async () => {
        const user = await createUser(newAppId());
        const key = await storage.createPasskey(passkeyInput(user));
        const challenge = challengeInput(user.appId, user.id);
        await storage.createWebauthnChallenge(challenge);
        await storage.deleteUser(user.appId, user.id);
        expect(await storage.findPasskeyByCredentialId(user.appId, key.credentialId)).toBeNull();
        expect(await storage.consumeWebauthnChallenge({ ...challenge, now: NOW, purpose: 'registration' })).toBeNull();
      });

      it('consumeWebauthnChallenge() returns the record once, even to concurrent calls', async () => {
        const user = await createUser(newAppId());
        const input = challengeInput(user.appId, null);
        await storage.createWebauthnChallenge(input);
        const query = {
          appId: user.appId,
          purpose: 'authentication' as const,
          challengeHash: input.challengeHash,
          now: NOW,
        };
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => storage.consumeWebauthnChallenge(query)));
        const won = outcomes.filter((o) => o !== null);
        expect(won).toHaveLength(1);
        expect(won[0]).toEqual({
          id: input.id,
          appId: user.appId,
          userId: null,
          purpose: 'authentication',
          createdAt: NOW,
          expiresAt: NOW + 5 * 60_000,
        });
        expect(await storage.consumeWebauthnChallenge(query)).toBeNull();
      });

      it('consumeWebauthnChallenge() refuses a wrong hash, purpose, user or app, and an expired challenge', async () => {
        const appId = newAppId();
        const user = await createUser(appId);
        const other = await createUser(appId);
        const input = challengeInput(appId, user.id);
        await storage.createWebauthnChallenge(input);
        const query = { appId, purpose: 'registration' as const, challengeHash: input.challengeHash, now: NOW };
        await expectConflict(storage.createWebauthnChallenge(challengeInput(appId, null, { id: input.id })), 'token');
        expect(await storage.consumeWebauthnChallenge({ ...query, challengeHash: 'nope' })).toBeNull();
        expect(await storage.consumeWebauthnChallenge({ ...query, purpose: 'authentication' })).toBeNull();
        expect(await storage.consumeWebauthnChallenge({ ...query, userId: other.id })).toBeNull();
        expect(await storage.consumeWebauthnChallenge({ ...query, appId: newAppId() })).toBeNull();
        expect(await storage.consumeWebauthnChallenge({ ...query, now: input.expiresAt })).toBeNull();
        expect(await storage.consumeWebauthnChallenge({ ...query, userId: user.id })).toMatchObject({ id: input.id });
        await storage.createWebauthnChallenge(challengeInput(appId, null, { challengeHash: 'taken-hash' }));
        await expectConflict(
          storage.createWebauthnChallenge(challengeInput(appId, null, { challengeHash: 'taken-hash' })),
          'token',
        );
      });

      it('deleteExpiredWebauthnChallenges() deletes challenges that expired before now', async () => {
        const appId = newAppId();
        const old = challengeInput(appId, null, { expiresAt: NOW - 1 });
        const fresh = challengeInput(appId, null, { expiresAt: NOW + 60_000 });
        await storage.createWebauthnChallenge(old);
        await storage.createWebauthnChallenge(fresh);
        expect((await storage.deleteExpiredWebauthnChallenges(NOW)) >= 1).toBe(true);
        const query = { appId, purpose: 'authentication' as const, now: NOW - 10 };
        expect(await storage.consumeWebauthnChallenge({ ...query, challengeHash: old.challengeHash })).toBeNull();
        expect(await storage.consumeWebauthnChallenge({ ...query, challengeHash: fresh.challengeHash })).not.toBeNull();
      });
    });

    describe('service configurations', () => {
      it('stores, replaces, lists in name order, scopes by app and deletes a service’s settings', async () => {
        const appId = newAppId();
        expect(await storage.getServiceConfiguration(appId, 'github')).toBeNull();
        expect(await storage.listServiceConfigurations(appId)).toEqual([]);
        await storage.setServiceConfiguration(appId, 'twitter', { consumerKey: 'k' }, NOW);
        await storage.setServiceConfiguration(appId, 'github', { clientId: 'g', extra: NESTED }, NOW + 1);
        await storage.setServiceConfiguration(appId, 'github', { clientId: 'g2', extra: NESTED }, NOW + 5);
        await storage.setServiceConfiguration(newAppId(), 'google', { clientId: 'other app' }, NOW);
        expect(await storage.getServiceConfiguration(appId, 'github')).toEqual({ clientId: 'g2', extra: NESTED });
        expect(await storage.listServiceConfigurations(appId)).toEqual([
          { service: 'github', config: { clientId: 'g2', extra: NESTED }, updatedAt: NOW + 5 },
          { service: 'twitter', config: { consumerKey: 'k' }, updatedAt: NOW },
        ]);
        expect(await storage.getServiceConfiguration(newAppId(), 'github')).toBeNull();
        expect(await storage.deleteServiceConfiguration(appId, 'twitter')).toBe(true);
        expect(await storage.deleteServiceConfiguration(appId, 'twitter')).toBe(false);
        expect((await storage.listServiceConfigurations(appId)).map((c) => c.service)).toEqual(['github']);
      });
    });

    describe('audit events', () => {
      it('lists an app’s events newest first, optionally of one user, with a limit', async () => {
        const appId = newAppId();
        const userId = objectId();
        await storage.recordAuditEvent({
          appId,
          type: 'login',
          userId,
          ip: '203.0.113.9',
          detail: NESTED,
          now: NOW + 1,
        });
        await storage.recordAuditEvent({ appId, type: 'login-failed', now: NOW + 3 });
        await storage.recordAuditEvent({ appId, type: 'logout', userId, now: NOW + 2 });
        await storage.recordAuditEvent({ appId: newAppId(), type: 'login', userId, now: NOW + 4 });

        const all = await storage.listAuditEvents(appId);
        expect(all.map((e) => e.type)).toEqual(['login-failed', 'logout', 'login']);
        expect(all[0]).toMatchObject({ appId, userId: null, ip: null, detail: {}, at: NOW + 3 });
        expect(all[2]).toMatchObject({ userId, ip: '203.0.113.9', detail: NESTED, at: NOW + 1 });
        for (const event of all) expect(event.id).toMatch(/^[0-9a-f]{24}$/);
        expect(new Set(all.map((e) => e.id)).size).toBe(3);

        expect((await storage.listAuditEvents(appId, { userId })).map((e) => e.type)).toEqual(['logout', 'login']);
        expect((await storage.listAuditEvents(appId, { limit: 1 })).map((e) => e.type)).toEqual(['login-failed']);
        expect(await storage.listAuditEvents(newAppId())).toEqual([]);
      });

      it('returns at most 100 events unless asked for more', async () => {
        const appId = newAppId();
        await storage.transaction(async (tx) => {
          for (let i = 0; i < 105; i++) await tx.recordAuditEvent({ appId, type: 'login', now: NOW + i });
        });
        const events = await storage.listAuditEvents(appId);
        expect(events).toHaveLength(100);
        expect(events[0]?.at).toBe(NOW + 104);
        expect(await storage.listAuditEvents(appId, { limit: 200 })).toHaveLength(105);
      });
    });

    describe('audit queries (admin API)', () => {
      it('keeps user agent and actor, and filters by type and time, paging by the last event', async () => {
        const appId = newAppId();
        const userId = objectId();
        await storage.recordAuditEvent({
          appId,
          userId,
          type: 'user-disabled',
          ip: '198.51.100.2',
          userAgent: 'curl/8.5',
          actor: 'admin-key-1',
          now: NOW + 10,
        });
        for (let i = 0; i < 5; i++) await storage.recordAuditEvent({ appId, userId, type: 'login', now: NOW + 20 });
        await storage.recordAuditEvent({ appId, type: 'login-failed', now: NOW + 30 });

        const [disabled] = await storage.listAuditEvents(appId, { type: 'user-disabled' });
        expect(disabled).toMatchObject({ userAgent: 'curl/8.5', actor: 'admin-key-1', ip: '198.51.100.2' });
        const [failed] = await storage.listAuditEvents(appId, { type: 'login-failed' });
        expect(failed).toMatchObject({ userAgent: null, actor: null });

        expect(await storage.listAuditEvents(appId, { since: NOW + 20, until: NOW + 30 })).toHaveLength(5);
        expect(await storage.listAuditEvents(appId, { since: NOW + 31 })).toEqual([]);
        expect((await storage.listAuditEvents(appId, { until: NOW + 20 })).map((e) => e.type)).toEqual([
          'user-disabled',
        ]);

        // Pages of 2 over 7 events, five of them at the same instant: none lost, none repeated.
        const seen: string[] = [];
        let before: { at: number; id: string } | undefined;
        for (let page = 0; page < 10; page++) {
          const events = await storage.listAuditEvents(appId, { limit: 2, ...(before ? { before } : {}) });
          if (events.length === 0) break;
          seen.push(...events.map((e) => e.id));
          const last = events[events.length - 1]!;
          before = { at: last.at, id: last.id };
        }
        expect(seen).toHaveLength(7);
        expect(new Set(seen).size).toBe(7);
        expect(seen).toEqual((await storage.listAuditEvents(appId)).map((e) => e.id));
      });

      it('deletes events older than the retention limit, of every app', async () => {
        const appA = newAppId();
        const appB = newAppId();
        await storage.recordAuditEvent({ appId: appA, type: 'login', now: NOW - 2 * DAY });
        await storage.recordAuditEvent({ appId: appB, type: 'login', now: NOW - 2 * DAY });
        await storage.recordAuditEvent({ appId: appA, type: 'logout', now: NOW });
        expect((await storage.deleteAuditEventsBefore(NOW - DAY)) >= 2).toBe(true);
        expect((await storage.listAuditEvents(appA)).map((e) => e.type)).toEqual(['logout']);
        expect(await storage.listAuditEvents(appB)).toEqual([]);
      });
    });

    describe('admin keys', () => {
      it('creates, finds by hash, lists, touches and revokes once', async () => {
        const appId = newAppId();
        const scoped = await storage.createAdminKey({
          id: objectId(),
          appId,
          name: 'ops',
          keyHash: `admin-${objectId()}`,
          now: NOW,
        });
        expect(scoped).toMatchObject({ appId, name: 'ops', createdAt: NOW, lastUsedAt: null, revokedAt: null });
        const globalHash = `admin-${objectId()}`;
        const global = await storage.createAdminKey({
          id: objectId(),
          appId: null,
          name: 'all',
          keyHash: globalHash,
          now: NOW + 1,
        });
        expect(await storage.findAdminKeyByHash(globalHash)).toEqual(global);
        expect(await storage.findAdminKeyByHash('nothing')).toBeNull();
        const ids = (await storage.listAdminKeys()).map((k) => k.id);
        expect(ids).toContain(scoped.id);
        expect(ids).toContain(global.id);
        expect(JSON.stringify(await storage.listAdminKeys())).not.toContain(globalHash);

        await storage.touchAdminKey(global.id, NOW + 5);
        expect((await storage.findAdminKeyByHash(globalHash))?.lastUsedAt).toBe(NOW + 5);
        expect(await storage.revokeAdminKey(global.id, NOW + 6)).toBe(true);
        expect(await storage.revokeAdminKey(global.id, NOW + 7)).toBe(false);
        expect(await storage.revokeAdminKey(objectId(), NOW + 7)).toBe(false);
        expect((await storage.findAdminKeyByHash(globalHash))?.revokedAt).toBe(NOW + 6);
      });

      it('refuses a second key with the same hash', async () => {
        const keyHash = `admin-${objectId()}`;
        await storage.createAdminKey({ id: objectId(), appId: null, name: 'a', keyHash, now: NOW });
        await expectConflict(
          storage.createAdminKey({ id: objectId(), appId: null, name: 'b', keyHash, now: NOW }),
          'adminKey',
        );
      });
    });

    describe('listUsers()', () => {
      it('pages in id order and searches by id, part of a username or email, and provider', async () => {
        const appId = newAppId();
        const made: UserRecord[] = [];
        for (let i = 0; i < 5; i++)
          made.push(
            await createUser(appId, {
              username: `user_${i}`,
              emails: [{ address: `Person${i}@Example.COM`, verified: false }],
              identities: [
                {
                  providerType: i % 2 ? 'oauth2-google' : 'local-userpass',
                  providerId: i % 2 ? 'google' : 'local-userpass',
                  subject: `s-${objectId()}`,
                },
              ],
            }),
          );
        await createUser(newAppId(), { username: 'user_9' });
        const ids = made.map((u) => u.id).sort();

        const first = await storage.listUsers(appId, { limit: 2 });
        expect(first.map((u) => u.id)).toEqual(ids.slice(0, 2));
        expect(first[0]?.emails).toHaveLength(1);
        const rest = await storage.listUsers(appId, { after: first[1]!.id });
        expect(rest.map((u) => u.id)).toEqual(ids.slice(2));

        expect((await storage.listUsers(appId, { search: 'person3@example' })).map((u) => u.username)).toEqual([
          'user_3',
        ]);
        expect((await storage.listUsers(appId, { search: 'USER_2' })).map((u) => u.username)).toEqual(['user_2']);
        expect((await storage.listUsers(appId, { search: made[4]!.id })).map((u) => u.username)).toEqual(['user_4']);
        // LIKE wildcards are literal: `_` matches only an underscore.
        expect(await storage.listUsers(appId, { search: 'user%' })).toEqual([]);
        expect(await storage.listUsers(appId, { search: 'r_1' })).toHaveLength(1);
        expect(await storage.listUsers(appId, { search: 'rx1' })).toEqual([]);
        expect((await storage.listUsers(appId, { provider: 'google' })).map((u) => u.username)).toEqual([
          'user_1',
          'user_3',
        ]);
        expect(
          (await storage.listUsers(appId, { provider: 'oauth2-google', search: 'user_3' })).map((u) => u.username),
        ).toEqual(['user_3']);
        expect(await storage.listUsers(newAppId())).toEqual([]);
      });
    });

    describe('mail outbox', () => {
      const mailInput = (appId: string, recipient: string, kind = 'confirm-email', now = NOW) => ({
        id: objectId(),
        appId,
        recipient,
        kind,
        payload: `payload-${objectId()}`,
        now,
      });
      /** Ends every mail still claimable at `now`, so the next case starts with an empty queue. */
      const drain = async (now: number) => {
        for (const mail of await storage.claimDueMail(now + 365 * DAY, 1, 1000))
          await storage.finishMail(mail.id, mail.claim, { status: 'dropped', now });
      };

      it('hands a due mail to one claimant, takes it back for a retry, and records it sent without its body', async () => {
        const appId = newAppId();
        const mail = mailInput(appId, 'Ada@Example.com');
        await storage.enqueueMail(mail);
        expect(await storage.mailQueueDepth()).toEqual({ pending: 1, oldestDueAt: NOW });
        expect(await storage.claimDueMail(NOW - 1, 60_000, 10)).toEqual([]);

        const [claimed, ...others] = await storage.claimDueMail(NOW, 60_000, 10);
        expect(others).toEqual([]);
        expect(claimed).toMatchObject({
          id: mail.id,
          appId,
          recipient: 'Ada@Example.com',
          kind: 'confirm-email',
          payload: mail.payload,
          attempts: 1,
          createdAt: NOW,
        });
        if (!claimed) return;
        // Held: nobody else gets it until the lease ends.
        expect(await storage.claimDueMail(NOW + 59_999, 60_000, 10)).toEqual([]);
        expect(await storage.retryMail(claimed.id, 'not-the-claim', NOW + 1000, 'x')).toBe(false);
        expect(await storage.retryMail(claimed.id, claimed.claim, NOW + 5_000, 'SMTP down')).toBe(true);
        expect(await storage.claimDueMail(NOW + 4_999, 60_000, 10)).toEqual([]);
        const [again] = await storage.claimDueMail(NOW + 5_000, 60_000, 10);
        expect(again).toMatchObject({ id: mail.id, attempts: 2 });
        if (!again) return;
        expect(await storage.finishMail(again.id, claimed.claim, { status: 'sent', now: NOW + 6_000 })).toBe(false);
        expect(await storage.finishMail(again.id, again.claim, { status: 'sent', now: NOW + 6_000 })).toBe(true);
        expect(await storage.finishMail(again.id, again.claim, { status: 'sent', now: NOW + 6_000 })).toBe(false);
        expect(await storage.mailQueueDepth()).toEqual({ pending: 0, oldestDueAt: null });
        expect(await storage.claimDueMail(NOW + DAY, 60_000, 10)).toEqual([]);

        expect(await storage.countSentMail(appId, 'ada@example.COM', NOW)).toBe(1);
        expect(await storage.countSentMail(appId, 'ada@example.com', NOW + 6_001)).toBe(0);
        expect(await storage.countSentMail(newAppId(), 'ada@example.com', NOW)).toBe(0);
        expect(await storage.deleteFinishedMail(NOW + 6_000)).toBe(0);
        expect(await storage.deleteFinishedMail(NOW + 6_001)).toBe(1);
        expect(await storage.countSentMail(appId, 'ada@example.com', NOW)).toBe(0);
      });

      it('counts only sent mail for the per-address limit, not dropped, failed or pending mail', async () => {
        const appId = newAppId();
        for (const status of ['sent', 'dropped', 'failed', 'sent'] as const) {
          await storage.enqueueMail(mailInput(appId, 'bo@example.com', status));
          const [mail] = await storage.claimDueMail(NOW, 60_000, 1);
          if (mail) await storage.finishMail(mail.id, mail.claim, { status, now: NOW, reason: 'r' });
        }
        await storage.enqueueMail(mailInput(appId, 'bo@example.com', 'pending-one'));
        expect(await storage.countSentMail(appId, 'bo@example.com', NOW - 1)).toBe(2);
        await drain(NOW);
      });

      it('replaces pending mails of the same kind to the same address, in any letter case', async () => {
        const appId = newAppId();
        await storage.enqueueMail(mailInput(appId, 'cy@example.com', 'reset-password'), { replaces: true });
        await storage.enqueueMail(mailInput(appId, 'cy@example.com', 'confirm-email'), { replaces: true });
        const newest = mailInput(appId, 'CY@example.com', 'reset-password', NOW + 1);
        await storage.enqueueMail(newest, { replaces: true });
        const claimed = await storage.claimDueMail(NOW + 1, 60_000, 10);
        expect(claimed.map((m) => m.kind).sort()).toEqual(['confirm-email', 'reset-password']);
        expect(claimed.find((m) => m.kind === 'reset-password')?.id).toBe(newest.id);
        // A mail a sender holds is dropped too: its sender's next step finds it gone and does not retry it.
        await storage.enqueueMail(mailInput(appId, 'cy@example.com', 'confirm-email', NOW + 2), { replaces: true });
        expect(await storage.mailQueueDepth()).toMatchObject({ pending: 2 });
        const held = claimed.find((m) => m.kind === 'confirm-email');
        expect(held && (await storage.retryMail(held.id, held.claim, NOW + 3, 'SMTP down'))).toBe(false);
        const sending = claimed.find((m) => m.kind === 'reset-password');
        expect(sending && (await storage.finishMail(sending.id, sending.claim, { status: 'sent', now: NOW + 2 }))).toBe(
          true,
        );
        await drain(NOW + 2);
      });

      it('gives each of many concurrent claimants different mails', async () => {
        const appId = newAppId();
        for (let i = 0; i < 12; i++) await storage.enqueueMail(mailInput(appId, `m${i}@example.com`));
        const rounds = await Promise.all(Array.from({ length: 4 }, () => storage.claimDueMail(NOW, 60_000, 12)));
        const ids = rounds.flat().map((m) => m.id);
        expect(ids).toHaveLength(12);
        expect(new Set(ids).size).toBe(12);
        await drain(NOW + 60_000);
      });
    });

    describe('apps never see each other’s rows', () => {
      // Each case makes rows in app A, then calls every method that names them through app B, with their real
      // ids and hashes: nothing is found, nothing changes, and app A still sees exactly what it had.

      it('users, emails and identities', async () => {
        const [a, b] = [newAppId(), newAppId()];
        const identity = { providerType: 'custom-token', providerId: 'custom-token', subject: 'isolated' };
        const user = await createUser(a, {
          username: 'isolated',
          emails: [{ address: 'isolated@example.com', verified: false }],
          identities: [identity],
          profile: { kept: true },
        });
        expect(await storage.getUser(b, user.id)).toBeNull();
        expect(await storage.findUserByEmail(b, 'isolated@example.com')).toBeNull();
        expect(await storage.findUsersByUsername(b, 'isolated')).toEqual([]);
        expect(await storage.findUserByIdentity(b, 'custom-token', 'isolated')).toBeNull();
        expect(await storage.setUserProfile(b, user.id, { changed: true }, NOW + 1)).toBe(false);
        expect(await storage.setUserCustomData(b, user.id, { changed: true }, NOW + 1)).toBe(false);
        expect(await storage.setUserDisabled(b, user.id, true, NOW + 1)).toBe(false);
        expect(await storage.setUsername(b, user.id, 'renamed', NOW + 1)).toBe(false);
        expect(await storage.setEmailVerified(b, user.id, 'isolated@example.com', true)).toBe(false);
        expect(
          await storage.replaceEmail(b, user.id, 'isolated@example.com', { address: 'x@example.com', verified: true }),
        ).toBe(false);
        expect(await storage.removeEmail(b, user.id, 'isolated@example.com')).toBe(false);
        await expect(
          storage.addEmail(b, user.id, { address: 'added@example.com', verified: true }, NOW + 1),
        ).rejects.toThrow();
        await expect(
          storage.addIdentity(b, user.id, { ...identity, subject: 'added-elsewhere' }, NOW + 1),
        ).rejects.toThrow();
        expect(await storage.deleteUser(b, user.id)).toBe(false);
        expect(await storage.getUser(a, user.id)).toEqual(user);
        expect(await storage.findUserByEmail(b, 'added@example.com')).toBeNull();
        expect(await storage.findUserByIdentity(b, 'custom-token', 'added-elsewhere')).toBeNull();
      });

      it('passwords', async () => {
        const [a, b] = [newAppId(), newAppId()];
        const user = await createUser(a, { passwordHash: '$argon2id$isolated' });
        expect(await storage.getPasswordHash(b, user.id)).toBeNull();
        expect(await storage.setPasswordHash(b, user.id, '$argon2id$overwritten', NOW + 1)).toBe(false);
        expect(await storage.getPasswordHash(a, user.id)).toBe('$argon2id$isolated');
        const without = await createUser(a);
        expect(await storage.setPasswordHash(b, without.id, '$argon2id$planted', NOW + 1)).toBe(false);
        expect(await storage.getPasswordHash(a, without.id)).toBeNull();
        expect(await storage.setPasswordHash(a, without.id, '$argon2id$own', NOW + 2)).toBe(true);
        expect(await storage.getPasswordHash(a, without.id)).toBe('$argon2id$own');
      });

      it('sessions', async () => {
        const [a, b] = [newAppId(), newAppId()];
        const user = await createUser(a);
        const session = await storage.createSession(sessionInput(user));
        expect(await storage.getSession(b, session.id)).toBeNull();
        expect(await storage.getSessionWithUser(b, session.id)).toBeNull();
        expect(await storage.findSessionByHash(b, session.refreshHash)).toBeNull();
        expect(await storage.listActiveSessions(b, user.id, NOW + 1)).toEqual([]);
        await storage.touchSession(b, session.id, NOW + 1);
        expect(await storage.revokeSession(b, session.id, NOW + 1)).toBe(false);
        expect(await storage.revokeUserSessions(b, user.id, NOW + 1)).toBe(0);
        await expect(storage.createSession(sessionInput(user, { appId: b }))).rejects.toThrow();
        expect(await storage.getSession(a, session.id)).toEqual(session);
        expect(await storage.listActiveSessions(a, user.id, NOW + 1)).toEqual([session]);
      });

      it('one-time tokens', async () => {
        const [a, b] = [newAppId(), newAppId()];
        const user = await createUser(a);
        const token = tokenInput(a, user.id);
        await storage.createOneTimeToken(token);
        expect(await storage.consumeOneTimeToken({ ...token, appId: b, now: NOW + 1 })).toBeNull();
        expect(await storage.deleteOneTimeTokens(b, user.id, token.purpose)).toBe(0);
        await expect(storage.createOneTimeToken(tokenInput(b, user.id))).rejects.toThrow();
        expect(await storage.consumeOneTimeToken({ ...token, now: NOW + 1 })).toMatchObject({ id: token.id, appId: a });
      });

      it('API keys', async () => {
        const [a, b] = [newAppId(), newAppId()];
        const user = await createUser(a);
        const input = apiKeyInput(user, { kind: 'server' });
        const key = await storage.createApiKey(input);
        expect(await storage.getApiKey(b, user.id, key.id)).toBeNull();
        expect(await storage.listApiKeys(b, user.id)).toEqual([]);
        expect(await storage.listAppApiKeys(b, 'server')).toEqual([]);
        expect(await storage.findApiKeyByHash(b, input.keyHash)).toBeNull();
        expect(await storage.countApiKeys(b, user.id)).toBe(0);
        expect(await storage.setApiKeyDisabled(b, user.id, key.id, true)).toBe(false);
        await storage.touchApiKey(b, key.id, NOW + 1);
        expect(await storage.deleteApiKey(b, user.id, key.id)).toBe(false);
        await expect(storage.createApiKey(apiKeyInput(user, { appId: b }))).rejects.toThrow();
        expect(await storage.getApiKey(a, user.id, key.id)).toEqual(key);
        expect(await storage.listApiKeys(a, user.id)).toEqual([key]);
      });

      it('passkeys', async () => {
        const [a, b] = [newAppId(), newAppId()];
        const user = await createUser(a);
        const key = await storage.createPasskey(passkeyInput(user));
        expect(await storage.listPasskeys(b, user.id)).toEqual([]);
        expect(await storage.findPasskeyByCredentialId(b, key.credentialId)).toBeNull();
        expect(await storage.usePasskey(b, key.id, 0, 1, NOW)).toBe(false);
        expect(await storage.renamePasskey(b, user.id, key.id, 'x')).toBe(false);
        expect(await storage.deletePasskey(b, user.id, key.id)).toBe(false);
        expect(await storage.deleteUserPasskeys(b, user.id)).toBe(0);
        await expect(storage.createPasskey(passkeyInput(user, { appId: b }))).rejects.toThrow();
        await expect(storage.createWebauthnChallenge(challengeInput(b, user.id))).rejects.toThrow();
        expect(await storage.listPasskeys(a, user.id)).toEqual([key]);
      });

      it('audit events', async () => {
        const [a, b] = [newAppId(), newAppId()];
        const user = await createUser(a);
        await storage.recordAuditEvent({ appId: a, userId: user.id, type: 'login', now: NOW });
        expect(await storage.listAuditEvents(b)).toEqual([]);
        expect(await storage.listAuditEvents(b, { userId: user.id })).toEqual([]);
        expect(await storage.listAuditEvents(a, { userId: user.id })).toHaveLength(1);
      });
    });

    describe('concurrency', () => {
      it('of concurrent consumeOneTimeToken() calls for one token, exactly one gets the record', async () => {
        const appId = newAppId();
        for (let round = 0; round < 5; round++) {
          const input = tokenInput(appId, null);
          await storage.createOneTimeToken(input);
          const results = await Promise.all(
            Array.from({ length: 8 }, () => storage.consumeOneTimeToken({ ...input, now: NOW + 1 })),
          );
          expect(results.filter((r) => r !== null)).toHaveLength(1);
        }
      });

      it('of concurrent createUser() calls for one email in different case, exactly one succeeds', async () => {
        for (let round = 0; round < 3; round++) {
          const appId = newAppId();
          const inputs = [
            userInput(appId, { emails: [{ address: 'Ann@Example.com', verified: false }], passwordHash: '$a' }),
            userInput(appId, { emails: [{ address: 'ann@example.COM', verified: false }], passwordHash: '$b' }),
          ];
          const results = await Promise.allSettled(inputs.map((input) => storage.createUser(input)));
          const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [inputs[i]!] : []));
          const losers = results.flatMap((r, i) =>
            r.status === 'rejected' ? [{ input: inputs[i]!, reason: r.reason }] : [],
          );
          expect(winners).toHaveLength(1);
          expect(losers).toHaveLength(1);
          expect(isStorageConflictError(losers[0]!.reason)).toBe(true);
          expect((losers[0]!.reason as StorageConflictError).target).toBe('email');
          expect((await storage.findUserByEmail(appId, 'ANN@example.com'))?.id).toBe(winners[0]!.id);
          expect(await storage.getUser(appId, losers[0]!.input.id)).toBeNull();
          expect(await storage.getPasswordHash(appId, losers[0]!.input.id)).toBeNull();
        }
      });

      it('of concurrent createUser() calls for one username in different case, exactly one succeeds', async () => {
        const appId = newAppId();
        const results = await Promise.allSettled([
          createUser(appId, { username: 'Hopper' }),
          createUser(appId, { username: 'hopper' }),
          createUser(appId, { username: 'HOPPER' }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected')
            expect(r.reason).toMatchObject({ name: 'StorageConflictError', target: 'username' });
        }
        const winner = results.find((r) => r.status === 'fulfilled')?.value;
        expect(await storage.findUsersByUsername(appId, 'hopper')).toEqual([winner]);
      });

      it('of concurrent revokeSession() calls, exactly one reports the revocation', async () => {
        const user = await createUser(newAppId());
        const session = await storage.createSession(sessionInput(user));
        const results = await Promise.all(
          Array.from({ length: 6 }, () => storage.revokeSession(session.appId, session.id, NOW + 1)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('a createUser() that fails part-way leaves nothing of the user', async () => {
        const appId = newAppId();
        const owner = await createUser(appId, {
          identities: [{ providerType: 'oauth2-google', providerId: 'oauth2-google', subject: 'owned-subject' }],
        });
        const input = userInput(appId, {
          username: 'half-written',
          emails: [{ address: 'half@example.com', verified: true }],
          identities: [
            { providerType: 'custom-token', providerId: 'custom-token', subject: 'fresh-subject' },
            { providerType: 'oauth2-google', providerId: 'oauth2-google', subject: 'owned-subject' },
          ],
          passwordHash: '$argon2id$half',
        });
        await expectConflict(storage.createUser(input), 'identity');
        expect(await storage.getUser(appId, input.id)).toBeNull();
        expect(await storage.findUserByEmail(appId, 'half@example.com')).toBeNull();
        expect(await storage.findUsersByUsername(appId, 'half-written')).toEqual([]);
        expect(await storage.findUserByIdentity(appId, 'custom-token', 'fresh-subject')).toBeNull();
        expect(await storage.getPasswordHash(input.appId, input.id)).toBeNull();
        expect((await storage.findUserByIdentity(appId, 'oauth2-google', 'owned-subject'))?.id).toBe(owner.id);

        // Every unique value is free again: the same user without the conflicting identity goes in.
        const retried = await storage.createUser({ ...input, identities: input.identities!.slice(0, 1) });
        expect(await storage.getUser(appId, input.id)).toEqual(retried);
      });
    });
  });
}
