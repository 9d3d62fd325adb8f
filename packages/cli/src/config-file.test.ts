import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { loadServerConfig, redactUrl, resolveSqliteUrl, sqliteFile } from './config-file.js';
import { tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

describe('SQLite URLs', () => {
  it('finds the file the way the storage package reads the URL', () => {
    expect(sqliteFile('sqlite:./.gatehouse/gatehouse.db')).toBe('./.gatehouse/gatehouse.db');
    expect(sqliteFile('sqlite:///var/lib/gatehouse.db')).toBe('/var/lib/gatehouse.db');
    expect(sqliteFile('file:///var/lib/gatehouse.db')).toBe('/var/lib/gatehouse.db');
    expect(sqliteFile('data/gatehouse.sqlite')).toBe('data/gatehouse.sqlite');
    expect(sqliteFile('sqlite::memory:')).toBeNull();
    expect(sqliteFile('postgres://localhost/gatehouse')).toBeNull();
  });

  it('resolves a relative path against the given directory and leaves the rest alone', () => {
    expect(resolveSqliteUrl('sqlite:./.gatehouse/gatehouse.db', '/srv/auth')).toBe(
      'sqlite:/srv/auth/.gatehouse/gatehouse.db',
    );
    expect(resolveSqliteUrl('sqlite:/abs.db', '/srv/auth')).toBe('sqlite:/abs.db');
    expect(resolveSqliteUrl('sqlite::memory:', '/srv/auth')).toBe('sqlite::memory:');
    expect(resolveSqliteUrl('postgres://h/db', '/srv/auth')).toBe('postgres://h/db');
  });

  it('never prints a database password', () => {
    expect(redactUrl('postgres://gatehouse:hunter2@db:5432/gatehouse')).toBe(
      'postgres://gatehouse:***@db:5432/gatehouse',
    );
    expect(redactUrl('postgres://db/gatehouse')).toBe('postgres://db/gatehouse');
    expect(redactUrl('not a url with hunter2')).not.toContain('hunter2');
    expect(redactUrl('postgres:gatehouse:hunter2@db')).toBe('postgres:…');
  });
});

describe('loadServerConfig', () => {
  it("puts the config's relative SQLite file beside the config, whatever the working directory", async () => {
    const dir = dirs.make();
    const { path } = await initConfig({ dir });
    const config = await loadServerConfig(path, {}, dirs.make());
    expect(config.database.url).toBe(`sqlite:${join(dir, '.gatehouse', 'gatehouse.db')}`);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps a relative DATABASE_URL relative to the working directory, where it was typed', async () => {
    const dir = dirs.make();
    const cwd = dirs.make();
    const { path } = await initConfig({ dir });
    const config = await loadServerConfig(path, { DATABASE_URL: 'sqlite:data/env.db' }, cwd);
    expect(config.database.url).toBe(`sqlite:${join(cwd, 'data', 'env.db')}`);
  });
});
