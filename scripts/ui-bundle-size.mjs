#!/usr/bin/env node
// The size of @gatehouse-auth/ui's elements in a browser: each block's entry bundled with esbuild for the
// browser (ESM, minified, code-split, Lit and @gatehouse-auth/client included), then gzipped. What is counted
// is what a page loads to show the block: the entry and the chunks it imports statically. What loads on use —
// the languages other than English, and the login buttons' later screens (sign-up, forgot and change password)
// — is left out. Fails when `<gatehouse-login-buttons>` is over its budget, or when a block's first load
// contains another block.
//
//   node scripts/ui-bundle-size.mjs           # a line per block; `--json` prints the report
//
// It bundles the TypeScript sources, so it needs no build.
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
/**
 * The budget: the login buttons, with everything their first view needs, at most 25 KiB gzipped — plus 1 KiB
 * since the SDK they carry logs in with external services (`loginWith`, ~0.8 KiB gzipped, which must open its
 * popup synchronously in the click, so it cannot load later).
 */
const LIMIT = 26 * 1024;
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
  'email-code',
  'two-factor-step',
  'two-factor',
];
/**
 * What each block's first load may contain besides itself: the login buttons show these at once; the code
 * sign-in shows the two-factor step.
 */
const COMPOSED = { 'login-buttons': ['sign-in', 'oauth-buttons'], 'email-code': ['two-factor-step'] };

const relativeTo = (path) => relative(root, path);
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
    splitting: true,
    outdir: join(root, '.ui-size'),
    metafile: true,
    logLevel: 'silent',
    alias: {
      '@gatehouse-auth/core': join(root, 'packages/core/src/index.ts'),
      '@gatehouse-auth/client/passkeys': join(root, 'packages/client/src/passkeys.ts'),
      '@gatehouse-auth/client/passwordless': join(root, 'packages/client/src/passwordless.ts'),
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
  // The entry's output and, transitively, the chunks it imports statically: the first load.
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint);
  const first = new Set();
  const visit = (path) => {
    if (first.has(path)) return;
    first.add(path);
    for (const { path: next, kind } of outputs[path].imports)
      if (kind === 'import-statement' && outputs[next]) visit(next);
  };
  visit(entry);
  const files = result.outputFiles.filter((file) => first.has(relativeTo(file.path)));
  const code = Buffer.concat(files.map((file) => file.contents));
  const inputs = [...first].flatMap((path) => Object.keys(outputs[path].inputs));
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
