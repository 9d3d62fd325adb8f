#!/usr/bin/env node
import { readFileSync } from 'node:fs';
// Where a server's memory goes: starts `gatehouse serve` (SQLite) with bench/memory-probe.cjs preloaded,
// reads it idle, then under password login and token refresh, and prints per process the peak RSS next to
// the V8 heap (total/used), external and array buffers at that moment, plus /proc smaps_rollup when idle.
// Variants (extra env or node flags) run one after the other so they can be compared in one run.
// See bench/README.md ("Where the memory goes").
//
//   node bench/memory.mjs [--duration 5] [--connections 50] [--workers 1]
//                         [--variant 'name:ENV=1 --node-flag' …]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  API,
  APP_ID,
  anonymousSessions,
  measure,
  registerUsers,
  rotating,
  rssSampler,
  runCleanups,
  startServer,
} from './run.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    workers: { type: 'string', default: '1' },
    variant: { type: 'string', multiple: true, default: ['default:'] },
  },
  strict: true,
});
const PROBE = join(import.meta.dirname, 'memory-probe.cjs');
const MB = (bytes) => Math.round(bytes / 1048576);

function probeLines(logPath, since) {
  const out = [];
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.startsWith('memprobe ')) continue;
    const sample = JSON.parse(line.slice(9));
    if (sample.t >= since) out.push(sample);
  }
  return out;
}

/** Per process: the sample with the highest RSS since `since`. */
function peaks(logPath, since) {
  const byPid = new Map();
  for (const s of probeLines(logPath, since)) {
    const best = byPid.get(s.pid);
    if (!best || s.rss > best.rss) byPid.set(s.pid, s);
  }
  return [...byPid.values()].sort((a, b) => a.role.localeCompare(b.role));
}

function smapsRollup(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return {
      rssMB: Math.round(field('Rss') / 1024),
      anonMB: Math.round(field('Anonymous') / 1024),
      pssMB: Math.round(field('Pss') / 1024),
    };
  } catch {
    return null;
  }
}

const fmt = (s) =>
  `${s.role.padEnd(7)} rss ${MB(s.rss)} heapTotal ${MB(s.heapTotal)} heapUsed ${MB(s.heapUsed)} external ${MB(s.external)} arrayBuffers ${MB(s.arrayBuffers)} threads ${s.threads} (other ${MB(s.rss - s.heapTotal - s.external)})`;

const duration = Number(values.duration);
const connections = Number(values.connections);
const workers = Number(values.workers);
console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the start`,
);
for (const variant of values.variant) {
  const [name, spec = ''] = variant.split(/:(.*)/s);
  const env = {};
  const flags = [];
  for (const word of spec.split(/\s+/).filter(Boolean)) {
    if (word.startsWith('--')) flags.push(word);
    else {
      const [k, v] = word.split(/=(.*)/s);
      env[k] = v;
    }
  }
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const tmp = await mkdtemp(join(os.tmpdir(), 'gatehouse-mem-'));
  const server = await startServer({ dialect: 'sqlite', tmp, workers, nodeOptions: ['--require', PROBE, ...flags] });
  for (const k of Object.keys(env))
    if (k in saved) process.env[k] = saved[k];
    else delete process.env[k];
  const rss = rssSampler(server.pid);
  try {
    const users = await registerUsers(server.port);
    const sessions = await anonymousSessions(server.port);
    await sleep(3000);
    const idle = peaks(server.logPath, Date.now() - 1000);
    console.log(`\n## ${name} (${spec || 'no extra env/flags'}), ${workers} process(es) serving`);
    console.log(`idle (after setup): smaps_rollup of the first process ${JSON.stringify(smapsRollup(server.pid))}`);
    for (const s of idle) console.log(`  ${fmt(s)}`);
    const url = `http://127.0.0.1:${server.port}`;
    const scenarios = {
      'password-login': rotating(
        'POST',
        `${API}/app/${APP_ID}/auth/providers/local-userpass/login`,
        users.length,
        (i) => ({
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: users[i].email, password: users[i].password }),
        }),
      ),
      'token-refresh': rotating('POST', `${API}/auth/session`, sessions.length, (i) => ({
        headers: { authorization: `Bearer ${sessions[i].refresh}` },
      })),
    };
    for (const [scenario, requests] of Object.entries(scenarios)) {
      const since = Date.now();
      rss.mark(scenario);
      const m = await measure({ url, requests, connections, duration }, { serverPid: server.pid, what: null });
      await sleep(300);
      console.log(
        `${scenario}: ${Math.round(m.reqPerSec * 10) / 10} req/s, p99 ${m.p99} ms, failed ${m.non2xx + m.errors}`,
      );
      for (const s of peaks(server.logPath, since)) console.log(`  peak ${fmt(s)}`);
    }
    const r = rss.stop();
    console.log(
      `max RSS ${r.maxMB} MB by role ${JSON.stringify(r.maxByRoleMB)} per scenario ${JSON.stringify(r.perScenarioMaxMB)}`,
    );
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
console.log(
  `\nload average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end`,
);
await runCleanups();
process.exit(0);
