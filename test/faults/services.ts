import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../compat/serve.js';

/**
 * Private services for the fault tests: a PostgreSQL cluster and a Redis server of their own, on their own
 * loopback ports, started and removed by the tests — never the machine's shared ones, which other tests use at
 * the same time. Stopping, restarting, freezing (SIGSTOP) and cutting connections happen here.
 */

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The newest installed PostgreSQL's binaries (Debian keeps them under /usr/lib/postgresql/<major>/bin). */
function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error(`PostgreSQL's ${name} is not installed under ${root}/*/bin`);
  return join(root, majors[0], 'bin', name);
}

/** Runs a PostgreSQL tool as the `postgres` user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(command: string, args: string[]): string {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  adminUrl: string;
  /** A URL for a database of this cluster. */
  url(database: string): string;
  port: number;
  start(): void;
  /** Fast shutdown: ends every session ("terminating connection due to administrator command"). */
  stop(): void;
  restart(): void;
  /** SIGSTOP to the server and all its processes: connections stay open but nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Ends every client session from the server side (`pg_terminate_backend`). */
  terminateBackends(): void;
  remove(): void;
}

export function startPrivatePostgres(port: number): PrivatePostgres {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-faults-pg-'));
  const data = join(dir, 'data');
  if (isRoot) {
    chownSync(dir, uid('postgres'), gid('postgres'));
    chmodSync(dir, 0o700);
  }
  asPostgres(pgBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '-N']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=60`;
  const pgCtl = (...args: string[]) => asPostgres(pgBin('pg_ctl'), ['-D', data, '-w', '-t', '30', ...args]);
  const processes = (): number[] => {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    return [pid, ...children.map(Number)];
  };
  let frozen = false;
  const pg: PrivatePostgres = {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    start: () => void pgCtl('-o', options, '-l', join(dir, 'log'), 'start'),
    stop: () => void pgCtl('-m', 'fast', 'stop'),
    restart: () => void pgCtl('-m', 'fast', '-o', options, '-l', join(dir, 'log'), 'restart'),
    freeze() {
      for (const pid of processes()) process.kill(pid, 'SIGSTOP');
      frozen = true;
    },
    thaw() {
      for (const pid of processes()) process.kill(pid, 'SIGCONT');
      frozen = false;
    },
    terminateBackends() {
      asPostgres(pgBin('psql'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-Atc',
        'select count(pg_terminate_backend(pid)) from pg_stat_activity where pid <> pg_backend_pid() and backend_type = $$client backend$$',
      ]);
    },
    remove() {
      try {
        if (frozen) pg.thaw();
        pgCtl('-m', 'immediate', 'stop');
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}
function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  freeze(): void;
  thaw(): void;
  remove(): Promise<void>;
}

/** A `redis-server` on its own port, in memory only (no snapshot, no append-only file). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      try {
        const answer = execFileSync('redis-cli', ['-p', String(port), 'ping'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        if (answer.trim() === 'PONG') return;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the private redis-server did not start');
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGCONT');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    remove: stop,
  };
}
