// @ts-check
/**
 * The argon2id worker run by the pool in `hasher.ts`, one copy per hashing thread.
 *
 * Plain JavaScript on purpose: a worker thread is loaded by Node itself, not by vitest's transformer, so the
 * same file must run from `src/` under the tests and from `dist/` after `tsc` (which copies it, `allowJs`).
 * CommonJS on purpose too: piscina loads its worker with `require()`, and on Node 20.19 a `require()` of an ES
 * module inside a worker thread can abort the whole process (`v8::Module::IsGraphAsync must be used on an
 * instantiated module`, seen in this test suite).
 *
 * @module
 */
const { readlinkSync } = require('node:fs');
const { getPriority, setPriority } = require('node:os');
const { hashSync, verifySync } = require('@node-rs/argon2');
const bcrypt = require('bcryptjs');

/** `Algorithm.Argon2id` of @node-rs/argon2 (a `const enum`, so it has no runtime value to import). */
const ARGON2ID = 2;

/**
 * A job for the worker. The password is already NFKC-normalised by the caller.
 *
 * @typedef {{ op: 'hash', password: string, memoryCost: number, timeCost: number, parallelism: number }
 *   | { op: 'verify', phc: string, password: string }
 *   | { op: 'verify-bcrypt', hash: string, password: string }} HashTask
 */

/**
 * How much lower than the thread that started it a hashing thread runs: Linux nice steps, as low as it goes
 * (19). Under a login burst the event loop keeps getting the CPU for token refreshes and other requests;
 * hashing still gets every cycle nobody else wants. Measured with `npm run bench` (refresh while logins
 * saturate hashing, SQLite): +10 gave 1,762 req/s at p99 65 ms, +19 gave 2,717 req/s at p99 49 ms.
 */
const NICE_INCREMENT = 19;

lowerThreadPriority();

/**
 * Runs one job. The work happens synchronously on this thread: the async `hash`/`verify` of @node-rs/argon2
 * would hand it to libuv's shared thread pool instead, which is neither lowered in priority nor bounded by
 * our pool, and would compete with the file system and DNS work of the main thread.
 *
 * @param {HashTask} task
 * @returns {string | boolean} the PHC string for `hash`; whether the password matches for `verify`
 */
function run(task) {
  if (task.op === 'hash') {
    return hashSync(task.password, {
      algorithm: ARGON2ID,
      memoryCost: task.memoryCost,
      timeCost: task.timeCost,
      parallelism: task.parallelism,
    });
  }
  try {
    // Imported Meteor accounts keep their bcrypt hashes until the next login upgrades them.
    if (task.op === 'verify-bcrypt') return bcrypt.compareSync(task.password, task.hash);
    return verifySync(task.phc, task.password);
  } catch {
    // Stored data the library cannot read (bad base64, impossible parameters): a mismatch, never a crash.
    return false;
  }
}

/**
 * Lowers the priority of this thread only. On Linux every thread has its own nice value, set with
 * setpriority(PRIO_PROCESS, tid); `/proc/thread-self` links to `<pid>/task/<tid>`. Raising a nice value needs
 * no privilege. Elsewhere (no `/proc/thread-self`) it does nothing rather than renice the whole process.
 */
function lowerThreadPriority() {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return;
    // Relative to the nice value inherited from the creating thread, so it never raises priority when the
    // server itself already runs niced (as root, setting a fixed 10 under `nice -n 15` would raise it).
    setPriority(tid, Math.min(19, getPriority(tid) + NICE_INCREMENT));
  } catch {
    // Not Linux, or /proc is not mounted: hash at normal priority.
  }
}

/**
 * What the pool calls: runs one job and also says when it started, on the wall clock the main thread shares
 * (`performance.timeOrigin + performance.now()`), so the hasher can tell how long the job waited for a thread.
 *
 * @param {HashTask} task
 * @returns {[string | boolean, number]} the job's result and its start time in milliseconds since the epoch
 */
function runTimed(task) {
  const startedAt = performance.timeOrigin + performance.now();
  return [run(task), startedAt];
}

module.exports = runTimed;
