import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { CONFIG_FILE_NAMES, findConfigFile, loadConfig, type ResolvedConfig } from '@gatehouse-auth/server/primary';
import { parseStorageUrl } from '@gatehouse-auth/storage/url';
import { CliError, type Io } from './command.js';

/** The config file named by `--config`, or the one found in `cwd`; a {@link CliError} saying how to make one otherwise. */
export function locateConfigFile(option: string | undefined, cwd: string): string {
  if (option !== undefined) return resolve(cwd, option);
  const found = findConfigFile(cwd);
  if (found) return found;
  throw new CliError(
    `no configuration file in ${cwd} (looked for ${CONFIG_FILE_NAMES.join(', ')}).\n` +
      `Create one with 'gatehouse init', or name one with --config <file>.`,
  );
}

/**
 * Loads and validates a config file with environment overrides (`loadConfig`), then resolves a relative
 * SQLite path against the config file's directory, so the database does not move with the shell's working
 * directory. A relative path given in `DATABASE_URL` stays relative to `cwd`, where the person typed it.
 */
export async function loadServerConfig(path: string, env: Io['env'], cwd: string): Promise<ResolvedConfig> {
  const config = await loadConfig(path, env);
  const base = env.DATABASE_URL ? cwd : dirname(path);
  const url = resolveSqliteUrl(config.database.url, base);
  if (url === config.database.url) return config;
  return Object.freeze({ ...config, database: Object.freeze({ ...config.database, url }) });
}

/**
 * The file a SQLite database URL names, read the way `@gatehouse-auth/storage` reads it (`sqlite:<path>`,
 * `sqlite:///abs`, `file:<path>`, `file:///abs`, a bare `*.db`/`*.sqlite`/`*.sqlite3` path); `null` for
 * PostgreSQL and `sqlite::memory:`.
 */
export function sqliteFile(url: string): string | null {
  let location: ReturnType<typeof parseStorageUrl>;
  try {
    location = parseStorageUrl(url);
  } catch {
    return null;
  }
  return location.dialect === 'sqlite' && location.filename !== ':memory:' ? location.filename : null;
}

/** `sqlite:<relative path>` made absolute against `baseDir`; every other URL unchanged. */
export function resolveSqliteUrl(url: string, baseDir: string): string {
  const file = sqliteFile(url);
  if (file === null || isAbsolute(file)) return url;
  return `sqlite:${resolve(baseDir, file)}`;
}

/**
 * Creates the directory a SQLite file lives in (`.gatehouse/`), readable by its owner only: the database
 * holds password hashes and session hashes.
 */
export function prepareSqliteDirectory(url: string): void {
  const file = sqliteFile(url);
  if (file === null) return;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliError(`cannot create the database directory ${dirname(file)}: ${(error as Error).message}`);
  }
}

/** A database URL fit to print: the password replaced by `***`; anything unparsable reduced to its scheme. */
export function redactUrl(url: string): string {
  if (sqliteFile(url) !== null || url.startsWith('sqlite:')) return url;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  try {
    const parsed = new URL(url);
    if (!parsed.host) throw new Error('opaque'); // `postgres:user:pw@host` parses, but not into parts
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL we can take apart: print only the scheme rather than risk printing a secret.
    return scheme ? `${scheme}:…` : '(unparsable database URL)';
  }
}

/** A path as the user should see it: relative to `cwd` when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  return !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
