import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { findConfigFile, type GatehouseConfigInput, generateSigningKey } from '@gatehouse-auth/server';
import { CliError, defineCommand, EXIT_OK, UsageError } from '../command.js';
import { displayPath } from '../config-file.js';
import { version } from '../version.js';

/** The file `gatehouse init` writes. */
export const CONFIG_FILE = 'gatehouse.config.json';
/** SQLite beside the config (resolved against the config file's directory). */
export const DEFAULT_DATABASE_URL = 'sqlite:./.gatehouse/gatehouse.db';
export const DEFAULT_PUBLIC_URL = 'http://localhost:8080';
/** The name part of generated app ids, as App Services made them (`myapp-abcde`). */
export const DEFAULT_APP_NAME = 'myapp';

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface InitOptions {
  dir: string;
  /** Kept verbatim: an app leaving App Services keeps its id, so its `Realm.App({ id })` stays as it is. */
  appId?: string;
  publicUrl?: string;
  databaseUrl?: string;
  force?: boolean;
}

export interface InitResult {
  path: string;
  appId: string;
  publicUrl: string;
  /** The config module that will be read instead of the new JSON file, if one exists in the directory. */
  shadowedBy: string | null;
}

/**
 * Writes a new `gatehouse.config.json`: a fresh ES256 signing key, one app with anonymous and email/password
 * sign-in (confirmation by email), SQLite, and the development outbox for mail. The file holds a private key,
 * so it is created readable by its owner only (0600). Refuses to replace an existing config unless `force`.
 *
 * @example
 * ```ts
 * const { path, appId } = await initConfig({ dir: '.', appId: 'notes-qwxyz' });
 * ```
 */
export async function initConfig(options: InitOptions): Promise<InitResult> {
  const dir = resolve(options.dir);
  const appId = options.appId ?? newAppId(DEFAULT_APP_NAME);
  if (!APP_ID.test(appId))
    throw new UsageError(`--app-id '${appId}': app ids use letters, digits, '.', '_' and '-' (at most 100)`, 'init');
  const publicUrl = (options.publicUrl ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
  if (!isHttpUrl(publicUrl))
    throw new UsageError(`--public-url '${publicUrl}': expected an http:// or https:// URL`, 'init');
  const databaseUrl = options.databaseUrl ?? DEFAULT_DATABASE_URL;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl))
    throw new UsageError(`--database-url: expected sqlite:<path> or postgres://…`, 'init');

  const path = join(dir, CONFIG_FILE);
  const existing = existsSync(dir) ? findConfigFile(dir) : null;
  if (existing && !options.force)
    throw new CliError(
      `${existing} already exists; not overwriting it (it holds your signing key). Use --force to replace it.`,
    );

  const config = {
    $schema: configSchemaReference(dir),
    publicUrl,
    database: { url: databaseUrl },
    keys: [await generateSigningKey('ES256')],
    email: { transport: 'outbox' },
    apps: {
      [appId]: {
        name: appId.replace(/-[a-z]{5}$/, '') || appId,
        providers: {
          'anon-user': { enabled: true },
          'local-userpass': { enabled: true, confirmation: 'email' },
        },
      },
    },
  } satisfies GatehouseConfigInput;

  mkdirSync(dir, { recursive: true });
  writePrivateFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return { path, appId, publicUrl, shadowedBy: existing && existing !== path ? existing : null };
}

/** Where `@gatehouse-auth/server` keeps the JSON Schema of the config file, inside `node_modules`. */
const INSTALLED_SCHEMA = join('node_modules', '@gatehouse-auth', 'server', 'config.schema.json');

/**
 * The `$schema` of a new config file, so editors complete and check it: the schema of the server installed
 * beside it (`./node_modules/@gatehouse-auth/server/config.schema.json`, found in `dir` or a parent), else the
 * published copy of this version.
 *
 * @example
 * ```ts
 * configSchemaReference('/srv/app'); // './node_modules/@gatehouse-auth/server/config.schema.json'
 * ```
 */
export function configSchemaReference(dir: string): string {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const candidate = join(at, INSTALLED_SCHEMA);
    if (existsSync(candidate)) {
      const path = relative(resolve(dir), candidate).split(sep).join('/');
      return path.startsWith('../') ? path : `./${path}`;
    }
    if (dirname(at) === at) break;
  }
  return `https://unpkg.com/@gatehouse-auth/server@${version()}/config.schema.json`;
}

/**
 * A new app id in App Services' style: `<name>-<5 random lowercase letters>`, from the CSPRNG. Letters are
 * drawn by rejection sampling, so each of the 26 is equally likely.
 */
export function newAppId(name: string): string {
  let suffix = '';
  while (suffix.length < 5) {
    for (const byte of crypto.getRandomValues(new Uint8Array(8))) {
      if (byte < 234 && suffix.length < 5) suffix += String.fromCharCode(97 + (byte % 26)); // 234 = 9 × 26
    }
  }
  return `${name}-${suffix}`;
}

/** Writes through a temporary file created 0600, so the private key is never readable by others, even briefly. */
function writePrivateFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    chmodSync(temporary, 0o600); // the umask may have taken bits away; never adds them
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** What `init` did and what to do next, for the terminal. */
export function describeInit(result: InitResult, cwd: string): string {
  const file = displayPath(result.path, cwd);
  const dir = dirname(result.path);
  const here = resolve(cwd) === dir;
  const lines = [
    `Created ${file}`,
    `  App id:     ${result.appId}`,
    `  Public URL: ${result.publicUrl}`,
    '  The file holds your private signing key: it is readable by you only (0600). Keep it out of version control.',
  ];
  if (result.shadowedBy)
    lines.push(
      `  Note: ${displayPath(result.shadowedBy, cwd)} is read before it; remove that file to use the new one.`,
    );
  lines.push(
    '',
    'Next steps:',
    `  gatehouse dev${here ? '' : ` --dir ${displayPath(dir, cwd)}`}`,
    '      a development server with the demo page and a mail outbox',
    `  gatehouse serve${here ? '' : ` --config ${file}`}`,
    '      production mode (set DATABASE_URL, GATEHOUSE_SMTP_URL, … or edit the file)',
    '  In your app (npm install @gatehouse-auth/client):',
    `      new App({ id: '${result.appId}', baseUrl: '${result.publicUrl}' })`,
    `  or, unchanged, a realm-web app: new Realm.App({ id: '${result.appId}', baseUrl: '${result.publicUrl}' })`,
    '',
  );
  return lines.join('\n');
}

export const initCommand = defineCommand({
  name: 'init',
  summary: 'Create gatehouse.config.json with a new signing key and app id',
  description:
    'Writes gatehouse.config.json: a fresh ES256 signing key, one app with anonymous and email/password sign-in ' +
    '(confirmation by email), SQLite in ./.gatehouse, and the development outbox for mail. ' +
    'The file is created with mode 0600 because it holds the private key. An existing config is never replaced ' +
    'without --force.',
  options: {
    dir: {
      type: 'string',
      value: '<dir>',
      description: 'Directory to write the config into (default: the current one)',
    },
    'app-id': {
      type: 'string',
      value: '<id>',
      description: `App id; keep your App Services app id here (default: ${DEFAULT_APP_NAME}-<5 random letters>)`,
    },
    'public-url': {
      type: 'string',
      value: '<url>',
      description: `Public URL clients reach Gatehouse at (default: ${DEFAULT_PUBLIC_URL})`,
    },
    'database-url': {
      type: 'string',
      value: '<url>',
      description: `sqlite:<path> or postgres://… (default: ${DEFAULT_DATABASE_URL})`,
    },
    force: { type: 'boolean', description: 'Replace an existing config file (and its signing key)' },
  },
  examples: ['gatehouse init', 'gatehouse init --app-id notes-qwxyz --public-url https://auth.example.com'],
  async run(values, io) {
    const result = await initConfig({
      dir: resolve(io.cwd, values.dir ?? '.'),
      appId: values['app-id'],
      publicUrl: values['public-url'],
      databaseUrl: values['database-url'],
      force: values.force,
    });
    io.stdout.write(describeInit(result, io.cwd));
    return EXIT_OK;
  },
});
