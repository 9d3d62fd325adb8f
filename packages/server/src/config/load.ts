import { existsSync, readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type ResolvedConfig, resolveConfig } from './resolve.js';

/** Config file names looked for, in order: a module (may carry functions and hooks) before JSON. */
export const CONFIG_FILE_NAMES = ['gatehouse.config.mjs', 'gatehouse.config.js', 'gatehouse.config.json'] as const;

/** The first config file in `dir`, or `null`. */
export function findConfigFile(dir: string): string | null {
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolvePath(dir, name);
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * Reads a configuration file — JSON, or a `.js`/`.mjs` module whose default export is the config object (or
 * a function returning it) — applies environment overrides, and validates the result once. Throws
 * {@link ConfigError} naming each bad field (or environment variable).
 *
 * @example
 * ```ts
 * const config = await loadConfig('./gatehouse.config.json'); // with DATABASE_URL etc. applied
 * ```
 */
export async function loadConfig(
  path: string,
  env: Record<string, string | undefined> = process.env,
): Promise<ResolvedConfig> {
  return resolveConfig(applyEnvironment(await readConfigFile(path), env));
}

/**
 * Reads a config file as written — JSON, or a `.js`/`.mjs` module whose default export is the object (or a
 * function returning it) — without validating it, so a caller (`gatehouse dev`) can lay overrides over it
 * first. Throws {@link ConfigError} when the file is missing, unreadable or not an object.
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const absolute = resolvePath(path);
  if (!existsSync(absolute)) throw new ConfigError([`${path}: file not found`]);
  let raw: unknown;
  if (absolute.endsWith('.json')) {
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (error) {
      throw new ConfigError([
        `${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      ]);
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError([`${path}: not valid JSON (${(error as Error).message})`]);
    }
  } else {
    const module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    raw = typeof module.default === 'function' ? await (module.default as () => unknown)() : module.default;
    if (raw === undefined) throw new ConfigError([`${path}: the module has no default export`]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError([`${path}: the configuration must be an object`]);
  return raw as Record<string, unknown>;
}

/**
 * Environment overrides, applied over the file's values:
 *
 * | variable | sets |
 * |---|---|
 * | `GATEHOUSE_PUBLIC_URL` | `publicUrl` |
 * | `GATEHOUSE_HOST`, `GATEHOUSE_PORT` | `listen.host`, `listen.port` |
 * | `GATEHOUSE_WORKERS` | `listen.workers` (a number or `auto`) |
 * | `DATABASE_URL` | `database.url` |
 * | `GATEHOUSE_DATABASE_POOL_SIZE` | `database.poolSize` |
 * | `GATEHOUSE_KEYS` / `GATEHOUSE_KEYS_FILE` | `keys` (a JSON array, inline or in a file) |
 * | `GATEHOUSE_SMTP_URL`, `GATEHOUSE_EMAIL_FROM` | `email` (SMTP transport) |
 * | `GATEHOUSE_CORS_ORIGINS` | `corsOrigins` (comma-separated) |
 * | `GATEHOUSE_TRUST_PROXY` | `trustProxy` (`true`/`false`) |
 * | `GATEHOUSE_LOG_LEVEL` | `logLevel` |
 * | `GATEHOUSE_METRICS_PORT`, `GATEHOUSE_METRICS_HOST` | `metrics` (setting the port turns metrics on) |
 * | `REDIS_URL`, `GATEHOUSE_REDIS_KEY_PREFIX` | `redis.url`, `redis.keyPrefix` |
 */
export function applyEnvironment(
  config: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  const issues: string[] = [];
  const set = (name: string, apply: (value: string) => void) => {
    const value = env[name];
    if (value !== undefined && value !== '') apply(value);
  };
  const object = (key: string) => ({ ...((out[key] as Record<string, unknown> | undefined) ?? {}) });
  const integer = (name: string, value: string) => {
    if (!/^\d+$/.test(value)) issues.push(`${name}: expected a whole number`);
    return Number(value);
  };
  const jsonArray = (name: string, text: string) => {
    try {
      const parsed = JSON.parse(text);
      if (!Array.isArray(parsed)) issues.push(`${name}: expected a JSON array of keys`);
      return parsed;
    } catch {
      issues.push(`${name}: not valid JSON`);
      return undefined;
    }
  };

  set('GATEHOUSE_PUBLIC_URL', (v) => (out.publicUrl = v));
  set('GATEHOUSE_HOST', (v) => (out.listen = { ...object('listen'), host: v }));
  set('GATEHOUSE_PORT', (v) => (out.listen = { ...object('listen'), port: integer('GATEHOUSE_PORT', v) }));
  set(
    'GATEHOUSE_WORKERS',
    (v) => (out.listen = { ...object('listen'), workers: v === 'auto' ? v : integer('GATEHOUSE_WORKERS', v) }),
  );
  set('DATABASE_URL', (v) => (out.database = { ...object('database'), url: v }));
  set(
    'GATEHOUSE_DATABASE_POOL_SIZE',
    (v) => (out.database = { ...object('database'), poolSize: integer('GATEHOUSE_DATABASE_POOL_SIZE', v) }),
  );
  set('GATEHOUSE_KEYS', (v) => (out.keys = jsonArray('GATEHOUSE_KEYS', v)));
  set('GATEHOUSE_KEYS_FILE', (v) => {
    if (!existsSync(v)) issues.push(`GATEHOUSE_KEYS_FILE: ${v}: file not found`);
    else out.keys = jsonArray('GATEHOUSE_KEYS_FILE', readFileSync(v, 'utf8'));
  });
  set('GATEHOUSE_SMTP_URL', (v) => {
    const from = env.GATEHOUSE_EMAIL_FROM ?? (object('email').from as string | undefined);
    out.email = { transport: 'smtp', url: v, ...(from ? { from } : {}) };
  });
  set('GATEHOUSE_EMAIL_FROM', (v) => (out.email = { transport: 'outbox', ...object('email'), from: v }));
  set(
    'GATEHOUSE_CORS_ORIGINS',
    (v) =>
      (out.corsOrigins = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)),
  );
  set('GATEHOUSE_TRUST_PROXY', (v) => {
    if (v !== 'true' && v !== 'false') issues.push('GATEHOUSE_TRUST_PROXY: expected true or false');
    out.trustProxy = v === 'true';
  });
  set('GATEHOUSE_LOG_LEVEL', (v) => (out.logLevel = v));
  set(
    'GATEHOUSE_METRICS_PORT',
    (v) => (out.metrics = { ...object('metrics'), enabled: true, port: integer('GATEHOUSE_METRICS_PORT', v) }),
  );
  set('GATEHOUSE_METRICS_HOST', (v) => (out.metrics = { ...object('metrics'), host: v }));
  set('REDIS_URL', (v) => (out.redis = { ...object('redis'), url: v }));
  set('GATEHOUSE_REDIS_KEY_PREFIX', (v) => (out.redis = { ...object('redis'), keyPrefix: v }));
  if (issues.length) throw new ConfigError(issues);
  return out;
}
