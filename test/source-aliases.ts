import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * esbuild aliases that bundle the workspace packages from their sources, every entry point of each — one list,
 * so a browser test cannot miss an entry a component imports. The subpaths come before their package: esbuild
 * would otherwise read `@gatehouse-auth/client/passkeys` as a path under the client's `index.ts`.
 */
export const SOURCE_ALIASES: Record<string, string> = {
  '@gatehouse-auth/core': join(ROOT, 'packages/core/src/index.ts'),
  '@gatehouse-auth/client/passkeys': join(ROOT, 'packages/client/src/passkeys.ts'),
  '@gatehouse-auth/client/passwordless': join(ROOT, 'packages/client/src/passwordless.ts'),
  '@gatehouse-auth/client': join(ROOT, 'packages/client/src/index.ts'),
};
