import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of every workspace package, not their builds.
    alias: [
      { find: /^@gatehouse-auth\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@gatehouse-auth\/storage\/testing$/, replacement: src('storage/src/testing/index.ts') },
      { find: /^@gatehouse-auth\/storage$/, replacement: src('storage/src/index.ts') },
      { find: /^@gatehouse-auth\/server\/testing$/, replacement: src('server/src/testing/index.ts') },
      { find: /^@gatehouse-auth\/server$/, replacement: src('server/src/index.ts') },
      { find: /^@gatehouse-auth\/client\/node$/, replacement: src('client/src/node/index.ts') },
      { find: /^@gatehouse-auth\/client\/passkeys$/, replacement: src('client/src/passkeys.ts') },
      { find: /^@gatehouse-auth\/client\/passwordless$/, replacement: src('client/src/passwordless.ts') },
      { find: /^@gatehouse-auth\/client$/, replacement: src('client/src/index.ts') },
      { find: /^@gatehouse-auth\/react$/, replacement: src('react/src/index.ts') },
      { find: /^@gatehouse-auth\/ui\/(.+)$/, replacement: src('ui/src/elements/$1.ts') },
      { find: /^@gatehouse-auth\/ui$/, replacement: src('ui/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
