#!/usr/bin/env node
// What request logs and metrics cost: the same `gatehouse serve` (the built CLI, SQLite) loaded with autocannon
// on one cheap route — the location request, where per-request overhead shows most — three times: logs at
// `warn` (no request lines) and metrics off; request lines at `info` (written to a file); request lines and
// metrics on. Loopback only; each load ends after --duration seconds.
//
//   node bench/observability-overhead.mjs [--duration 10] [--connections 50] [--rounds 3]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'packages/cli/dist/bin.js');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const rounds = Math.min(9, Math.max(1, Number(values.rounds)));
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

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux); 0 elsewhere. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return 0;
  }
}

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
  const before = cpuMs(child.pid);
  const result = await autocannon({ url, connections, duration, timeout: 10 });
  const cpu = cpuMs(child.pid) - before;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  const cpuUsPerRequest = Math.round((cpu * 1000) / Math.max(1, result.requests.total));
  return {
    label,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUsPerRequest,
  };
}

// Rounds interleave the three (A B C A B C …), so a change in the machine's other load hits each alike.
const configs = [
  ['logs at warn, metrics off', { logLevel: 'warn', metrics: false }],
  ['request lines (info), metrics off', { logLevel: 'info', metrics: false }],
  ['request lines (info), metrics on', { logLevel: 'info', metrics: true }],
];
const runs = new Map(configs.map(([label]) => [label, []]));
for (let round = 0; round < rounds; round++)
  for (const [label, options] of configs) runs.get(label).push(await measure(label, options));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(
  `| configuration | req/s (median of ${rounds}) | p50 ms | p99 ms | server CPU µs per request |\n| --- | --- | --- | --- | --- |\n`,
);
for (const [label, results] of runs) {
  const pick = (key) => median(results.map((r) => r[key]));
  process.stdout.write(
    `| ${label} | ${pick('rps')} | ${pick('p50')} | ${pick('p99')} | ${pick('cpuUsPerRequest')} |\n`,
  );
}
