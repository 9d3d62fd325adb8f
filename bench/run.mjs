#!/usr/bin/env node
// Gatehouse benchmark: App Services client routes under autocannon load, next to machine ceilings measured
// in the same run. See bench/README.md. Sends traffic to 127.0.0.1 only; every load loop is time-bounded and
// a watchdog ends the whole run if something hangs.
//
//   node bench/run.mjs [--dialect sqlite|postgres|both] [--duration 10] [--connections 50]
//                      [--only location,password-login,…] [--cpu-prof]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hash as argon2Hash } from '@node-rs/argon2';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'packages/cli/dist/bin.js');
const RESULTS_DIR = join(ROOT, 'bench/results');
const HOST = '127.0.0.1';
const APP_ID = 'bench-app';
const API = '/api/client/v2.0';
const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 }; // the server's defaults (config schema)
const ARGON2ID = 2; // `Algorithm.Argon2id` of @node-rs/argon2 (a const enum: no runtime value to import)
const USERS = 20; // registered email/password accounts the login scenarios cycle through
const SESSIONS = 50; // anonymous sessions whose tokens the refresh/profile scenarios cycle through
const BACKGROUND_LOGIN_CONNECTIONS = 16; // password-login load in `refresh-saturated`
const WARMUP_SECONDS = 1; // unmeasured load before each measured run (JIT, pools, caches)
const RSS_SAMPLE_MS = 250;

const SCENARIOS = ['location', 'anonymous-login', 'password-login', 'token-refresh', 'profile', 'refresh-saturated'];
const SMOKE_SCENARIOS = ['password-login', 'token-refresh', 'profile'];
const SMOKE_USERS = 4;
const LABELS = {
  location: 'location',
  'anonymous-login': 'anonymous login',
  'password-login': 'password login',
  'token-refresh': 'token refresh',
  profile: 'profile',
  'refresh-saturated': 'refresh while logins saturate hashing',
};

// ---------------------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node bench/run.mjs [options]

  --dialect sqlite|postgres|both   database(s) to run against (default both)
  --duration <s>                   seconds of measured load per scenario (default 10)
  --connections <n>                autocannon connections per scenario (default 50)
  --workers <n,…>                  run every dialect with each of these \`serve --workers\` counts (default 1)
  --only <scenario,…>              subset of: ${SCENARIOS.join(', ')}
  --cpu-prof                       run the server with --cpu-prof; profiles land in bench/results/
  --server-node-options="<flags>"  extra node flags for the server (e.g. ="--trace-gc --max-semi-space-size=4");
                                   its whole log is then kept in bench/results/
  --wait-quiet <s>                 before each measurement, wait while other processes keep the CPU busy,
                                   at most this many seconds in the whole run (default 60; 0: never wait)
  --smoke                          the CI smoke: SQLite, 1 s each of password login, token refresh and profile
                                   on 4 connections, no ceilings; exits 1 on any failed request or a scenario
                                   below half of its floor in bench/README.md
  --help                           this text`;

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        dialect: { type: 'string', default: 'both' },
        duration: { type: 'string', default: '10' },
        connections: { type: 'string', default: '50' },
        workers: { type: 'string', default: '1' },
        only: { type: 'string' },
        'cpu-prof': { type: 'boolean', default: false },
        'server-node-options': { type: 'string', default: '' },
        'wait-quiet': { type: 'string', default: '60' },
        smoke: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const fail = (message) => {
    console.error(`bench: ${message}\n\n${USAGE}`);
    process.exit(2);
  };
  const dialects = { sqlite: ['sqlite'], postgres: ['postgres'], both: ['sqlite', 'postgres'] }[values.dialect];
  if (!dialects) fail(`--dialect must be sqlite, postgres or both (got '${values.dialect}')`);
  const duration = Number(values.duration);
  if (!Number.isInteger(duration) || duration < 1 || duration > 120) fail('--duration must be a whole number 1–120');
  const connections = Number(values.connections);
  if (!Number.isInteger(connections) || connections < 1 || connections > 1000)
    fail('--connections must be a whole number 1–1000');
  let scenarios = SCENARIOS;
  if (values.only !== undefined) {
    const byLabel = Object.fromEntries(Object.entries(LABELS).map(([k, v]) => [v, k]));
    scenarios = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => (SCENARIOS.includes(s) ? s : (byLabel[s] ?? fail(`unknown scenario '${s}'`))));
    scenarios = SCENARIOS.filter((s) => scenarios.includes(s));
  }
  const workers = values.workers.split(',').map((w) => Number(w.trim()));
  if (workers.some((w) => !Number.isInteger(w) || w < 1 || w > 64)) fail('--workers takes whole numbers 1–64: 1,2');
  const waitQuiet = Number(values['wait-quiet']);
  if (!Number.isFinite(waitQuiet) || waitQuiet < 0 || waitQuiet > 600) fail('--wait-quiet must be 0–600 seconds');
  const serverNodeOptions = values['server-node-options'].split(/\s+/).filter(Boolean);
  if (serverNodeOptions.some((o) => !o.startsWith('--')))
    fail('--server-node-options takes node flags such as --trace-gc');
  if (values.smoke)
    return {
      dialects: ['sqlite'],
      duration: 1,
      connections: 4,
      workers: [1],
      scenarios: SMOKE_SCENARIOS,
      cpuProf: false,
      waitQuiet: 0,
      serverNodeOptions: [],
      smoke: true,
    };
  return {
    dialects,
    duration,
    connections,
    workers,
    scenarios,
    cpuProf: values['cpu-prof'],
    waitQuiet,
    serverNodeOptions,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Clean-up and the watchdog: whatever happens, children are stopped and the PostgreSQL database is dropped.

const cleanups = [];
async function runCleanups() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (error) {
      console.error(`bench: clean-up failed: ${error.message}`);
    }
  }
}
/** Registers `fn` to run at clean-up; returns a function that runs it now (once) and unregisters it. */
function onCleanup(fn) {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    await fn();
  };
  cleanups.push(once);
  return async () => {
    const i = cleanups.indexOf(once);
    if (i >= 0) cleanups.splice(i, 1);
    await once();
  };
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.error(`\nbench: ${signal}, cleaning up…`);
    await runCleanups();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const log = (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function freePort() {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** fetch to 127.0.0.1 with a time limit; returns { status, body }. */
async function request(port, method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`http://${HOST}:${port}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed };
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` at a time. */
async function pool(n, concurrency, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

// CPU accounting from /proc, to see where the time of each scenario went.
const CLK_TCK = 100; // USER_HZ on Linux (getconf CLK_TCK)
function procTicks(path) {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
  } catch {
    return Number.NaN;
  }
}
function machineTicks() {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  // busy: minus idle and iowait; interrupts: hard and soft IRQ time, mostly the kernel's loopback networking
  return { total, busy: total - v[3] - v[4], interrupts: v[5] + v[6] };
}
/**
 * CPU ticks of every other process, by pid: the database server's backends, and anything else running on the
 * machine that competes with the benchmark. (Processes that start and end inside a window are missed; the
 * machine-wide busy figure still counts them.)
 */
function otherProcesses(exclude) {
  const out = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || exclude.includes(Number(name))) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, { comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  return out;
}
/**
 * The server's processes: the one started, and under `--workers` its cluster workers (its children). Found by
 * parent pid in /proc.
 */
function serverProcesses(serverPid) {
  if (!serverPid) return [];
  const pids = [serverPid];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === serverPid) pids.push(Number(name));
    } catch {}
  }
  return pids;
}
function cpuSnapshot(serverPid) {
  const pids = serverProcesses(serverPid);
  const sum = (values) => (pids.length ? values.reduce((a, b) => a + b, 0) : Number.NaN);
  return {
    at: performance.now(),
    // Summed over the server's processes (a process that ended in between drops out: its ticks are lost).
    server: sum(pids.map((p) => procTicks(`/proc/${p}/stat`))),
    serverMain: sum(pids.map((p) => procTicks(`/proc/${p}/task/${p}/stat`))),
    bench: process.cpuUsage(),
    machine: machineTicks(),
    others: otherProcesses([process.pid, ...pids]),
  };
}
/** CPU used between two snapshots, in cores (1.0 = one core busy the whole time). */
function cpuDelta(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks) => Math.round((ticks / CLK_TCK / seconds) * 100) / 100;
  const bench = b.bench.user - a.bench.user + (b.bench.system - a.bench.system);
  return {
    seconds: Math.round(seconds * 10) / 10,
    serverCores: cores(b.server - a.server),
    serverMainThreadCores: cores(b.serverMain - a.serverMain),
    serverOtherThreadsCores: cores(b.server - a.server - (b.serverMain - a.serverMain)),
    loadGeneratorCores: Math.round((bench / 1e6 / seconds) * 100) / 100,
    machineBusyCores: cores(b.machine.busy - a.machine.busy),
    interruptCores: cores(b.machine.interrupts - a.machine.interrupts),
    otherProcesses: topOthers(a.others, b.others, seconds),
  };
}
/**
 * CPU the benchmark did not cause, in cores: the machine's busy time minus the server, the load generator and
 * PostgreSQL. Other work on the machine (builds, tests) shows up here and makes that window's numbers low.
 */
function foreignCores(cpu) {
  const postgres = cpu.otherProcesses.filter((o) => o.comm.startsWith('postgres')).reduce((a, o) => a + o.cores, 0);
  return Math.max(
    0,
    Math.round(
      (cpu.machineBusyCores - (cpu.interruptCores ?? 0) - (cpu.serverCores || 0) - cpu.loadGeneratorCores - postgres) *
        100,
    ) / 100,
  );
}
const FOREIGN_WARN_CORES = 0.3;

/** Waits (within the run's budget) until the machine is nearly idle, so a measurement starts undisturbed. */
const QUIET_CORES = 0.25;
const quiet = { budgetMs: 0, waitedMs: 0, serverPid: null };
async function waitForQuiet(what) {
  let announced = false;
  for (;;) {
    // Other work only: the server finishing queued requests, PostgreSQL and this process do not count.
    const a = cpuSnapshot(quiet.serverPid);
    await sleep(500);
    const busy = foreignCores(cpuDelta(a, cpuSnapshot(quiet.serverPid)));
    if (busy <= QUIET_CORES) return;
    if (quiet.waitedMs >= quiet.budgetMs) {
      if (quiet.budgetMs > 0 && !announced)
        log(`machine busy (${busy.toFixed(2)} cores) before ${what}; wait budget spent, going on`);
      return;
    }
    if (!announced) log(`machine busy (${busy.toFixed(2)} cores of other work) — waiting before ${what}`);
    announced = true;
    await sleep(500);
    quiet.waitedMs += 1000;
  }
}
/** The other processes (grouped by command name) that used ≥ 0.03 cores in the window, busiest first. */
function topOthers(before, after, seconds) {
  const byComm = new Map();
  for (const [pid, b] of after) {
    const a = before.get(pid);
    const ticks = b.ticks - (a && a.comm === b.comm ? a.ticks : 0);
    if (ticks > 0) byComm.set(b.comm, (byComm.get(b.comm) ?? 0) + ticks);
  }
  return [...byComm]
    .map(([comm, ticks]) => ({ comm, cores: Math.round((ticks / CLK_TCK / seconds) * 100) / 100 }))
    .filter((o) => o.cores >= 0.03)
    .sort((x, y) => y.cores - x.cores)
    .slice(0, 4);
}

/**
 * Samples VmRSS of each of the server's processes every 250 ms; `mark(name)` starts attributing samples to a
 * scenario. The figure that matters is the largest process (the target is per process); the sum is kept too.
 */
function rssSampler(pid) {
  const state = {
    maxKiB: 0,
    maxSumKiB: 0,
    samples: 0,
    current: null,
    perScenarioKiB: {},
    atMax: null,
    processes: 0,
    byRoleKiB: {},
  };
  const read = () => {
    let sum = 0;
    const pids = serverProcesses(pid);
    state.processes = Math.max(state.processes, pids.length);
    for (const p of pids) {
      try {
        const status = readFileSync(`/proc/${p}/status`, 'utf8');
        const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
        const kib = field('VmRSS');
        if (Number.isNaN(kib)) continue;
        sum += kib;
        const role = p === pid ? (pids.length > 1 ? 'primary' : 'server') : 'worker';
        state.byRoleKiB[role] = Math.max(state.byRoleKiB[role] ?? 0, kib);
        if (kib > state.maxKiB) {
          // What the peak was made of: anonymous memory (heaps, argon2 buffers) vs mapped files, and threads.
          state.atMax = {
            rssAnonKiB: field('RssAnon'),
            rssFileKiB: field('RssFile'),
            threads: field('Threads'),
            role,
          };
          state.atMax.scenario = state.current;
        }
        state.maxKiB = Math.max(state.maxKiB, kib);
        if (state.current)
          state.perScenarioKiB[state.current] = Math.max(state.perScenarioKiB[state.current] ?? 0, kib);
      } catch {}
    }
    state.samples++;
    state.maxSumKiB = Math.max(state.maxSumKiB, sum);
  };
  read();
  const timer = setInterval(read, RSS_SAMPLE_MS);
  return {
    mark(name) {
      read();
      state.current = name;
    },
    stop() {
      read();
      clearInterval(timer);
      const mb = (kib) => Math.round((kib / 1024) * 10) / 10;
      return {
        maxMB: mb(state.maxKiB),
        maxSumMB: mb(state.maxSumKiB),
        processes: state.processes,
        maxByRoleMB: Object.fromEntries(Object.entries(state.byRoleKiB).map(([k, v]) => [k, mb(v)])),
        samples: state.samples,
        atMax: state.atMax,
        perScenarioMaxMB: Object.fromEntries(Object.entries(state.perScenarioKiB).map(([k, v]) => [k, mb(v)])),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Load

function summarize(result) {
  const total = result.requests.total;
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
    durationSeconds: result.duration,
  };
}

/** One autocannon run against the local server; never longer than `duration` (+ the request timeout). */
async function cannon(options) {
  if (!options.url.startsWith(`http://${HOST}:`)) throw new Error(`refusing to load ${options.url}`);
  return await autocannon({ timeout: 10, ...options });
}

/** Warm up, then a measured run with CPU accounting. */
async function measure(options, { serverPid, warmup = true, what = 'a measurement', monitor } = {}) {
  if (what) await waitForQuiet(what); // `null` when our own background load is running
  if (warmup) await cannon({ ...options, duration: WARMUP_SECONDS });
  await monitor?.begin();
  const before = cpuSnapshot(serverPid);
  const result = await cannon(options);
  const cpu = cpuDelta(before, cpuSnapshot(serverPid));
  const summary = summarize(result);
  const database = await monitor?.end(summary.total);
  return { ...summary, cpu, ...(database ? { database } : {}) };
}

/** A request list that sends `build(i)` (headers/body) for i = 0, 1, 2, … across all connections. */
function rotating(method, path, count, build) {
  let i = 0;
  return [
    {
      method,
      path,
      setupRequest(req) {
        const extra = build(i++ % count);
        return { ...req, ...extra, headers: { ...req.headers, ...extra.headers } };
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Ceilings

const BARE_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ deployment_model: 'GLOBAL', location: 'US-VA', hostname: 'http://127.0.0.1:8080', ws_hostname: 'ws://127.0.0.1:8080' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

async function bareHttpCeiling({ duration, connections }) {
  const child = spawn(process.execPath, ['--input-type=commonjs', '-e', BARE_SERVER], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = onCleanup(() => stopChild(child, 5_000));
  try {
    const port = await new Promise((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error('bare node:http server did not start in 10 s')), 10_000);
      let buffer = '';
      child.stdout.on('data', (chunk) => {
        buffer += chunk;
        const line = buffer.split('\n')[0];
        if (buffer.includes('\n')) {
          clearTimeout(timer);
          resolvePort(JSON.parse(line).port);
        }
      });
      child.once('exit', (code) => reject(new Error(`bare node:http server exited (${code})`)));
    });
    return await measure(
      { url: `http://${HOST}:${port}${API}/app/${APP_ID}/location`, connections, duration },
      { serverPid: child.pid, what: 'the bare node:http ceiling' },
    );
  } finally {
    await stop();
  }
}

/** argon2id hashes per second at the server's parameters, as many in flight as cores. */
async function argon2Ceiling(seconds = 4) {
  await waitForQuiet('the argon2id ceiling');
  const parallel = os.availableParallelism();
  const password = 'correct horse battery staple';
  // One hash first so the native module is loaded and warm.
  await argon2Hash(password, { ...ARGON2, algorithm: ARGON2ID });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < deadline) {
        await argon2Hash(password, { ...ARGON2, algorithm: ARGON2ID });
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    hashesPerSec: count / elapsed,
    hashes: count,
    seconds: Math.round(elapsed * 100) / 100,
    parallel,
    parameters: { ...ARGON2, algorithm: 'argon2id' },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The server under test

async function createPostgresDatabase() {
  const name = `gatehouse_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const drop = onCleanup(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 10_000 });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  return { url: `postgres://postgres@127.0.0.1:5432/${name}`, name, drop };
}

/**
 * PostgreSQL's view of a measured window: transactions and rows per request (pg_stat_database), and what the
 * database's connections were doing, sampled every 100 ms from pg_stat_activity (on CPU, waiting for the WAL
 * flush, waiting for a lock, or idle waiting for Gatehouse to send the next statement).
 */
async function postgresMonitor(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {}); // the database is dropped under it at the end
  await client.connect();
  const counters = async () => {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query(
      `SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
  };
  let start = null;
  let waits = {};
  let samples = 0;
  let timer = null;
  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    try {
      const { rows } = await client.query(
        `SELECT state, wait_event_type, wait_event FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      samples++;
      for (const r of rows) {
        const key = `${r.state}${r.wait_event ? ` (${r.wait_event_type}: ${r.wait_event})` : r.state === 'active' ? ' (on CPU)' : ''}`;
        waits[key] = (waits[key] ?? 0) + 1;
      }
    } catch {
    } finally {
      sampling = false;
    }
  };
  return {
    async begin() {
      // Counters of other backends reach pg_stat_database within ~1 s; the windows are long enough for that.
      start = await counters();
      waits = {};
      samples = 0;
      timer = setInterval(sample, 100);
    },
    async end(requests) {
      clearInterval(timer);
      await sleep(1100);
      const now = await counters();
      const perRequest = {};
      for (const [k, v] of Object.entries(now))
        perRequest[k] = requests ? Math.round(((v - start[k]) / requests) * 100) / 100 : null;
      const meanConnections = {};
      for (const [k, v] of Object.entries(waits).sort((a, b) => b[1] - a[1]))
        meanConnections[k] = Math.round((v / Math.max(1, samples)) * 100) / 100;
      return { perRequest, meanConnections, samples };
    },
    async close() {
      clearInterval(timer);
      await client.end();
    },
  };
}

async function stopChild(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function startServer({ dialect, tmp, cpuProfDir, nodeOptions = [], workers = 1, database: given }) {
  const port = await freePort();
  // A database made by the caller (bench/scale.mjs seeds one), else a fresh one.
  const database =
    given ??
    (dialect === 'sqlite'
      ? { url: `sqlite:${join(tmp, 'gatehouse.db')}`, name: 'gatehouse.db' }
      : await createPostgresDatabase());

  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = `bench-${randomBytes(4).toString('hex')}`;
  const config = {
    publicUrl: `http://${HOST}:${port}`,
    listen: { host: HOST, port, workers },
    database: { url: database.url },
    keys: [{ kid, alg: 'ES256', privateJwk }],
    // passwordHashing: the defaults (argon2id m=19456 KiB, t=2, p=1, one thread per core).
    rateLimits: {
      failedLoginsPerAccountAndAddress: 1e9,
      failedLoginsPerAccount: 1e9,
      failedLoginsPerAddress: 1e9,
      newAccountsPerAddress: 1e9,
      window: '15m',
    },
    logLevel: 'warn',
    apps: {
      [APP_ID]: {
        name: 'Gatehouse benchmark',
        accessTokenLifetime: '12h',
        providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' }, 'api-key': {} },
      },
    },
  };
  const configPath = join(tmp, 'gatehouse.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });

  // The environment overrides config fields (DATABASE_URL, GATEHOUSE_*): keep them out.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL'),
  );
  env.NODE_ENV = 'production';
  const nodeArgs = [...nodeOptions, ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])];
  const logPath = join(tmp, 'server.log');
  const logStream = createWriteStream(logPath);
  const child = spawn(
    process.execPath,
    [...nodeArgs, CLI, 'serve', '--config', configPath, '--port', String(port), '--host', HOST],
    { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(logStream);
  child.stderr.pipe(logStream);
  const stop = onCleanup(() => stopChild(child, 10_000));
  const serverLog = () => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  };

  // Ready when the location route answers.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gatehouse serve exited with ${child.exitCode}:\n${serverLog()}`);
    try {
      const r = await request(port, 'GET', `${API}/app/${APP_ID}/location`);
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`gatehouse serve did not answer within 60 s:\n${serverLog()}`);
    await sleep(200);
  }
  return { port, pid: child.pid, child, stop, database, serverLog, logPath };
}

async function registerUsers(port, count = USERS) {
  const secret = randomBytes(6).toString('hex');
  return await pool(count, 2, async (i) => {
    const user = { email: `bench-${secret}-${i}@example.com`, password: `Bench-${secret}-password-${i}` };
    const r = await request(port, 'POST', `${API}/app/${APP_ID}/auth/providers/local-userpass/register`, {
      body: user,
    });
    if (r.status < 200 || r.status >= 300) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
    return user;
  });
}

async function anonymousSessions(port) {
  return await pool(SESSIONS, 5, async () => {
    const r = await request(port, 'POST', `${API}/app/${APP_ID}/auth/providers/anon-user/login`, { body: {} });
    if (r.status !== 200 || typeof r.body?.refresh_token !== 'string')
      throw new Error(`anonymous login failed: ${r.status} ${JSON.stringify(r.body)}`);
    return { access: r.body.access_token, refresh: r.body.refresh_token };
  });
}

// ---------------------------------------------------------------------------------------------------------
// One dialect

async function runDialect(dialect, opts, runStamp, workers = 1) {
  const { duration, connections, scenarios } = opts;
  const want = (s) => scenarios.includes(s);
  const label = workers > 1 ? `${dialect} ×${workers}` : dialect;
  const out = { dialect, workers, label, ceilings: {}, scenarios: {}, rss: null, notes: [] };

  if (want('location') && !opts.smoke) {
    log(`${label}: ceiling — bare node:http, ${connections} connections, ${duration} s`);
    out.ceilings.bareHttp = await bareHttpCeiling({ duration, connections });
  }
  if (want('password-login') && !opts.smoke) {
    log(`${label}: ceiling — argon2id hashes/s (${os.availableParallelism()} in parallel)`);
    out.ceilings.argon2 = await argon2Ceiling();
  }

  const tmp = await mkdtemp(join(os.tmpdir(), 'gatehouse-bench-'));
  const removeTmp = onCleanup(() => rm(tmp, { recursive: true, force: true }));
  let server;
  let rss;
  let monitor;
  try {
    let cpuProfDir;
    if (opts.cpuProf) {
      cpuProfDir = join(RESULTS_DIR, `cpu-prof-${runStamp}-${dialect}-${workers}`);
      mkdirSync(cpuProfDir, { recursive: true });
      out.cpuProfDir = cpuProfDir;
    }
    log(`${label}: starting gatehouse serve`);
    const t0 = performance.now();
    server = await startServer({ dialect, tmp, cpuProfDir, nodeOptions: opts.serverNodeOptions, workers });
    out.startupMs = Math.round(performance.now() - t0);
    out.database = dialect === 'sqlite' ? 'sqlite file in a temp dir' : server.database.name;
    rss = rssSampler(server.pid);
    quiet.serverPid = server.pid;
    const { port, pid } = server;
    if (dialect === 'postgres') monitor = await postgresMonitor(server.database.url);
    const base = `http://${HOST}:${port}`;
    const run = async (name, options, extra) => {
      log(`${label}: ${LABELS[name]} — ${options.connections} connections, ${options.duration} s`);
      rss.mark(name);
      const result = await measure(
        { url: base, ...options },
        { serverPid: pid, what: LABELS[name], monitor, ...(opts.smoke ? { warmup: false } : {}), ...extra },
      );
      out.scenarios[name] = result;
      const bad = result.non2xx + result.errors;
      log(
        `${label}: ${LABELS[name]}: ${fmtRate(result.reqPerSec)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms` +
          (bad ? `, ${bad} failed ${JSON.stringify(result.statusCodes)}` : ''),
      );
      return result;
    };

    // Fixtures.
    rss.mark('setup');
    const needUsers = want('password-login') || want('refresh-saturated');
    const needSessions = want('token-refresh') || want('profile') || want('refresh-saturated');
    const users = needUsers ? await registerUsers(port, opts.smoke ? SMOKE_USERS : USERS) : [];
    const sessions = needSessions ? await anonymousSessions(port) : [];
    if (needUsers) log(`${label}: registered ${users.length} users`);
    if (needSessions) log(`${label}: made ${sessions.length} anonymous sessions`);

    const json = { 'content-type': 'application/json' };
    const loginPath = (p) => `${API}/app/${APP_ID}/auth/providers/${p}/login`;
    const passwordLogin = () =>
      rotating('POST', loginPath('local-userpass'), users.length, (i) => ({
        headers: json,
        body: JSON.stringify({ username: users[i].email, password: users[i].password }),
      }));
    const refresh = () =>
      rotating('POST', `${API}/auth/session`, sessions.length, (i) => ({
        headers: { authorization: `Bearer ${sessions[i].refresh}` },
      }));

    if (want('location')) await run('location', { url: `${base}${API}/app/${APP_ID}/location`, connections, duration });
    if (want('anonymous-login'))
      await run('anonymous-login', {
        url: `${base}${loginPath('anon-user')}`,
        method: 'POST',
        headers: json,
        body: '{}',
        connections,
        duration,
      });
    if (want('password-login')) await run('password-login', { requests: passwordLogin(), connections, duration });
    if (want('token-refresh')) await run('token-refresh', { requests: refresh(), connections, duration });
    if (want('profile'))
      await run('profile', {
        requests: rotating('GET', `${API}/auth/profile`, sessions.length, (i) => ({
          headers: { authorization: `Bearer ${sessions[i].access}` },
        })),
        connections,
        duration,
      });
    if (want('refresh-saturated')) {
      // Password logins on 16 connections from 1 s before until 1 s after the measured refresh window.
      log(
        `${label}: ${LABELS['refresh-saturated']} — logins on ${BACKGROUND_LOGIN_CONNECTIONS} connections, ` +
          `refreshes on ${connections}, ${duration} s`,
      );
      rss.mark('refresh-saturated');
      await waitForQuiet(LABELS['refresh-saturated']);
      const before = cpuSnapshot(pid);
      const background = cannon({
        url: base,
        requests: passwordLogin(),
        connections: BACKGROUND_LOGIN_CONNECTIONS,
        duration: duration + 2,
      });
      await sleep(1000);
      const foreground = await measure(
        { url: base, requests: refresh(), connections, duration },
        { serverPid: pid, warmup: false, what: null, monitor },
      );
      const backgroundResult = summarize(await background);
      out.scenarios['refresh-saturated'] = {
        ...foreground,
        backgroundLogin: { ...backgroundResult, connections: BACKGROUND_LOGIN_CONNECTIONS, cpu: undefined },
        cpuWholeWindow: cpuDelta(before, cpuSnapshot(pid)),
      };
      log(
        `${label}: refresh under login load: ${fmtRate(foreground.reqPerSec)} req/s, p50 ${foreground.p50} ms, ` +
          `p99 ${foreground.p99} ms; background logins ${fmtRate(backgroundResult.reqPerSec)} req/s` +
          (foreground.non2xx + foreground.errors + backgroundResult.non2xx + backgroundResult.errors
            ? ` (failed: refresh ${JSON.stringify(foreground.statusCodes)}, login ${JSON.stringify(backgroundResult.statusCodes)})`
            : ''),
      );
    }
    rss.mark('idle');
    await sleep(300);
  } catch (error) {
    out.error = error.message;
    log(`${label}: FAILED: ${error.message}`);
    if (server) log(`${label}: server log tail:\n${server.serverLog()}`);
  } finally {
    if (rss) out.rss = rss.stop();
    await monitor?.close().catch(() => {});
    if (server) {
      const t = performance.now();
      quiet.serverPid = null;
      await server.stop();
      out.shutdownMs = Math.round(performance.now() - t);
      const logText = existsSync(server.logPath) ? readFileSync(server.logPath, 'utf8').trim() : '';
      if (logText) out.serverLogTail = logText.split('\n').slice(-20);
      if (opts.serverNodeOptions.length > 0) {
        mkdirSync(RESULTS_DIR, { recursive: true });
        out.serverLog = join(RESULTS_DIR, `${runStamp}-${dialect}-${workers}-server.log`);
        writeFileSync(out.serverLog, `${logText}\n`);
      }
      if (server.database.drop) await server.database.drop();
    }
    await removeTmp();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Report

function fmtRate(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(1);
}
const fmtMs = (n) => (n === undefined || n === null ? '' : String(Math.round(n * 10) / 10));

function rows(results, opts) {
  const out = [];
  for (const r of results) {
    const d = r.dialect;
    const single = results.find((o) => o.dialect === d && o.workers === 1);
    const row = (scenario, m, target, met) =>
      out.push({
        scenario,
        dialect: r.label ?? d,
        reqPerSec: m?.reqPerSec ?? null,
        p50: m?.p50 ?? null,
        p99: m?.p99 ?? null,
        non2xx: m ? m.non2xx + m.errors : null,
        target: target ?? '—',
        met: met ?? '—',
      });
    const failed = (m) => m && m.non2xx + m.errors > 0;
    const verdict = (m, ok) => (failed(m) ? 'no (failed requests)' : ok ? 'yes' : '**no**');

    if (r.ceilings.bareHttp) row('ceiling: bare node:http', r.ceilings.bareHttp, 'ceiling');
    if (r.ceilings.argon2) {
      const a = r.ceilings.argon2;
      out.push({
        scenario: `ceiling: argon2id hashes/s (${a.parallel} parallel)`,
        dialect: r.label ?? d,
        reqPerSec: a.hashesPerSec,
        p50: null,
        p99: null,
        non2xx: null,
        target: 'ceiling',
        met: '—',
      });
    }
    const s = r.scenarios;
    if (s.location) {
      const bare = r.ceilings.bareHttp?.reqPerSec;
      const t = bare ? bare * 0.5 : null;
      row(
        'location',
        s.location,
        t ? `≥ ${fmtRate(t)} (50% of bare)` : 'n/a',
        t ? verdict(s.location, s.location.reqPerSec >= t) : '—',
      );
    }
    if (s['anonymous-login']) row('anonymous login', s['anonymous-login']);
    if (s['password-login']) {
      const ceil = r.ceilings.argon2?.hashesPerSec;
      const t = ceil ? ceil * 0.9 : null;
      row(
        'password login',
        s['password-login'],
        t ? `≥ ${fmtRate(t)} (90% of argon2id)` : 'n/a',
        t ? verdict(s['password-login'], s['password-login'].reqPerSec >= t) : '—',
      );
    }
    if (s['token-refresh']) {
      const m = s['token-refresh'];
      // Several workers: twice the single process of the same run (SQLite). PostgreSQL: 1,500/s.
      const base = r.workers > 1 && single && single !== r ? single.scenarios['token-refresh']?.reqPerSec : null;
      const t = d === 'sqlite' ? (base ? 2 * base : 2400) : 1500;
      const p99 = opts.connections <= 4 && d === 'sqlite';
      row(
        'token refresh',
        m,
        `≥ ${fmtRate(t)}${base && d === 'sqlite' ? ' (2× 1 worker)' : ''}${p99 ? ', p99 < 10' : ''}`,
        verdict(m, m.reqPerSec >= t && (!p99 || m.p99 < 10)),
      );
    }
    if (s.profile) {
      if (d === 'sqlite') row('profile', s.profile, '≥ 5,000', verdict(s.profile, s.profile.reqPerSec >= 5000));
      else row('profile', s.profile);
    }
    if (s['refresh-saturated']) {
      const m = s['refresh-saturated'];
      const unloaded = s['token-refresh']?.reqPerSec;
      const t = unloaded ? unloaded * 0.5 : null;
      const bg = m.backgroundLogin;
      row(
        'refresh while logins saturate hashing',
        m,
        t ? `≥ ${fmtRate(t)} (50% of unloaded), p99 < 50` : 'p99 < 50 (run token-refresh for the rate target)',
        verdict(m, (t ? m.reqPerSec >= t : true) && m.p99 < 50) + (failed(bg) ? ' (background logins failed)' : ''),
      );
      row(`  └ background password logins (${bg.connections} conn.)`, bg);
    }
    if (r.rss) {
      out.push({
        scenario: r.rss.processes > 1 ? `server max RSS per process (${r.rss.processes} processes)` : 'server max RSS',
        dialect: r.label ?? d,
        reqPerSec: null,
        p50: null,
        p99: null,
        non2xx: null,
        valueText: `${r.rss.maxMB} MB${
          r.rss.processes > 1
            ? ` (primary ${r.rss.maxByRoleMB.primary} MB, worker ${r.rss.maxByRoleMB.worker} MB; all ${r.rss.maxSumMB} MB)`
            : ''
        }`,
        target: '≤ 150 MB',
        met: r.rss.maxMB <= 150 ? 'yes' : '**no**',
      });
    }
    if (r.error)
      out.push({ scenario: `ERROR: ${r.error.split('\n')[0]}`, dialect: r.label ?? d, target: '—', met: '**no**' });
  }
  return out;
}

function markdownTable(header, body) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const cells of body) lines.push(`| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

function report(results, opts) {
  const table = rows(results, opts);
  const main = markdownTable(
    ['scenario', 'dialect', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'target', 'met?'],
    table.map((r) => [
      r.scenario,
      r.dialect,
      r.valueText ?? fmtRate(r.reqPerSec),
      fmtMs(r.p50),
      fmtMs(r.p99),
      r.non2xx === null || r.non2xx === undefined ? '' : String(r.non2xx),
      r.target,
      r.met,
    ]),
  );
  const cpuRows = [];
  for (const r of results) {
    const add = (name, m) => {
      if (!m?.cpu) return;
      const c = m.cpu;
      cpuRows.push([
        name,
        r.label ?? r.dialect,
        c.serverCores.toFixed(2),
        c.serverMainThreadCores.toFixed(2),
        c.serverOtherThreadsCores.toFixed(2),
        c.loadGeneratorCores.toFixed(2),
        c.machineBusyCores.toFixed(2),
        (c.interruptCores ?? 0).toFixed(2),
        foreignCores(c).toFixed(2) + (foreignCores(c) > FOREIGN_WARN_CORES ? ' ⚠' : ''),
        c.otherProcesses.map((o) => `${o.comm} ${o.cores.toFixed(2)}`).join(', ') || '—',
      ]);
    };
    add('ceiling: bare node:http', r.ceilings.bareHttp);
    for (const [k, m] of Object.entries(r.scenarios)) add(LABELS[k], m);
  }
  const cpu = markdownTable(
    [
      'scenario',
      'dialect',
      'server',
      'server main thread',
      'server other threads',
      'load generator',
      'machine busy',
      'IRQ',
      'not ours',
      'other processes (top)',
    ],
    cpuRows,
  );
  const dbRows = [];
  for (const r of results)
    for (const [k, m] of Object.entries(r.scenarios)) {
      const d = m.database;
      if (!d) continue;
      const p = d.perRequest;
      dbRows.push([
        LABELS[k],
        r.label ?? r.dialect,
        String(p.xact_commit),
        String(p.tup_fetched),
        String(Math.round((p.tup_inserted + p.tup_updated + p.tup_deleted) * 100) / 100),
        Object.entries(d.meanConnections)
          .map(([state, n]) => `${state} ${n}`)
          .join('; '),
      ]);
    }
  const dbMarkdown =
    dbRows.length === 0
      ? null
      : markdownTable(
          [
            'scenario',
            'dialect',
            'transactions/req',
            'rows fetched/req',
            'rows written/req',
            'PostgreSQL connections (mean)',
          ],
          dbRows,
        );
  const disturbed = [];
  for (const r of results)
    for (const [k, m] of Object.entries({ bareHttp: r.ceilings.bareHttp, ...r.scenarios }))
      if (m?.cpu && foreignCores(m.cpu) > FOREIGN_WARN_CORES)
        disturbed.push(`${k === 'bareHttp' ? 'ceiling: bare node:http' : LABELS[k]} (${r.label ?? r.dialect})`);
  return { table, markdown: main, cpuMarkdown: cpu, dbMarkdown, disturbed };
}

// ---------------------------------------------------------------------------------------------------------
// The CI smoke

/** The floors of bench/README.md's smoke table (between its smoke-floors markers): scenario → req/s. */
function smokeFloors() {
  const text = readFileSync(join(ROOT, 'bench/README.md'), 'utf8');
  const block = /<!-- smoke-floors:start -->([\s\S]*?)<!-- smoke-floors:end -->/.exec(text)?.[1] ?? '';
  const floors = {};
  for (const [, scenario, floor] of block.matchAll(/^\|\s*`?([a-z-]+)`?\s*\|\s*([\d,]+)\s*\|/gm))
    floors[scenario] = Number(floor.replaceAll(',', ''));
  return floors;
}

/** Prints the smoke's verdict per scenario; true when nothing failed and nothing fell below half its floor. */
function smokeVerdict(results) {
  const floors = smokeFloors();
  let ok = true;
  for (const scenario of SMOKE_SCENARIOS) {
    const floor = floors[scenario];
    const m = results[0]?.scenarios[scenario];
    if (floor === undefined) {
      console.log(`smoke: ${scenario}: no floor in bench/README.md`);
      ok = false;
    } else if (!m) {
      console.log(`smoke: ${scenario}: not measured`);
      ok = false;
    } else {
      const bad = m.non2xx + m.errors;
      const pass = bad === 0 && m.reqPerSec >= floor / 2;
      ok &&= pass;
      console.log(
        `smoke: ${scenario}: ${fmtRate(m.reqPerSec)} req/s (floor ${floor}, fails below ${floor / 2})` +
          `${bad ? `, ${bad} failed requests ${JSON.stringify(m.statusCodes)}` : ''} — ${pass ? 'ok' : 'FAILED'}`,
      );
    }
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (!existsSync(CLI)) {
    console.error(`bench: ${CLI} not found — build first: npx tsc -b (or node scripts/setup.mjs)`);
    process.exit(2);
  }
  // Watchdog: the run's worst case, generously; then clean up and give up.
  const perDialect = 40 + (opts.scenarios.length + 1) * (opts.duration + WARMUP_SECONDS + 15) + 20;
  const budgetMs = (opts.dialects.length * opts.workers.length * perDialect + opts.waitQuiet) * 1000;
  quiet.budgetMs = opts.waitQuiet * 1000;
  const watchdog = setTimeout(async () => {
    console.error(`bench: watchdog — still running after ${Math.round(budgetMs / 1000)} s, giving up`);
    await runCleanups();
    process.exit(3);
  }, budgetMs);
  watchdog.unref();

  const runStamp = new Date().toISOString().replace(/[:.]/g, '-');
  const startLoad = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const started = Date.now();
  log(
    `dialects ${opts.dialects.join(', ')}; workers ${opts.workers.join(', ')}; ${opts.duration} s per scenario; ` +
      `${opts.connections} connections; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ` +
      `${os.availableParallelism()} cores; node ${process.version}`,
  );
  const results = [];
  for (const dialect of opts.dialects)
    for (const workers of opts.workers) results.push(await runDialect(dialect, opts, runStamp, workers));
  await runCleanups();

  const { table, markdown, cpuMarkdown, dbMarkdown, disturbed } = report(results, opts);
  const cpuModel = os.cpus()[0]?.model ?? 'unknown';
  console.log(`\n## Gatehouse benchmark — ${new Date(started).toISOString()}\n`);
  console.log(
    `${os.availableParallelism()} cores (${cpuModel}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; ` +
      `${opts.duration} s per scenario, ${opts.connections} connections; load generator on the same machine; ` +
      `load average at the start ${startLoad}, at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.\n`,
  );
  console.log(markdown);
  console.log('\nCPU during each measured window, in cores (1.00 = one core fully busy):\n');
  console.log(cpuMarkdown);
  if (dbMarkdown) {
    console.log('\nPostgreSQL during each measured window (per request; connections sampled every 100 ms):\n');
    console.log(dbMarkdown);
  }
  if (disturbed.length > 0)
    console.log(
      `\n⚠ Other work used more than ${FOREIGN_WARN_CORES} cores of this machine during: ${disturbed.join(', ')}. ` +
        'Those numbers are low by that much; rerun on a quiet machine.',
    );
  console.log('');

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${runStamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: new Date(started).toISOString(),
        elapsedSeconds: Math.round((Date.now() - started) / 1000),
        machine: {
          cores: os.availableParallelism(),
          cpuModel,
          totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
          node: process.version,
          platform: `${os.platform()} ${os.release()}`,
        },
        options: { ...opts, warmupSeconds: WARMUP_SECONDS, users: USERS, sessions: SESSIONS },
        waitedForQuietSeconds: Math.round(quiet.waitedMs / 1000),
        table,
        disturbed,
        results,
      },
      null,
      2,
    )}\n`,
  );
  log(`results written to ${file} (${Math.round((Date.now() - started) / 1000)} s)`);
  const failed = results.some((r) => r.error);
  if (opts.smoke) process.exit(failed || !smokeVerdict(results) ? 1 : 0);
  process.exit(failed ? 1 : 0);
}

// bench/scale.mjs imports the parts below; only `node bench/run.mjs` runs the benchmark.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main().catch(async (error) => {
    console.error(error);
    await runCleanups();
    process.exit(1);
  });

export {
  API,
  APP_ID,
  anonymousSessions,
  cannon,
  createPostgresDatabase,
  fmtRate,
  HOST,
  log,
  markdownTable,
  measure,
  onCleanup,
  PG_ADMIN_URL,
  registerUsers,
  request,
  rotating,
  rssSampler,
  runCleanups,
  startServer,
};
