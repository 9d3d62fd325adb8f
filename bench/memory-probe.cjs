// Preloaded into a server by `bench/memory.mjs` (`node --require`): every 200 ms, one line on stderr with
// this process's `process.memoryUsage()` and its thread count, so the memory of a peak can be split into V8
// heap, external buffers and the rest (native: argon2, SQLite, malloc arenas, the binary). Debug only.
const { readFileSync } = require('node:fs');
const cluster = require('node:cluster');
const role = cluster.isPrimary ? 'primary' : 'worker';
const timer = setInterval(() => {
  const m = process.memoryUsage();
  let threads = null;
  try {
    threads = Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {}
  process.stderr.write(`memprobe ${JSON.stringify({ pid: process.pid, role, t: Date.now(), threads, ...m })}\n`);
}, 200);
timer.unref();
