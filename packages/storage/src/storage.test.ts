import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { objectId } from '@gatehouse-auth/core';
import { runStorageConformance } from '@gatehouse-auth/storage/testing';
import BetterSqlite3 from 'better-sqlite3';
import * as vitest from 'vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { missingDriverError } from './dialects/missing-driver.js';
import { createPostgresStorage, createSqliteStorage, createStorage, parseStorageUrl, type Storage } from './index.js';
import { createTestDatabase } from './testing/postgres.js';

const NOW = Date.UTC(2025, 5, 1);

// The built-in dialects prove themselves through the same export a third-party adapter uses.
runStorageConformance({
  name: 'sqlite in memory',
  open: async () => {
    const storage = await createSqliteStorage({ filename: ':memory:' });
    await storage.migrate();
    return { storage, cleanup: () => storage.close() };
  },
  test: vitest,
});

runStorageConformance({
  name: 'sqlite file',
  open: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-storage-'));
    const storage = await createSqliteStorage({ filename: join(dir, 'data', 'gatehouse.db') });
    await storage.migrate();
    return {
      storage,
      async cleanup() {
        await storage.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  test: vitest,
});

runStorageConformance({
  name: 'postgres',
  open: async () => {
    const database = await createTestDatabase();
    const storage = await createPostgresStorage({ connectionString: database.url });
    await storage.migrate();
    return {
      storage,
      async cleanup() {
        await storage.close();
        await database.drop();
      },
    };
  },
  test: vitest,
});

describe('parseStorageUrl()', () => {
  it.each([
    ['sqlite:data/gatehouse.db', 'data/gatehouse.db'],
    ['sqlite:///var/lib/gatehouse.db', '/var/lib/gatehouse.db'],
    ['sqlite::memory:', ':memory:'],
    ['file:gatehouse.db', 'gatehouse.db'],
    ['file:///var/lib/gatehouse.db', '/var/lib/gatehouse.db'],
    ['.gatehouse/gatehouse.db', '.gatehouse/gatehouse.db'],
    ['/abs/users.sqlite', '/abs/users.sqlite'],
    ['./x.sqlite3', './x.sqlite3'],
  ])('reads %s as SQLite', (url, filename) => {
    expect(parseStorageUrl(url)).toEqual({ dialect: 'sqlite', filename });
  });

  it.each(['postgres://user:pw@db.internal:5432/gatehouse', 'postgresql://db/gatehouse?sslmode=require'])(
    'reads %s as PostgreSQL',
    (url) => {
      expect(parseStorageUrl(url)).toEqual({ dialect: 'postgres', connectionString: url });
    },
  );

  it.each(['mysql://root:hunter2@localhost/db', 'gatehouse.json', 'sqlite:', 'https://example.com/x.db', ''])(
    'refuses %j, naming the accepted forms without repeating the URL',
    (url) => {
      let message = '';
      try {
        parseStorageUrl(url);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain('sqlite:<path>');
      expect(message).toContain('postgres://');
      expect(message).not.toContain('hunter2');
    },
  );

  it('createStorage() refuses an unsupported URL', async () => {
    await expect(createStorage('redis://localhost')).rejects.toThrow(/postgresql:\/\//);
  });
});

describe('SQLite files', () => {
  const dirs: string[] = [];
  const storages: Storage[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-storage-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const storage of storages.splice(0)) await storage.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('creates the parent directory, runs in WAL mode and keeps data across reopening', async () => {
    const filename = join(await tempDir(), 'a', 'b', 'gatehouse.db');
    const first = await createStorage(`sqlite:${filename}`);
    await first.migrate();
    const user = await first.createUser({ id: objectId(), appId: 'app', username: 'persisted', now: NOW });
    expect(existsSync(`${filename}-wal`)).toBe(true);
    if (process.platform !== 'win32') {
      expect(statSync(filename).mode & 0o777).toBe(0o600);
      expect(statSync(`${filename}-wal`).mode & 0o777).toBe(0o600);
      expect(statSync(join(filename, '..')).mode & 0o777).toBe(0o700);
    }
    await first.close();

    const second = await createStorage(pathToFileURL(filename).href);
    storages.push(second);
    await second.migrate();
    expect(await second.getUser('app', user.id)).toEqual(user);
  });

  it('a second process-like connection sees committed writes', async () => {
    const filename = join(await tempDir(), 'shared.db');
    const a = await createSqliteStorage({ filename });
    const b = await createSqliteStorage({ filename });
    storages.push(a, b);
    await a.migrate();
    await b.migrate();
    const user = await a.createUser({ id: objectId(), appId: 'app', now: NOW });
    expect(await b.getUser('app', user.id)).toEqual(user);
    expect(await b.deleteUser('app', user.id)).toBe(true);
    expect(await a.getUser('app', user.id)).toBeNull();
  });

  it('migrate() names the failed migration and leaves no part of it behind', async () => {
    const filename = join(await tempDir(), 'conflicting.db');
    const raw = new BetterSqlite3(filename);
    raw.exec('create table users (id integer primary key)');
    raw.close();

    const storage = await createSqliteStorage({ filename });
    storages.push(storage);
    await expect(storage.migrate()).rejects.toThrow(/migration 0001_initial failed on sqlite: .*users/);

    const check = new BetterSqlite3(filename, { readonly: true });
    const tables = check.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all();
    check.close();
    // `apps` is created before `users`: the failed migration's transaction took it back.
    expect(tables).not.toContain('apps');
  });
});

describe('PostgreSQL', () => {
  it('concurrent migrate() from separate pools on a fresh database: both succeed, once', async () => {
    const database = await createTestDatabase();
    const storages = [
      await createStorage(database.url),
      await createPostgresStorage({ connectionString: database.url, max: 2 }),
      await createPostgresStorage({ connectionString: database.url, max: 2 }),
    ];
    try {
      await Promise.all(storages.map((storage) => storage.migrate()));
      const [a, b] = storages;
      const user = await a!.createUser({ id: objectId(), appId: 'app', now: NOW });
      expect(await b!.getUser('app', user.id)).toEqual(user);
    } finally {
      for (const storage of storages) await storage.close();
      await database.drop();
    }
  });

  it('migrate() and ping() reject with the cause when the server is unreachable', async () => {
    // Port 1 on loopback refuses connections at once.
    const storage = await createPostgresStorage({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    try {
      await expect(storage.ping()).rejects.toThrow(/ECONNREFUSED/);
      await expect(storage.migrate()).rejects.toThrow();
    } finally {
      await storage.close();
    }
  });
});

describe('missingDriverError()', () => {
  it('explains how to install a missing driver', () => {
    const notFound = Object.assign(new Error("Cannot find package 'pg' imported from /app/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = missingDriverError('pg', 'PostgreSQL', notFound) as Error;
    expect(error.message).toContain('npm install pg');
    expect(error.cause).toBe(notFound);
  });

  it('passes any other import failure through unchanged', () => {
    const broken = Object.assign(new Error('Could not locate the bindings file'), { code: 'ERR_DLOPEN_FAILED' });
    expect(missingDriverError('better-sqlite3', 'SQLite', broken)).toBe(broken);
    const otherMissing = Object.assign(new Error("Cannot find package 'pg-native'"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(missingDriverError('pg', 'PostgreSQL', otherMissing)).toBe(otherMissing);
  });
});
