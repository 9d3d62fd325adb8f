#!/usr/bin/env node
// Gatehouse at scale: seeds a database with --users users (each with an email, an identity, a password hash, a
// session, a Meteor login token and an API key) straight into the tables — not through the API — then runs the hot scenarios of
// bench/run.mjs against it and reports p50/p99 next to the same scenarios on 1,000 users, in the same run.
// See bench/README.md.
//
//   node bench/scale.mjs [--users 1000000] [--dialect sqlite|postgres] [--duration 5] [--connections 4]
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hash as argon2Hash } from '@node-rs/argon2';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import WebSocket from 'ws';
import {
  API,
  APP_ID,
  anonymousSessions,
  createPostgresDatabase,
  fmtRate,
  HOST,
  log,
  markdownTable,
  measure,
  onCleanup,
  registerUsers,
  request,
  rotating,
  rssSampler,
  runCleanups,
  startServer,
} from './run.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const STORAGE = join(ROOT, 'packages/storage/dist/index.js');
const NOW = Date.now();
const SCENARIOS = ['password-login', 'token-refresh', 'profile', 'api-key-login', 'ddp-resume'];
const RESUME_USERS = 64; // seeded users, spread over the table, whose login tokens `ddp-resume` cycles through
const WARMUP_SECONDS = 1; // unmeasured load before each measured run, as bench/run.mjs does
const DDP_CALL_TIMEOUT_MS = 10_000; // autocannon's request timeout in the other scenarios
// The server keeps Meteor's default DDP rate limit — 5 `login` calls per connection in 10 s, not configurable —
// so each load connection makes this many logins, then is replaced by a new one.
const DDP_LOGINS_PER_CONNECTION = 5;

function options() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '1000000' },
      baseline: { type: 'string', default: '1000' },
      dialect: { type: 'string', default: 'sqlite' },
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '4' },
    },
    strict: true,
  });
  const users = Number(values.users);
  const baseline = Number(values.baseline);
  if (!Number.isInteger(users) || users < 1) throw new Error('--users must be a whole number');
  if (!['sqlite', 'postgres'].includes(values.dialect)) throw new Error('--dialect must be sqlite or postgres');
  return {
    sizes: [...new Set([baseline, users])],
    dialect: values.dialect,
    duration: Number(values.duration),
    connections: Number(values.connections),
  };
}

/** An id shaped like the server's (24 hex digits), unique per row number. */
const rowId = (prefix, i) => `${prefix}${i.toString(16).padStart(16, '0')}`.padStart(24, '0');
const hex = () => randomBytes(16).toString('base64url');

/** The Meteor login token seeded for user `i`: known to the bench, unguessable to anyone else. */
const RESUME_SECRET = randomBytes(12).toString('base64url');
const resumeToken = (i) => `${RESUME_SECRET}-${i}`;
/** How the server stores a login token: `base64(sha256(token))`, Meteor's `_hashLoginToken`. */
const hashLoginToken = (token) => createHash('sha256').update(token, 'utf8').digest('base64');

/**
 * The rows of user `i`: what a password user with one App Services session, one Meteor login (a `resume`
 * session, as a DDP password login makes) and one API key has.
 */
function userRows(i, passwordHash) {
  const id = rowId('a1', i);
  return {
    user: [id, APP_ID, `scale-${i}`, `scale-${i}`, 'normal', 0, '{}', '{}', NOW, NOW],
    email: [APP_ID, id, `scale-${i}@example.com`, `scale-${i}@example.com`, 1, NOW],
    identity: [APP_ID, id, 'local-userpass', 'local-userpass', id, '{}', NOW],
    password: [id, passwordHash, NOW],
    session: [rowId('b2', i), APP_ID, id, rowId('c3', i), 'refresh', hex(), 'local-userpass', null, '{}', NOW, NOW],
    resume: [
      rowId('e5', i),
      APP_ID,
      id,
      rowId('f6', i),
      'resume',
      hashLoginToken(resumeToken(i)),
      'local-userpass',
      null,
      '{"via":"ddp"}',
      NOW,
      NOW,
    ],
    apiKey: [rowId('d4', i), APP_ID, id, 'user', `key-${i}`, hex(), 0, NOW, null],
  };
}

const COLUMNS = {
  users: 'id, app_id, username, username_lower, type, disabled, profile, custom_data, created_at, updated_at',
  user_emails: 'app_id, user_id, address, address_lower, verified, created_at',
  identities: 'app_id, user_id, provider_type, provider_id, subject, data, created_at',
  passwords: 'user_id, hash, updated_at',
  sessions:
    'id, app_id, user_id, device_id, kind, refresh_hash, provider_type, api_key_id, meta, created_at, last_used_at, expires_at',
  api_keys: 'id, app_id, user_id, kind, name, key_hash, disabled, created_at, last_used_at',
};
const TABLE_OF = {
  user: 'users',
  email: 'user_emails',
  identity: 'identities',
  password: 'passwords',
  session: 'sessions',
  resume: 'sessions',
  apiKey: 'api_keys',
};
const withExpiry = (kind, row) => (TABLE_OF[kind] === 'sessions' ? [...row, NOW + 60 * 86_400_000] : row);

/** SQLite: one transaction, one prepared statement per table. */
function seedSqlite(filename, count, passwordHash) {
  const db = new BetterSqlite3(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = {};
  for (const [kind, table] of Object.entries(TABLE_OF)) {
    const n = COLUMNS[table].split(',').length;
    insert[kind] = db.prepare(`INSERT INTO ${table} (${COLUMNS[table]}) VALUES (${Array(n).fill('?').join(', ')})`);
  }
  db.prepare('INSERT OR IGNORE INTO apps (id, created_at) VALUES (?, ?)').run(APP_ID, NOW);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const rows = userRows(i, passwordHash);
      for (const kind of Object.keys(TABLE_OF)) insert[kind].run(withExpiry(kind, rows[kind]));
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
}

/** PostgreSQL: multi-row INSERTs of 1,000 rows per table, in one transaction. */
async function seedPostgres(url, count, passwordHash) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('INSERT INTO apps (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [APP_ID, NOW]);
    await client.query('BEGIN');
    const BATCH = 1000;
    for (let start = 0; start < count; start += BATCH) {
      const batch = [];
      for (let i = start; i < Math.min(count, start + BATCH); i++) batch.push(userRows(i, passwordHash));
      for (const [kind, table] of Object.entries(TABLE_OF)) {
        const values = [];
        const groups = batch.map((rows) => {
          const row = withExpiry(kind, rows[kind]); // 0/1 are read as booleans by PostgreSQL too
          const at = values.length;
          values.push(...row);
          return `(${row.map((_, j) => `$${at + j + 1}`).join(', ')})`;
        });
        await client.query(`INSERT INTO ${table} (${COLUMNS[table]}) VALUES ${groups.join(', ')}`, values);
      }
    }
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/**
 * A DDP connection to the server (`ws://…/websocket`), connected (`connect` answered by `connected`). `call`
 * sends one method and resolves with its `result` message (`{ result }` or `{ error }`), or rejects after
 * {@link DDP_CALL_TIMEOUT_MS}; `close` resolves when the socket has closed.
 */
async function openDdp(port) {
  const socket = new WebSocket(`ws://${HOST}:${port}/websocket`);
  const pending = new Map(); // method id → settles its call
  let nextId = 0;
  let lastError = null;
  socket.on('error', (error) => {
    lastError = error;
  });
  // A closed socket answers every call still waiting (the `close` event follows any `error`).
  socket.on('close', (code) => {
    for (const settle of pending.values()) settle(null, new Error(`DDP socket closed (${code}) ${lastError ?? ''}`));
  });
  let timer;
  const connected = new Promise((resolveConnected, reject) => {
    timer = setTimeout(() => reject(new Error('DDP connect timed out')), DDP_CALL_TIMEOUT_MS);
    socket.once('close', (code) =>
      reject(new Error(`DDP socket closed (${code}) before connected ${lastError ?? ''}`)),
    );
    socket.once('open', () => socket.send(JSON.stringify({ msg: 'connect', version: '1', support: ['1'] })));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.msg === 'connected') resolveConnected();
      else if (message.msg === 'failed') reject(new Error(`DDP version refused: ${message.version}`));
      else if (message.msg === 'ping') socket.send(JSON.stringify({ msg: 'pong', id: message.id }));
      else if (message.msg === 'result') pending.get(message.id)?.(message);
    });
  });
  try {
    await connected;
  } catch (error) {
    socket.terminate();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    call(method, params) {
      const id = String(nextId++);
      return new Promise((resolveCall, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`DDP ${method} timed out`));
        }, DDP_CALL_TIMEOUT_MS);
        pending.set(id, (message, error) => {
          clearTimeout(timer);
          pending.delete(id);
          if (error) reject(error);
          else resolveCall(message);
        });
        socket.send(JSON.stringify({ msg: 'method', method, params, id }));
      });
    },
    close() {
      if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
      const closed = new Promise((r) => socket.once('close', r));
      socket.close();
      const timer = setTimeout(() => socket.terminate(), DDP_CALL_TIMEOUT_MS); // no closing handshake in time
      return closed.finally(() => clearTimeout(timer));
    },
  };
}

/**
 * `connections` DDP connections, each with one `login({ resume })` in flight at a time, cycling through `tokens`,
 * for `duration` seconds. A connection is replaced after {@link DDP_LOGINS_PER_CONNECTION} logins (the server's
 * rate limit); the latency is of each login call alone, the rate counts the reconnections' time. A result with
 * an `error`, or a call that timed out, is a failure. Returns the shape of bench/run.mjs's `measure`.
 */
async function ddpResumeLoad({ port, tokens, connections, duration }) {
  const latencies = [];
  const failures = new Map(); // reason → count
  const fail = (reason) => failures.set(reason, (failures.get(reason) ?? 0) + 1);
  let next = 0;
  let opened = 0;
  const start = performance.now();
  const until = start + duration * 1000;
  const connection = async () => {
    while (performance.now() < until) {
      let ddp;
      try {
        ddp = await openDdp(port);
        opened++;
      } catch (error) {
        fail(error.message);
        continue;
      }
      try {
        for (let n = 0; n < DDP_LOGINS_PER_CONNECTION && performance.now() < until; n++) {
          const t0 = performance.now();
          const reply = await ddp.call('login', [{ resume: tokens[next++ % tokens.length] }]);
          latencies.push(performance.now() - t0);
          if (reply.error) fail(`${reply.error.error}: ${reply.error.reason}`);
        }
      } catch (error) {
        fail(error.message);
      } finally {
        await ddp.close();
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, connection));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? Math.round(latencies[Math.ceil(q * latencies.length) - 1] * 100) / 100 : 0);
  const errors = [...failures.values()].reduce((a, b) => a + b, 0);
  return {
    reqPerSec: Math.round((latencies.length / seconds) * 10) / 10,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: at(1),
    total: latencies.length,
    non2xx: 0,
    errors,
    failures: Object.fromEntries(failures),
    connectionsOpened: opened,
    durationSeconds: Math.round(seconds * 10) / 10,
  };
}

/** Bytes the database takes: the SQLite file (and WAL), or pg_database_size. */
async function databaseBytes(dialect, database) {
  if (dialect === 'sqlite') {
    const file = database.url.slice('sqlite:'.length);
    const size = (path) => {
      try {
        return statSync(path).size;
      } catch {
        return 0;
      }
    };
    return size(file) + size(`${file}-wal`);
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pg_database_size(current_database()) AS bytes');
    return Number(rows[0].bytes);
  } finally {
    await client.end();
  }
}

/**
 * Seeds a database of `size` users and starts a server on it, with the fixtures the scenarios need. Returns
 * the figures so far, `run(name)` to measure one scenario once, and `close()`.
 */
async function prepareSize(opts, size) {
  const { dialect } = opts;
  const tmp = await mkdtemp(join(os.tmpdir(), 'gatehouse-scale-'));
  const removeTmp = onCleanup(() => rm(tmp, { recursive: true, force: true }));
  const database =
    dialect === 'sqlite'
      ? { url: `sqlite:${join(tmp, 'gatehouse.db')}`, name: 'gatehouse.db' }
      : await createPostgresDatabase();
  const out = { users: size, scenarios: {} };
  let server;
  let rss;
  try {
    const { createStorage } = await import(STORAGE);
    const storage = await createStorage(database.url);
    await storage.migrate();
    await storage.close();
    // Every seeded user shares one real argon2id hash at the server's parameters (m=19456, t=2, p=1).
    const passwordHash = `meteor-sha256:${await argon2Hash(hex(), { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 })}`;
    log(`${dialect} ${size.toLocaleString('en-US')} users: seeding`);
    const t0 = performance.now();
    if (dialect === 'sqlite') seedSqlite(database.url.slice('sqlite:'.length), size, passwordHash);
    else await seedPostgres(database.url, size, passwordHash);
    out.seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
    out.databaseBytes = await databaseBytes(dialect, database);
    out.bytesPerUser = Math.round(out.databaseBytes / size);
    log(
      `${dialect} ${size.toLocaleString('en-US')} users: seeded in ${out.seedSeconds} s, ` +
        `${(out.databaseBytes / 2 ** 20).toFixed(1)} MiB (${out.bytesPerUser} B/user)`,
    );

    server = await startServer({ dialect, tmp, database });
    rss = rssSampler(server.pid);
    const { port, pid } = server;
    const users = await registerUsers(port, 8);
    const sessions = await anonymousSessions(port);
    // API keys of the registered users (made with their refresh tokens), for API-key logins.
    const keys = [];
    for (const user of users.slice(0, 4)) {
      const login = await request(port, 'POST', `${API}/app/${APP_ID}/auth/providers/local-userpass/login`, {
        body: { username: user.email, password: user.password },
      });
      const key = await request(port, 'POST', `${API}/auth/api_keys`, {
        body: { name: 'scale' },
        token: login.body.refresh_token,
      });
      if (typeof key.body?.key !== 'string')
        throw new Error(`API key not made: ${key.status} ${JSON.stringify(key.body)}`);
      keys.push(key.body.key);
    }
    // Login tokens of seeded users, spread over the whole table.
    const resumeTokens = Array.from({ length: Math.min(RESUME_USERS, size) }, (_, k) =>
      resumeToken(Math.floor((k * size) / Math.min(RESUME_USERS, size))),
    );
    const json = { 'content-type': 'application/json' };
    const base = `http://127.0.0.1:${port}`;
    const loginPath = (p) => `${API}/app/${APP_ID}/auth/providers/${p}/login`;
    const common = { connections: opts.connections, duration: opts.duration, url: base };
    const http = (requests) => () => measure({ ...common, requests }, { serverPid: pid, what: null });
    const ddp = (tokens) => async () => {
      await ddpResumeLoad({ port, tokens, connections: opts.connections, duration: WARMUP_SECONDS });
      return await ddpResumeLoad({ port, tokens, connections: opts.connections, duration: opts.duration });
    };
    const scenarios = {
      'password-login': rotating('POST', loginPath('local-userpass'), users.length, (i) => ({
        headers: json,
        body: JSON.stringify({ username: users[i].email, password: users[i].password }),
      })),
      'token-refresh': rotating('POST', `${API}/auth/session`, sessions.length, (i) => ({
        headers: { authorization: `Bearer ${sessions[i].refresh}` },
      })),
      profile: rotating('GET', `${API}/auth/profile`, sessions.length, (i) => ({
        headers: { authorization: `Bearer ${sessions[i].access}` },
      })),
      'api-key-login': rotating('POST', loginPath('api-key'), keys.length, (i) => ({
        headers: json,
        body: JSON.stringify({ key: keys[i] }),
      })),
    };
    const measurements = {
      ...Object.fromEntries(Object.entries(scenarios).map(([name, requests]) => [name, http(requests)])),
      'ddp-resume': ddp(resumeTokens),
    };
    const runs = {};
    return {
      out,
      async run(name) {
        rss.mark(name);
        const m = await measurements[name]();
        (runs[name] ??= []).push(m);
        log(
          `${dialect} ${size.toLocaleString('en-US')} users: ${name}: ${fmtRate(m.reqPerSec)} req/s, ` +
            `p50 ${m.p50} ms, p99 ${m.p99} ms${m.non2xx + m.errors ? `, ${m.non2xx + m.errors} failed` : ''}` +
            (m.connectionsOpened ? ` (${m.total} logins on ${m.connectionsOpened} DDP connections)` : '') +
            (m.failures && Object.keys(m.failures).length ? ` (${JSON.stringify(m.failures)})` : ''),
        );
      },
      async close() {
        // Each scenario ran twice (ABBA with the other size): report the mean of the two runs.
        for (const [name, list] of Object.entries(runs)) {
          const mean = (key) => Math.round((list.reduce((a, m) => a + m[key], 0) / list.length) * 10) / 10;
          out.scenarios[name] = {
            reqPerSec: mean('reqPerSec'),
            p50: mean('p50'),
            p99: mean('p99'),
            non2xx: list.reduce((a, m) => a + m.non2xx, 0),
            errors: list.reduce((a, m) => a + m.errors, 0),
            runs: list,
          };
        }
        out.rss = rss.stop();
        await server.stop();
        if (database.drop) await database.drop();
        await removeTmp();
      },
    };
  } catch (error) {
    if (rss) rss.stop();
    if (server) await server.stop();
    if (database.drop) await database.drop();
    await removeTmp();
    throw error;
  }
}

async function main() {
  const opts = options();
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const startLoad = load();
  // Both servers stay up and each scenario runs small, large, large, small: the machine's other load then
  // weighs on both sizes alike (this machine is shared; a one-after-the-other comparison measured the noise).
  const prepared = [];
  for (const size of opts.sizes) prepared.push(await prepareSize(opts, size));
  for (const name of SCENARIOS) for (const p of [...prepared, ...[...prepared].reverse()]) await p.run(name);
  for (const p of prepared) await p.close();
  const results = prepared.map((p) => p.out);
  await runCleanups();
  const [small, large] = [results[0], results.at(-1)];
  const rows = [];
  for (const name of SCENARIOS) {
    const a = small.scenarios[name];
    const b = large.scenarios[name];
    const within = (x, y) => y <= x * 1.1 || y - x <= 1; // 10 %, or 1 ms (the timer's resolution)
    rows.push([
      name,
      `${fmtRate(a.reqPerSec)} / ${fmtRate(b.reqPerSec)}`,
      `${a.p50} / ${b.p50}`,
      `${a.p99} / ${b.p99}`,
      a.non2xx + a.errors + b.non2xx + b.errors
        ? 'no (failed requests)'
        : within(a.p50, b.p50) && within(a.p99, b.p99)
          ? 'yes'
          : '**no**',
    ]);
  }
  const sizes = results.map((r) => r.users.toLocaleString('en-US')).join(' / ');
  console.log(`\n## Gatehouse at scale — ${opts.dialect}, ${sizes} users\n`);
  console.log(
    `${os.availableParallelism()} cores, node ${process.version}; ${opts.duration} s per scenario, ` +
      `${opts.connections} connections, each size measured twice (ABBA, mean shown); load average ${startLoad} at the start, ${load()} at the end.\n`,
  );
  console.log(markdownTable(['scenario', `req/s (${sizes})`, 'p50 ms', 'p99 ms', 'p50 and p99 within 10 %?'], rows));
  console.log('');
  for (const r of results)
    console.log(
      `- ${r.users.toLocaleString('en-US')} users: seeded in ${r.seedSeconds} s; database ${(r.databaseBytes / 2 ** 20).toFixed(1)} MiB ` +
        `= ${r.bytesPerUser.toLocaleString('en-US')} bytes per user (user, email, identity, password hash, session, login token, API key); ` +
        `server max RSS ${r.rss?.maxMB} MB`,
    );
  if (results.length === 2) {
    // An empty database is not free (PostgreSQL's catalogs are ~7 MB): the cost of a user is the difference.
    const marginal = (large.databaseBytes - small.databaseBytes) / (large.users - small.users);
    console.log(`- per user, between the two sizes: ${Math.round(marginal).toLocaleString('en-US')} bytes`);
  }
  console.log('');
}

main().catch(async (error) => {
  console.error(error);
  await runCleanups();
  process.exit(1);
});
