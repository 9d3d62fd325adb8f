import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type ServedGatehouse, serveGatehouse } from './serve.js';

const SMOKE = join(ROOT, '../shared/compat/realm-web-smoke.mjs');

/**
 * The shared compatibility check: an unmodified realm-web 2.0.1 drives `gatehouse serve` through anonymous
 * and email/password sign-in (`shared/compat/realm-web-smoke.mjs`), on SQLite and on PostgreSQL, with the
 * real password-hashing parameters.
 */
describe.each(['sqlite', 'postgres'] as const)('realm-web smoke check against gatehouse serve (%s)', (dialect) => {
  let served: ServedGatehouse;
  beforeAll(async () => {
    served = await serveGatehouse(dialect, {
      providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
    });
  });
  afterAll(async () => {
    expect(await served?.stop()).toBe(0);
  });

  it('passes every check, core and compat', async () => {
    expect(existsSync(SMOKE), `${SMOKE} is missing: CI puts shared/ beside the clone`).toBe(true);
    const child = spawn(process.execPath, [SMOKE], {
      env: { ...process.env, REALM_BASE_URL: served.url, REALM_APP_ID: served.appId, REALM_WEB_DIR: ROOT },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(out, out).toMatch(/# (\d+)\/\1 passed, 0 failed/);
    expect(code, out).toBe(0);
    expect(out).not.toMatch(/^not ok/m);
  }, 120_000);
});
