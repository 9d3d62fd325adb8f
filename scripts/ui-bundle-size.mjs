#!/usr/bin/env node
// The size of @gatehouse-auth/ui's elements in a browser: each block's entry bundled with esbuild for the
// browser (ESM, minified, Lit and @gatehouse-auth/client included), then gzipped. The languages other than
// English are separate chunks loaded on first use, so they are left out of the count. Fails when
// `<gatehouse-login-buttons>` is over its budget, or when a block's bundle contains another block.
//
//   node scripts/ui-bundle-size.mjs           # a line per block; `--json` prints the report
//
// It bundles the TypeScript sources, so it needs no build.
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
/** The budget of issue 11: the login buttons, with everything they need, at most 25 KiB gzipped. */
const LIMIT = 25 * 1024;
const BLOCKS = [
  'login-buttons',
  'sign-in',
  'sign-up',
  'forgot-password',
  'reset-password',
  'confirm-email',
  'change-password',
  'user-menu',
  'guest',
  'sessions',
  'oauth-buttons',
];
/** What each block may contain besides itself: login-buttons is made of other blocks. */
const COMPOSED = { 'login-buttons': ['sign-in', 'sign-up', 'forgot-password', 'change-password', 'oauth-buttons'] };

const report = { limit: LIMIT, blocks: {}, problems: [], ok: false };
for (const block of BLOCKS) {
  const result = await build({
    entryPoints: [join(root, `packages/ui/src/elements/${block}.ts`)],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    write: false,
    metafile: true,
    logLevel: 'silent',
    alias: {
      '@gatehouse-auth/core': join(root, 'packages/core/src/index.ts'),
      '@gatehouse-auth/client': join(root, 'packages/client/src/index.ts'),
    },
    plugins: [
      {
        name: 'languages-apart',
        setup(b) {
          b.onResolve({ filter: /^\.\/(de|fr|es|ja|ar)\.js$/ }, (args) => ({ path: args.path, external: true }));
        },
      },
    ],
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.keys(result.metafile.inputs);
  const others = BLOCKS.filter(
    (other) =>
      other !== block &&
      !(COMPOSED[block] ?? []).includes(other) &&
      inputs.includes(`packages/ui/src/elements/${other}.ts`),
  );
  const languages = inputs.filter((path) => /i18n\/(de|fr|es|ja|ar)\.ts$/.test(path));
  report.blocks[block] = { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, others, languages };
  for (const other of others) report.problems.push(`${block} pulls in ${other}`);
  for (const language of languages) report.problems.push(`${block} bundles ${language} (should load on use)`);
}
if (report.blocks['login-buttons'].gzipBytes > LIMIT) report.problems.push('login-buttons is over the size budget');
report.ok = report.problems.length === 0;

if (process.argv.includes('--json')) console.log(JSON.stringify(report));
else {
  const kib = (n) => `${(n / 1024).toFixed(2)} KiB`;
  for (const [block, r] of Object.entries(report.blocks))
    console.log(`<gatehouse-${block}>: ${kib(r.bytes)} minified, ${kib(r.gzipBytes)} gzipped`);
  console.log(`budget of <gatehouse-login-buttons>: ${kib(LIMIT)} gzipped`);
  for (const problem of report.problems) console.error(`  ${problem}`);
}
process.exit(report.ok ? 0 : 1);
