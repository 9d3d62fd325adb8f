#!/usr/bin/env node
// The size of @gatehouse-auth/client in a browser: its main entry bundled with esbuild for the browser (ESM,
// minified, @gatehouse-auth/core included), then gzipped. Fails when the gzipped size is over the budget, or when a
// Node built-in (`node:fs`, `fs`, `crypto`, …) would be pulled into the browser build.
//
//   node scripts/bundle-size.mjs          # prints a line; `--json` prints { bytes, gzipBytes, limit, ok }
//   node scripts/bundle-size.mjs --entry other.ts   # measures another entry (the test checks the guard with it)
//
// It bundles the TypeScript sources (what `tsc -b` compiles to packages/client/dist), so it needs no build.
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
/** The budget of issue 4: 12 KiB, minified and gzipped. */
const LIMIT = 12 * 1024;

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const reached = [];

const entryFlag = process.argv.indexOf('--entry');
const entry = entryFlag > 0 ? resolve(process.argv[entryFlag + 1] ?? '') : join(root, 'packages/client/src/index.ts');

const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  metafile: true,
  logLevel: 'silent',
  alias: { '@gatehouse-auth/core': join(root, 'packages/core/src/index.ts') },
  plugins: [
    {
      name: 'no-node-builtins',
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => {
          if (!builtins.has(args.path)) return undefined;
          reached.push(`${args.path} (imported by ${args.importer.replace(`${root}/`, '')})`);
          return { path: args.path, external: true };
        });
      },
    },
  ],
});

const code = result.outputFiles[0].contents;
const gzipBytes = gzipSync(code, { level: 9 }).length;
const report = { bytes: code.length, gzipBytes, limit: LIMIT, nodeBuiltins: reached, ok: false };
report.ok = gzipBytes <= LIMIT && reached.length === 0;

if (process.argv.includes('--json')) console.log(JSON.stringify(report));
else {
  const kib = (n) => `${(n / 1024).toFixed(2)} KiB`;
  console.log(
    `@gatehouse-auth/client browser build: ${kib(code.length)} minified, ${kib(gzipBytes)} gzipped (limit ${kib(LIMIT)})`,
  );
  for (const item of reached) console.error(`  Node built-in in the browser build: ${item}`);
  if (gzipBytes > LIMIT) console.error('  over the size budget');
}
process.exit(report.ok ? 0 : 1);
