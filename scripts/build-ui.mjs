#!/usr/bin/env node
// The single-file browser bundle of @gatehouse-auth/ui: every element, Lit and @gatehouse-auth/client in one
// ES module (`packages/ui/dist/browser/gatehouse-ui.js`), with every language inlined, for a server to serve
// and a page to load with one <script type="module">. Bundles the compiled packages (run after `tsc -b`).
//
//   node scripts/build-ui.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'packages/ui/dist/browser');

const result = await build({
  entryPoints: [join(root, 'packages/ui/dist/index.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  legalComments: 'eof',
  // The catalogues' Arabic and Japanese stay UTF-8 (serve the file with charset=utf-8), not \u escapes.
  charset: 'utf8',
  logLevel: 'warning',
});
const code = result.outputFiles[0].contents;
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'gatehouse-ui.js'), code);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `packages/ui/dist/browser/gatehouse-ui.js: ${kib(code.length)} minified, ${kib(gzipSync(code).length)} gzipped`,
);
