import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { APP, acknowledged, byStatus, startGatehouseProcess, startLoad, waitFor } from './harness.js';

/**
 * Issue 14, item 5: SIGTERM under keep-alive load. Every request sent before the signal is answered
 * successfully; after it, clients are told `Connection: close` and find the port closed, never a request cut
 * half-way; every acknowledged registration is in the database.
 */
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-faults-drain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('graceful shutdown', () => {
  it('finishes every request accepted before SIGTERM and loses no acknowledged write', async () => {
    const file = join(dir, 'gatehouse.db');
    const gatehouse = await startGatehouseProcess({
      database: { url: `sqlite:${file}` },
      // The load signs up many accounts from one address.
      rateLimits: { newAccountsPerAddress: 1_000_000 },
      apps: { [APP]: { providers: { 'local-userpass': { confirmation: 'auto' } } } },
    });
    const load = startLoad(gatehouse.url, { tag: 'drain', workers: 6, pauseMs: 5 });
    await waitFor('some traffic', () => load.samples.filter((s) => s.status === 200).length >= 20, 15_000);
    const sigtermAt = Date.now();
    const stopping = gatehouse.stop('SIGTERM');
    const code = await stopping;
    const stoppedMs = Date.now() - sigtermAt;
    const samples = await load.stop();

    const before = samples.filter((s) => s.start < sigtermAt);
    const after = samples.filter((s) => s.start >= sigtermAt);
    console.log(
      `faults: SIGTERM under keep-alive load: ${samples.length} requests; sent before the signal ` +
        `${JSON.stringify(byStatus(before))}; after ${JSON.stringify(byStatus(after))} ` +
        `(${[...new Set(after.filter((s) => s.status === 0).map((s) => s.error?.trim().split(' ')[0]))].join(', ')}); ` +
        `stopped in ${stoppedMs} ms`,
    );
    expect(code).toBe(0);
    // Every request the server had accepted before the signal succeeded. The one exception a client can see is a
    // connection still in the kernel's accept queue in the last instant before the listener closed: it is reset
    // without the server ever reading it (a registration in it is not in the database, checked below).
    const neverAccepted = (s: (typeof samples)[number]) =>
      s.status === 0 && /ECONNRESET|ECONNREFUSED/.test(s.error ?? '') && sigtermAt - s.start < 100;
    expect(
      before
        .filter((s) => (s.status < 200 || s.status >= 300) && !neverAccepted(s))
        .map((s) => `${s.op} ${s.status} ${s.error ?? ''}`),
    ).toEqual([]);
    // After the signal the only failures are connections the server never took: refused once the port closed,
    // or reset by the kernel when the listening socket closed with them still in its backlog.
    const unanswered = after.filter((s) => s.status === 0);
    expect(unanswered.filter((s) => !/ECONNREFUSED|ECONNRESET/.test(s.error ?? '')).map((s) => s.error)).toEqual([]);
    expect(after.filter((s) => s.status !== 0 && (s.status < 200 || s.status >= 300))).toEqual([]);

    const db = new Database(file, { readonly: true });
    try {
      const ack = acknowledged(samples);
      const stored = new Set(
        (db.prepare('select address from user_emails').all() as { address: string }[]).map((r) => r.address),
      );
      expect(ack.filter((email) => !stored.has(email))).toEqual([]);
      expect(ack.length).toBeGreaterThan(0);
      // … and none of them reached Gatehouse: no registration was committed without an answer.
      const unansweredRegistrations = [...unanswered, ...before.filter(neverAccepted)]
        .filter((s) => s.op === 'register')
        .map((s) => s.email as string);
      expect(unansweredRegistrations.filter((email) => stored.has(email))).toEqual([]);
    } finally {
      db.close();
    }
  }, 60_000);
});
