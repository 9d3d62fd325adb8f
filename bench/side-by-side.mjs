#!/usr/bin/env node
// Token refresh on one process against two workers, both servers up at once and measured in alternation
// (1, 2, 2, 1, …), so the machine's other load weighs on both alike. See bench/README.md.
//
//   node bench/side-by-side.mjs [--pairs 6] [--duration 4] [--connections 4]
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API, anonymousSessions, measure, rotating, rssSampler, runCleanups, startServer } from './run.mjs';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '6' },
    duration: { type: 'string', default: '4' },
    connections: { type: 'string', default: '4' },
  },
  strict: true,
});
const servers = [];
for (const workers of [1, 2]) {
  const tmp = await mkdtemp(join(os.tmpdir(), 'gatehouse-side-'));
  const server = await startServer({ dialect: 'sqlite', tmp, workers });
  servers.push({
    workers,
    server,
    sessions: await anonymousSessions(server.port),
    rss: rssSampler(server.pid),
    runs: [],
  });
}
const startLoad = os.loadavg()[0].toFixed(2);
for (let pair = 0; pair < Number(values.pairs); pair++)
  for (const x of pair % 2 ? [...servers].reverse() : servers) {
    const requests = rotating('POST', `${API}/auth/session`, x.sessions.length, (i) => ({
      headers: { authorization: `Bearer ${x.sessions[i].refresh}` },
    }));
    x.runs.push(
      await measure(
        {
          url: `http://127.0.0.1:${x.server.port}`,
          requests,
          connections: Number(values.connections),
          duration: Number(values.duration),
        },
        { serverPid: x.server.pid, what: null },
      ),
    );
  }
console.log(`\nload average ${startLoad} at the start, ${os.loadavg()[0].toFixed(2)} at the end\n`);
for (const x of servers) {
  const mean = (key) => Math.round(x.runs.reduce((a, m) => a + m[key], 0) / x.runs.length);
  const failed = x.runs.reduce((a, m) => a + m.non2xx + m.errors, 0);
  console.log(
    `workers ${x.workers}: refresh ${x.runs.map((m) => Math.round(m.reqPerSec)).join('/')} req/s, mean ${mean('reqPerSec')}, ` +
      `p99 ${mean('p99')} ms, failed ${failed}, max RSS per process ${x.rss.stop().maxMB} MB`,
  );
  await x.server.stop();
}
await runCleanups();
process.exit(0);
