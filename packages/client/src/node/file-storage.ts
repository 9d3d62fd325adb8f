import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StorageAdapter } from '../storage.js';

/**
 * A storage in one JSON file, for Node programs (CLIs, scripts, Electron's main process) whose users should
 * stay logged in across runs. It comes from the `@gatehouse-auth/client/node` entry point, which browsers never load. The file holds refresh tokens, so it is written with mode 0600; each change
 * rewrites it atomically (a temporary file, then a rename), so a crash never leaves half a file.
 *
 * @example
 * ```ts
 * const app = new App({ id: 'my-cli', baseUrl, storage: fileStorage(`${os.homedir()}/.my-cli/auth.json`) });
 * ```
 */
export function fileStorage(path: string): StorageAdapter {
  if (typeof path !== 'string' || path === '') throw new TypeError('fileStorage(path) needs a file path');
  let values: Record<string, string> = {};
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) values = parsed as typeof values;
  } catch (error) {
    // A missing file is an empty storage; an unreadable one is a problem the app must see.
    if ((error as { code?: string }).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  const save = () => {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(values), { mode: 0o600 });
    renameSync(temporary, path);
  };
  return {
    get: (key) => (Object.hasOwn(values, key) ? (values[key] ?? null) : null),
    set(key, value) {
      if (values[key] === value) return;
      values = { ...values, [key]: value };
      save();
    },
    remove(key) {
      if (!Object.hasOwn(values, key)) return;
      const { [key]: _, ...rest } = values;
      values = rest;
      save();
    },
  };
}
