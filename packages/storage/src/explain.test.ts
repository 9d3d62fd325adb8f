import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectId } from '@gatehouse-auth/core';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, createSqliteStorage, type Storage } from './index.js';
import { createTestDatabase } from './testing/postgres.js';

/**
 * Every statement the hot paths run — a login by email or username, a token refresh (session by refresh-token
 * hash, then session with its user), a profile read, an API-key login, an OAuth login (identity by provider
 * and subject) — must find its rows through an index, or its cost grows with the number of users (the
 * million-user benchmark, bench/scale.mjs). The statements are not written out here: they are recorded from
 * the driver while the storage methods run, then explained, so the test follows the code.
 */
const NOW = Date.UTC(2025, 5, 1);

interface Recorded {
  sql: string;
  parameters: unknown[];
}

/** The hot storage calls, against one seeded user. */
async function hotCalls(storage: Storage, seed: Seed): Promise<void> {
  const { appId, userId } = seed;
  expect(await storage.findUserByEmail(appId, 'Hot@Example.com')).not.toBeNull();
  expect(await storage.findUsersByUsername(appId, 'hot-user')).toHaveLength(1);
  expect(await storage.getUser(appId, userId)).not.toBeNull();
  expect(await storage.getPasswordHash(appId, userId)).not.toBeNull();
  expect(await storage.findUserByIdentity(appId, 'oauth2-google', 'google-subject')).not.toBeNull();
  const session = await storage.findSessionByHash(appId, seed.refreshHash);
  expect(session).not.toBeNull();
  expect(await storage.getSessionWithUser(appId, seed.sessionId)).not.toBeNull();
  await storage.touchSession(appId, seed.sessionId, NOW + 1);
  expect(await storage.findApiKeyByHash(appId, seed.keyHash)).not.toBeNull();
  await storage.touchApiKey(appId, seed.keyId, NOW + 1);
}

interface Seed {
  appId: string;
  userId: string;
  sessionId: string;
  refreshHash: string;
  keyId: string;
  keyHash: string;
}

/** A few users, so that a table scan and an index search are not the same plan by accident. */
async function seed(storage: Storage): Promise<Seed> {
  const appId = `app-${objectId()}`;
  await storage.ensureApp(appId, NOW);
  for (let i = 0; i < 20; i++) {
    const other = await storage.createUser({
      id: objectId(),
      appId,
      now: NOW,
      username: `other-${i}`,
      emails: [{ address: `other-${i}@example.com`, verified: true }],
      identities: [{ providerType: 'oauth2-google', providerId: 'oauth2-google', subject: `other-${i}` }],
    });
    await storage.createSession({
      id: objectId(),
      appId,
      userId: other.id,
      deviceId: objectId(),
      refreshHash: `refresh-${objectId()}`,
      providerType: 'local-userpass',
      now: NOW,
      expiresAt: NOW + 86_400_000,
    });
  }
  const user = await storage.createUser({
    id: objectId(),
    appId,
    now: NOW,
    username: 'hot-user',
    emails: [{ address: 'hot@example.com', verified: true }],
    identities: [{ providerType: 'oauth2-google', providerId: 'oauth2-google', subject: 'google-subject' }],
    passwordHash: '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
  });
  const refreshHash = `refresh-${objectId()}`;
  const session = await storage.createSession({
    id: objectId(),
    appId,
    userId: user.id,
    deviceId: objectId(),
    refreshHash,
    providerType: 'local-userpass',
    now: NOW,
    expiresAt: NOW + 86_400_000,
  });
  const keyHash = `key-hash-${objectId()}`;
  const key = await storage.createApiKey({
    id: objectId(),
    appId,
    userId: user.id,
    kind: 'user',
    name: 'hot key',
    keyHash,
    now: NOW,
  });
  return { appId, userId: user.id, sessionId: session.id, refreshHash, keyId: key.id, keyHash };
}

/** Statements worth explaining: reads and writes that find rows (not inserts, transactions or pragmas). */
const explainable = (sql: string) => /^\s*(select|update|delete)\b/i.test(sql);

describe('hot queries use an index', () => {
  describe('SQLite', () => {
    let dir: string;
    let storage: Storage;
    let data: Seed;
    const recorded: Recorded[] = [];
    const prepare = BetterSqlite3.prototype.prepare;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gatehouse-explain-'));
      storage = await createSqliteStorage({ filename: join(dir, 'explain.db') });
      await storage.migrate();
      data = await seed(storage);
    });
    afterAll(async () => {
      BetterSqlite3.prototype.prepare = prepare;
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('searches an index (SEARCH … USING INDEX / PRIMARY KEY) for every statement, never a full SCAN', async () => {
      BetterSqlite3.prototype.prepare = function (this: BetterSqlite3.Database, sql: string) {
        const statement = prepare.call(this, sql);
        const noting =
          <T>(run: (...p: unknown[]) => T) =>
          (...p: unknown[]): T => {
            recorded.push({ sql, parameters: p.flat() });
            return run(...p);
          };
        return Object.assign(statement, {
          all: noting(statement.all.bind(statement)),
          run: noting(statement.run.bind(statement)),
          get: noting(statement.get.bind(statement)),
        });
      } as typeof prepare;
      await hotCalls(storage, data);
      BetterSqlite3.prototype.prepare = prepare;

      const statements = recorded.filter((r) => explainable(r.sql));
      expect(statements.length).toBeGreaterThanOrEqual(10);
      const db = new BetterSqlite3(join(dir, 'explain.db'), { readonly: true });
      try {
        const scans = (list: Recorded[]) => {
          const found: string[] = [];
          for (const { sql, parameters } of list) {
            const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[];
            // `SCAN t USING (COVERING) INDEX` walks a whole index: no better than a table scan for our purpose.
            for (const { detail } of plan) if (/^SCAN /.test(detail)) found.push(`${detail}\n    in: ${sql}`);
          }
          return found;
        };
        expect(scans(statements)).toEqual([]);
        // …and the check does see a scan where there is one.
        expect(scans([{ sql: 'select * from "users" where "created_at" = ?', parameters: [NOW] }])).toHaveLength(1);
      } finally {
        db.close();
      }
    });
  });

  describe('PostgreSQL', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let storage: Storage;
    let data: Seed;
    const recorded: Recorded[] = [];
    const query = pg.Client.prototype.query;

    beforeAll(async () => {
      database = await createTestDatabase();
      storage = await createPostgresStorage({ connectionString: database.url });
      await storage.migrate();
      data = await seed(storage);
    });
    afterAll(async () => {
      pg.Client.prototype.query = query;
      await storage.close();
      await database.drop();
    });

    it('uses an index for every statement even with sequential scans discouraged (no Seq Scan)', async () => {
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const [text, values] = args;
        if (typeof text === 'string') recorded.push({ sql: text, parameters: (values as unknown[]) ?? [] });
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      await hotCalls(storage, data);
      pg.Client.prototype.query = query;

      const statements = recorded.filter((r) => explainable(r.sql));
      expect(statements.length).toBeGreaterThanOrEqual(10);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        // With a handful of rows a sequential scan is cheapest, whatever the indexes: make it the last resort,
        // so the plan shows whether an index could serve the statement at all.
        await client.query('SET enable_seqscan = off');
        const scans = async (list: Recorded[]) => {
          const found: string[] = [];
          for (const { sql, parameters } of list) {
            const { rows } = await client.query(`EXPLAIN ${sql}`, parameters);
            const plan = rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
            if (/Seq Scan/.test(plan)) found.push(`${plan}\n    in: ${sql}`);
          }
          return found;
        };
        expect(await scans(statements)).toEqual([]);
        // …and the check does see a scan where there is one.
        const unindexed = { sql: 'select * from "users" where "created_at" = $1', parameters: [NOW] };
        expect(await scans([unindexed])).toHaveLength(1);
      } finally {
        await client.end();
      }
    });
  });
});
