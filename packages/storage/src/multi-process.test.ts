import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { objectId } from '@gatehouse-auth/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStorage } from './index.js';

/**
 * `gatehouse serve --workers <n>` runs several processes on one SQLite file. These writers are real processes
 * (child_process), each with its own connection, racing through the same promises the conformance suite's
 * concurrency cases check within one process: WAL, `BEGIN IMMEDIATE` and the busy timeout must make them hold
 * across processes too, with no `SQLITE_BUSY` reaching a caller.
 *
 * The children load the built package (`dist/`): a child process does not go through vitest's transformer.
 */
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const NOW = Date.UTC(2025, 5, 1);
const WRITERS = 3;

/** One writer: migrates, waits for the start file, then races the others; prints one JSON line of results. */
const WRITER = `
import { existsSync } from 'node:fs';
const [dist, filename, start, appId, userId, tokenId, tokenHash, sessionId, index] = process.argv.slice(2);
const { createSqliteStorage } = await import(dist);
const storage = await createSqliteStorage({ filename });
const errors = [];
const attempt = async (what, run) => { try { return await run(); } catch (error) { errors.push(what + ': ' + error.name + ' ' + (error.code ?? '') + ' ' + error.message); return undefined; } };
await attempt('migrate', () => storage.migrate());
process.stdout.write('ready\\n');
while (!existsSync(start)) await new Promise((resolve) => setTimeout(resolve, 5));
const now = ${NOW};
const id = () => Math.random().toString(16).slice(2).padEnd(24, '0').slice(0, 24);
const results = await Promise.all([
  attempt('createUser', () => storage.createUser({ id: id(), appId, now, emails: [{ address: index % 2 ? 'Ann@Example.com' : 'ann@EXAMPLE.com', verified: false }] })).then((u) => u !== undefined),
  attempt('consume', () => storage.consumeOneTimeToken({ appId, id: tokenId, tokenHash, purpose: 'reset-password', now: now + 1 })).then((r) => r != null),
  attempt('revoke', () => storage.revokeSession(appId, sessionId, now + 1)),
]);
let writes = 0;
for (let i = 0; i < 40; i++) {
  const sid = id();
  const ok = await attempt('session', async () => {
    await storage.createSession({ id: sid, appId, userId, deviceId: id(), refreshHash: 'r-' + sid, providerType: 'local-userpass', now, expiresAt: now + 86400000 });
    await storage.touchSession(appId, sid, now + i);
    await storage.recordAuditEvent({ appId, userId, type: 'login', ip: null, now });
    return true;
  });
  if (ok) writes++;
}
await storage.close();
process.stdout.write(JSON.stringify({ createdUser: results[0], consumed: results[1], revoked: results[2], writes, errors }) + '\\n');
`;

interface WriterResult {
  createdUser: boolean;
  consumed: boolean;
  revoked: boolean;
  writes: number;
  errors: string[];
}

describe('SQLite with several processes writing one file', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!existsSync(DIST))(
    'keeps the concurrency promises across processes, without SQLITE_BUSY',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'gatehouse-multi-'));
      dirs.push(dir);
      const filename = join(dir, 'gatehouse.db');
      const start = join(dir, 'start');
      const script = join(dir, 'writer.mjs');
      await writeFile(script, WRITER);

      // The race's targets: one reset token, one session to revoke, a user owning the writers' sessions.
      const setup = await createSqliteStorage({ filename });
      await setup.migrate();
      const appId = `app-${objectId()}`;
      const owner = await setup.createUser({ id: objectId(), appId, now: NOW });
      const tokenHash = `token-${objectId()}`;
      const tokenId = objectId();
      await setup.createOneTimeToken({
        id: tokenId,
        appId,
        userId: owner.id,
        purpose: 'reset-password',
        tokenHash,
        now: NOW,
        expiresAt: NOW + 60_000,
      });
      const session = await setup.createSession({
        id: objectId(),
        appId,
        userId: owner.id,
        deviceId: objectId(),
        refreshHash: `refresh-${objectId()}`,
        providerType: 'local-userpass',
        now: NOW,
        expiresAt: NOW + 86_400_000,
      });
      await setup.close();

      const writers = Array.from({ length: WRITERS }, (_, index) => {
        const child = spawn(
          process.execPath,
          [
            script,
            pathToFileURL(DIST).href,
            filename,
            start,
            appId,
            owner.id,
            tokenId,
            tokenHash,
            session.id,
            String(index),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
        const ready = new Promise<void>((resolve, reject) => {
          const check = () => (out.includes('ready\n') ? resolve() : undefined);
          child.stdout.on('data', check);
          child.on('close', () => reject(new Error(`writer ${index} exited before it was ready: ${err}`)));
        });
        const done = new Promise<WriterResult>((resolve, reject) =>
          child.on('close', (code) => {
            const line = out.trim().split('\n').at(-1) ?? '';
            if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line));
            else reject(new Error(`writer ${index} exited with ${code}: ${err}`));
          }),
        );
        done.catch(() => {});
        return { ready, done };
      });
      await Promise.all(writers.map((w) => w.ready));
      await writeFile(start, '');
      const results = await Promise.all(writers.map((w) => w.done));

      expect(results.flatMap((r) => r.errors).filter((e) => !e.startsWith('createUser'))).toEqual([]);
      // One email (in different case) created by exactly one process; the others got the conflict.
      expect(results.filter((r) => r.createdUser)).toHaveLength(1);
      for (const r of results.filter((r) => !r.createdUser))
        expect(r.errors.join('\n')).toMatch(/createUser: StorageConflictError/);
      expect(results.filter((r) => r.consumed)).toHaveLength(1);
      expect(results.filter((r) => r.revoked)).toHaveLength(1);
      expect(results.map((r) => r.writes)).toEqual(Array(WRITERS).fill(40));

      const check = await createSqliteStorage({ filename });
      try {
        expect(await check.listActiveSessions(appId, owner.id, NOW + 2)).toHaveLength(WRITERS * 40);
        expect((await check.findUserByEmail(appId, 'ann@example.com'))?.emails[0]?.address.toLowerCase()).toBe(
          'ann@example.com',
        );
      } finally {
        await check.close();
      }
    },
    60_000,
  );
});
