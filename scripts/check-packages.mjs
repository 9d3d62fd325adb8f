#!/usr/bin/env node
// Checks every workspace package as the registry would ship it (after `npm run build`): publint (package.json
// fields, `exports`, files that exist in the tarball) and Are the Types Wrong (every entry point's types
// resolve under Node's ESM resolution and in bundlers). The packages are ESM-only, so attw's `esm-only`
// profile leaves out the resolutions where that is expected (CommonJS `require`, TypeScript's old `node10`).
// The pack test (test/packaging/pack.test.ts) then installs the same tarballs and runs them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

let failed = 0;
for (const workspace of workspaces) {
  const dir = join(root, workspace);
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [tool, args] of [
    ['publint', [bin('publint'), 'run', dir, '--strict']],
    ['attw', [bin('attw'), '--pack', dir, '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    const result = spawnSync(args[0], args.slice(1), { cwd: root, encoding: 'utf8' });
    if (result.status === 0) process.stdout.write(`${name}: ${tool} ok\n`);
    else {
      failed++;
      process.stdout.write(`${name}: ${tool} FAILED\n${result.stdout}${result.stderr}\n`);
    }
  }
}
if (failed) {
  process.stderr.write(`check-packages: ${failed} check(s) failed\n`);
  process.exit(1);
}
