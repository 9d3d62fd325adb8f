import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every module URL a fresh node process loads while importing `entry` (a built file of this package). */
function modulesLoadedBy(entry: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-modules-'));
  dirs.push(dir);
  const list = join(dir, 'loaded.txt');
  const hooks =
    "import { appendFileSync } from 'node:fs';" +
    'export async function load(url, context, next) {' +
    `  appendFileSync(${JSON.stringify(list)}, url + '\\n');` +
    '  return next(url, context);' +
    '}';
  const script =
    "import { register } from 'node:module';" +
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});` +
    `await import(${JSON.stringify(fileURLToPath(new URL(`../dist/${entry}`, import.meta.url)))});`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
  return readFileSync(list, 'utf8').split('\n').filter(Boolean);
}

describe('gatehouse serve (bin.ts loads serve-main.js for it)', () => {
  it('loads no route, account core, database driver or front end before it knows it is a worker', () => {
    const loaded = modulesLoadedBy('serve-main.js');
    expect(loaded.some((url) => url.includes('/config/load.js'))).toBe(true);
    const heavy = loaded.filter((url) =>
      /\/(server|storage)\/dist\/index\.js$|\/node_modules\/(kysely|hono|better-sqlite3|pg|ws|sockjs|nodemailer|prom-client)\//.test(
        url,
      ),
    );
    expect(heavy).toEqual([]);
  });

  it('the whole CLI does load them (so the check above can fail)', () => {
    const loaded = modulesLoadedBy('main.js');
    expect(loaded.some((url) => /\/node_modules\/kysely\//.test(url))).toBe(true);
  });
});
