#!/usr/bin/env node
// Checks that packages import each other only downward (docs/design/account-core.md; the README's package list):
//
//   cli ──► server ──► storage ──► core          ui ──► client ──► core          react ──► ui, client
//   (server ──► ui: it serves the UI's browser bundle on the hosted pages; it imports none of its code)
//
// A package may import itself and the packages listed for it below — in its package.json dependencies and
// in its source — and never another package's files by path (no deep imports across packages).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ALLOWED = {
  core: [],
  storage: ['core'],
  server: ['core', 'storage', 'ui'],
  client: ['core'],
  react: ['ui', 'client', 'core'],
  ui: ['client', 'core'],
  cli: ['server', 'storage', 'core'],
};

const root = resolve(import.meta.dirname, '..');
const problems = [];

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(m?[jt]sx?)$/.test(name)) yield path;
  }
}

for (const pkg of readdirSync(join(root, 'packages'))) {
  const allowed = ALLOWED[pkg];
  if (!allowed) {
    problems.push(`packages/${pkg}: not in the allowed-imports table of scripts/check-imports.mjs`);
    continue;
  }
  const manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const dep of Object.keys(manifest[field] ?? {})) {
      const m = /^@gatehouse-auth\/(.+)$/.exec(dep);
      if (m && !allowed.includes(m[1]))
        problems.push(`packages/${pkg}/package.json ${field}: ${dep} (allowed: ${allowed.join(', ') || 'none'})`);
    }
  }
  const src = join(root, 'packages', pkg, 'src');
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      const where = relative(root, file);
      const pkgImport = /^@gatehouse-auth\/([^/]+)(\/.*)?$/.exec(spec);
      if (pkgImport) {
        const [, target, sub] = pkgImport;
        const isTest = /\.test\.[jt]s$|\/testing\//.test(file);
        if (target !== pkg && !allowed.includes(target))
          problems.push(`${where}: imports ${spec} (allowed: ${allowed.join(', ') || 'none'})`);
        // Only a package's public entry points (its `exports`); `/testing` helpers are for tests alone.
        const exported = JSON.parse(readFileSync(join(root, 'packages', target, 'package.json'), 'utf8')).exports ?? {};
        if (sub && !(sub === '/testing' && isTest) && !(`.${sub}` in exported && sub !== '/testing'))
          problems.push(`${where}: deep import ${spec}`);
      } else if (spec.startsWith('.')) {
        const target = resolve(file, '..', spec);
        if (!target.startsWith(join(root, 'packages', pkg) + '/'))
          problems.push(`${where}: relative import leaves the package: ${spec}`);
      }
    }
  }
}

if (problems.length) {
  console.error(`import direction check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('import direction check: ok');
