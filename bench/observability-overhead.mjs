#!/usr/bin/env node
// What request logs and metrics cost: the same `gatehouse serve` (the built CLI, SQLite) loaded with autocannon
// on one cheap route — the location request, where per-request overhead shows most — three times: logs at
// `warn` (no request lines) and metrics off; request lines at `info` (written to a file); request lines and
// metrics on. Loopback only; each load ends after --duration seconds.
//
//   node bench/observability-overhead.mjs [--duration 10] [--connections 50]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'packages/cli/dist/bin.js');
const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
});
const duration = Math.min(60, Number(values.duration));
const connections = Math.min(200, Number(values.connections));
const { generateSigningKey } = await import(join(root, 'packages/server/dist/index.js'));

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function measure(label, { logLevel, metrics }) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-obs-bench-'));
  const port = await freePort();
  const config = {
    publicUrl: `http://127.0.0.1:${port}`,
    database: { url: `sqlite:${join(dir, 'gatehouse.db')}` },
    keys: [await generateSigningKey('ES256')],
    logLevel,
    metrics: { enabled: metrics, host: '127.0.0.1', port: metrics ? await freePort() : 9464 },
    apps: { 'bench-app': { providers: { 'anon-user': {} } } },
  };
  const path = join(dir, 'gatehouse.config.json');
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', path, '--port', String(port)], {
    env: { ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const log = createWriteStream(join(dir, 'server.log'));
  child.stdout.pipe(log);
  const url = `http://127.0.0.1:${port}/api/client/v2.0/app/bench-app/location`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  await autocannon({ url, connections, duration: 1 }); // warm-up
  const result = await autocannon({ url, connections, duration, timeout: 10 });
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return { label, rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99 };
}

const rows = [
  await measure('logs at warn, metrics off', { logLevel: 'warn', metrics: false }),
  await measure('request lines (info), metrics off', { logLevel: 'info', metrics: false }),
  await measure('request lines (info), metrics on', { logLevel: 'info', metrics: true }),
];
process.stdout.write(`| configuration | req/s | p50 ms | p99 ms |\n| --- | --- | --- | --- |\n`);
for (const r of rows) process.stdout.write(`| ${r.label} | ${r.rps} | ${r.p50} | ${r.p99} |\n`);
