#!/usr/bin/env node
// Packs the workspace packages as npm would publish them and installs the tarballs into an empty directory,
// with no workspace around it: what a user gets from `npm install @gatehouse-auth/…`. Third-party
// dependencies come from the registry, resolved afresh within the packages' ranges.
//
// Used by the Dockerfile (the image's build stage) and by the pack test (test/packaging/pack.test.ts), so the
// image is built by the steps the test runs.
//
//   node scripts/pack-install.mjs --out <dir> [--packages cli,server,storage,core] [--reuse-native]
//
// --out       the directory to create: <out>/tarballs holds the packs, <out>/app the installation
// --packages  which packages the installation depends on (default: all); the ones they depend on must be
//             listed too, since they are not on the registry
// --reuse-native  instead of compiling better-sqlite3 again (a minute or two), use the binary this
//             repository's `npm ci` compiled, pinning the installation to that better-sqlite3 version. The pack
//             test uses it to stay fast; the Dockerfile does not.
//
// Requires `npm run build` first. Prints the installation directory on its last line.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    packages: { type: 'string' },
    'reuse-native': { type: 'boolean', default: false },
  },
});
if (!values.out) {
  process.stderr.write('usage: node scripts/pack-install.mjs --out <dir> [--packages a,b] [--reuse-native]\n');
  process.exit(2);
}
const out = resolve(values.out);
const tarballs = join(out, 'tarballs');
const app = join(out, 'app');
mkdirSync(tarballs, { recursive: true });
mkdirSync(app, { recursive: true });

function run(command, args, cwd, env = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    process.stderr.write(`pack-install: '${command} ${args.join(' ')}' failed in ${cwd}\n`);
    process.exit(1);
  }
  return result.stdout;
}

const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const workspace of workspaces) {
  if (!existsSync(join(root, workspace, 'dist', 'index.js'))) {
    process.stderr.write(`pack-install: ${workspace}/dist is missing: run \`npm run build\` first\n`);
    process.exit(1);
  }
}

// 1. Pack, as `npm publish` would (the `files` of each package.json, plus package.json, README and LICENSE).
const packed = JSON.parse(run('npm', ['pack', '--workspaces', '--json', '--pack-destination', tarballs], root));
const wanted = values.packages ? values.packages.split(',').map((name) => `@gatehouse-auth/${name.trim()}`) : null;
const dependencies = {};
for (const { name, filename } of packed) {
  if (!wanted || wanted.includes(name)) dependencies[name] = `file:../tarballs/${filename}`;
}
for (const name of wanted ?? []) {
  if (!dependencies[name]) {
    process.stderr.write(`pack-install: no workspace package ${name}\n`);
    process.exit(1);
  }
}

// 2. Install into an empty project. Workspace packages depend on each other by version range (^0.1.0); listing
// every tarball at the top makes npm use them instead of looking for those versions on the registry.
const installedNative = join(root, 'node_modules', 'better-sqlite3');
const nativeVersion = JSON.parse(readFileSync(join(installedNative, 'package.json'), 'utf8')).version;
if (values['reuse-native']) dependencies['better-sqlite3'] = nativeVersion;
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ name: 'gatehouse-installed', private: true, type: 'module', dependencies }, null, 2)}\n`,
);
const flags = ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
if (values['reuse-native']) {
  // Nothing else here has an install script that matters: @node-rs/argon2 ships its binary as a registry package.
  run('npm', [...flags, '--ignore-scripts'], app);
  const target = join(app, 'node_modules', 'better-sqlite3', 'build', 'Release');
  mkdirSync(target, { recursive: true });
  copyFileSync(join(installedNative, 'build', 'Release', 'better_sqlite3.node'), join(target, 'better_sqlite3.node'));
} else {
  // better-sqlite3 compiles from source: no prebuilt binary is downloaded (needs python3, make and a C++ compiler).
  run('npm', flags, app, { npm_config_build_from_source: 'true' });
}
process.stdout.write(`${app}\n`);
