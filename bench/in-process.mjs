#!/usr/bin/env node
// CPU per token refresh and per profile read through `gatehouse.fetch` in this process — no HTTP, no load
// generator — for comparing two builds of the server where whole-server runs are too noisy to tell a few
// percent apart. SQLite in a temporary directory; 4 requests in flight; 2,000 unmeasured, then 6,000 measured.
//
//   node bench/in-process.mjs [path/to/packages/server/dist/index.js]
//
// Run the two builds alternately, several times each, and compare the smallest figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.argv[2] ?? join(import.meta.dirname, '../packages/server/dist/index.js'));
const { createGatehouse, generateSigningKey } = await import(pathToFileURL(dist).href);
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-in-process-'));
const gatehouse = await createGatehouse({
  publicUrl: 'http://127.0.0.1:1',
  database: { url: `sqlite:${join(dir, 'bench.db')}` },
  keys: [await generateSigningKey('ES256')],
  logLevel: 'warn',
  rateLimits: { newAccountsPerAddress: 1_000_000 },
  apps: { bench: { providers: { 'anon-user': {} } } },
});
const API = 'http://127.0.0.1:1/api/client/v2.0';
const from = { address: '127.0.0.1' };
const sessions = [];
for (let i = 0; i < 20; i++) {
  const response = await gatehouse.fetch(
    new Request(`${API}/app/bench/auth/providers/anon-user/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }),
    from,
  );
  sessions.push(await response.json());
}

const call = {
  refresh: (s) =>
    new Request(`${API}/auth/session`, { method: 'POST', headers: { authorization: `Bearer ${s.refresh_token}` } }),
  profile: (s) => new Request(`${API}/auth/profile`, { headers: { authorization: `Bearer ${s.access_token}` } }),
};

async function run(kind, count) {
  let next = 0;
  const loop = async () => {
    while (next < count) {
      const response = await gatehouse.fetch(call[kind](sessions[next++ % sessions.length]), from);
      if (!response.ok) throw new Error(`${kind}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
}

try {
  for (const kind of Object.keys(call)) {
    await run(kind, 2_000);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run(kind, 6_000);
    const used = process.cpuUsage(cpu);
    const wall = performance.now() - started;
    console.log(
      `${kind}: ${((used.user + used.system) / 6_000).toFixed(0)} µs of CPU per request, ${((wall * 1000) / 6_000).toFixed(0)} µs wall`,
    );
  }
} finally {
  await gatehouse.close();
  rmSync(dir, { recursive: true, force: true });
}
