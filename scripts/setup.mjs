#!/usr/bin/env node
// Makes a fresh clone ready to run: installs dependencies when they are missing or the lockfile changed, and
// builds the packages when a build is missing or older than its sources. Quiet when there is nothing to do;
// one line per step taken; on failure, the failing command's output and a non-zero exit.
//
// Plain Node, no dependencies: it runs before `npm install` has.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command in the repository root with its output captured; returns the result. */
function spawn(label, command, args, env = {}) {
  process.stdout.write(`setup: ${label}\n`);
  return spawnSync(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    // npm is npm.cmd on Windows, which only a shell runs.
    shell: process.platform === 'win32',
  });
}

/** Exits with the command's output and exit code unless it succeeded. */
function check(result, command, args) {
  if (result.status === 0) return;
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  const why = result.error ? result.error.message : `exit code ${result.status ?? result.signal}`;
  process.stderr.write(`setup: '${[command, ...args].join(' ')}' failed (${why})\n`);
  process.exit(typeof result.status === 'number' && result.status !== 0 ? result.status : 1);
}

function step(label, command, args, env) {
  check(spawn(label, command, args, env), command, args);
}

const mtime = (path) => statSync(path).mtimeMs;

/** Newest modification time of the files under `dir` (0 when none); `skip(entry)` leaves a file or folder out. */
function newest(dir, skip = () => false) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(entry)) continue;
    const time = entry.isDirectory() ? newest(path, skip) : mtime(path);
    if (time > latest) latest = time;
  }
  return latest;
}

// 1. Dependencies.
const lockfile = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
let installReason = null;
if (!existsSync(join(root, 'node_modules'))) installReason = 'node_modules is missing';
else if (existsSync(lockfile) && (!existsSync(installed) || mtime(lockfile) > mtime(installed)))
  installReason = 'package-lock.json changed';
if (installReason) {
  // better-sqlite3 must compile from source: prebuilt binaries cannot be downloaded here.
  const env = { npm_config_build_from_source: 'true' };
  const flags = ['--no-audit', '--no-fund'];
  if (!existsSync(lockfile))
    step(`installing dependencies (npm install: ${installReason})…`, 'npm', ['install', ...flags], env);
  else {
    const ci = spawn(`installing dependencies (npm ci: ${installReason})…`, 'npm', ['ci', ...flags], env);
    // npm ci also refuses a lockfile that lists only this platform's optional packages (npm's own installs
    // can write one); npm install accepts it and leaves it as it is.
    if (ci.status !== 0 && /package\.json and package-lock\.json .*in sync/.test(`${ci.stdout}${ci.stderr}`))
      step(
        'npm ci refused package-lock.json as out of sync with package.json: running npm install instead…',
        'npm',
        ['install', ...flags],
        env,
      );
    else check(ci, 'npm', ['ci', ...flags]);
  }
}

// 2. Build. Test files and test helpers are not compiled (see each package's tsconfig), so they do not count.
const isTestOnly = (entry) =>
  entry.isDirectory()
    ? entry.name === 'testing'
    : /\.test\.[cm]?[jt]sx?$/.test(entry.name) || entry.name.startsWith('test-');
const packagesDir = join(root, 'packages');
const stale = [];
let missing = false;
for (const name of existsSync(packagesDir) ? readdirSync(packagesDir).sort() : []) {
  const dir = join(packagesDir, name);
  if (!existsSync(join(dir, 'tsconfig.json')) || !existsSync(join(dir, 'src'))) continue;
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) {
    stale.push(`${relative(root, dist)} is missing`);
    missing = true;
    continue;
  }
  // When inputs were touched but unchanged, `tsc -b` only refreshes the build info: count it as built.
  const buildInfo = join(dir, 'tsconfig.tsbuildinfo');
  const built = Math.max(newest(dist), existsSync(buildInfo) ? mtime(buildInfo) : 0);
  if (newest(join(dir, 'src'), isTestOnly) > built) stale.push(`${relative(root, dir)}/src changed`);
}
if (stale.length) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // `tsc -b` trusts its build info and would not notice a deleted dist: rebuild everything then.
  const args = missing ? [tsc, '-b', '--force'] : [tsc, '-b'];
  step(`building packages (tsc -b: ${stale.join(', ')})…`, process.execPath, args);
}

// 3. Package binaries (`gatehouse`) are built after npm linked them, so npm could not mark them executable.
for (const name of existsSync(packagesDir) ? readdirSync(packagesDir) : []) {
  const manifest = join(packagesDir, name, 'package.json');
  if (!existsSync(manifest)) continue;
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const target of typeof bin === 'string' ? [bin] : Object.values(bin ?? {})) {
    const path = join(packagesDir, name, target);
    if (existsSync(path) && (statSync(path).mode & 0o111) !== 0o111) chmodSync(path, statSync(path).mode | 0o111);
  }
}

// 4. For `npm test` only (`--for-tests`): what the tests need from the machine. PostgreSQL on 127.0.0.1:5432
// (started when a local cluster is installed but stopped), Redis on 127.0.0.1:6379 (started when installed but
// not running) and Debian's Chromium for the browser tests
// (installed with apt-get when missing and this runs as root) — never a browser download.
if (process.argv.includes('--for-tests')) {
  const quiet = (command, args) => spawnSync(command, args, { encoding: 'utf8', stdio: 'pipe' });
  const pgReady = () => quiet('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']).status === 0;
  if (!pgReady() && existsSync('/etc/postgresql')) {
    for (const version of readdirSync('/etc/postgresql')) {
      spawn(`starting PostgreSQL ${version} (pg_ctlcluster)…`, 'pg_ctlcluster', [
        '--skip-systemctl-redirect',
        version,
        'main',
        'start',
      ]);
    }
    for (let i = 0; i < 60 && !pgReady(); i++) spawnSync('sleep', ['1']);
  }
  if (!pgReady()) process.stderr.write('setup: PostgreSQL is not answering on 127.0.0.1:5432; its tests will fail\n');

  const redisReady = () => quiet('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping']).stdout?.trim() === 'PONG';
  if (!redisReady() && quiet('redis-server', ['--version']).status === 0) {
    spawn('starting Redis (redis-server --daemonize yes)…', 'redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    for (let i = 0; i < 30 && !redisReady(); i++) spawnSync('sleep', ['1']);
  }
  if (!redisReady()) process.stderr.write('setup: Redis is not answering on 127.0.0.1:6379; its tests will fail\n');

  const chromium = '/usr/bin/chromium';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!existsSync(chromium) && process.platform === 'linux' && isRoot && existsSync('/usr/bin/apt-get')) {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    step('Chromium for the browser tests is missing: apt-get update…', 'apt-get', ['update', '-qq'], env);
    step('apt-get install chromium…', 'apt-get', ['install', '-y', '-qq', 'chromium'], env);
  }
  if (!existsSync(chromium))
    process.stderr.write(`setup: ${chromium} is missing (apt-get install chromium); the browser tests will fail\n`);
}
