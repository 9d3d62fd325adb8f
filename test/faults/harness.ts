import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testSigningKey } from '@gatehouse-auth/server/testing';
import pg from 'pg';
import { freePort, ROOT } from '../compat/serve.js';

const BIN = join(ROOT, 'packages/cli/dist/bin.js');
export const APP = 'faults-app-abcde';
export const PASSWORD = 'a long enough passphrase';

/** A `gatehouse serve` process, started the way an operator would, to inject faults around. */
export interface GatehouseProcess {
  url: string;
  /** Everything it printed so far (JSON log lines and the CLI's own lines). */
  output(): string;
  /** The exit code or signal once it ended, `null` while it runs. */
  exited(): number | string | null;
  /** Sends a signal and waits for the exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export async function startGatehouseProcess(config: Record<string, unknown>): Promise<GatehouseProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-faults-'));
  const port = await freePort();
  const file = join(dir, 'gatehouse.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      publicUrl: `http://127.0.0.1:${port}`,
      listen: { host: '127.0.0.1', port },
      keys: [await testSigningKey()],
      passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      logLevel: 'info',
      ...config,
    }),
    { mode: 0o600 },
  );
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--config', file], {
    // One process: these faults are about one server's behaviour (its log lines, its pool), not a cluster's.
    env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_WORKERS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  let exit: number | string | null = null;
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = code ?? signal;
      resolve(exit);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (exit !== null || i > 400) throw new Error(`gatehouse serve did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    output: () => output,
    exited: () => exit,
    async stop(signal = 'SIGTERM') {
      if (exit === null) child.kill(signal);
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** One request the load made. */
export interface Sample {
  op: 'register' | 'login' | 'refresh' | 'profile';
  start: number;
  end: number;
  /** HTTP status, or 0 when no response came (connection refused or cut). */
  status: number;
  retryAfter: string | null;
  email?: string;
  error?: string;
}

/**
 * Workers that each loop register → login → refresh → profile against a Gatehouse, over keep-alive
 * connections (Node's fetch), until stopped. Every request is recorded.
 */
export function startLoad(url: string, options: { workers?: number; tag?: string; pauseMs?: number } = {}) {
  const samples: Sample[] = [];
  let running = true;
  let n = 0;
  const api = `${url}/api/client/v2.0`;
  const call = async (op: Sample['op'], path: string, init: RequestInit, email?: string) => {
    const start = Date.now();
    try {
      const response = await fetch(`${api}${path}`, { ...init, signal: AbortSignal.timeout(20_000) });
      const body = await response.text();
      samples.push({
        op,
        start,
        end: Date.now(),
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        ...(email ? { email } : {}),
      });
      return { status: response.status, json: body ? (JSON.parse(body) as Record<string, string>) : {} };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      samples.push({
        op,
        start,
        end: Date.now(),
        status: 0,
        retryAfter: null,
        error: `${cause?.code ?? ''} ${cause?.message ?? String(error)}`,
        ...(email ? { email } : {}),
      });
      return { status: 0, json: {} };
    }
  };
  const json = (body: unknown, token?: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const worker = async (w: number) => {
    while (running) {
      const email = `${options.tag ?? 'load'}-${w}-${n++}-${Date.now()}@example.com`;
      const registered = await call(
        'register',
        `/app/${APP}/auth/providers/local-userpass/register`,
        json({ email, password: PASSWORD }),
        email,
      );
      if (registered.status === 201 && running) {
        const login = await call(
          'login',
          `/app/${APP}/auth/providers/local-userpass/login`,
          json({ username: email, password: PASSWORD }),
        );
        if (login.status === 200 && running) {
          await call('refresh', '/auth/session', {
            method: 'POST',
            headers: { authorization: `Bearer ${login.json.refresh_token}` },
          });
          await call('profile', '/auth/profile', { headers: { authorization: `Bearer ${login.json.access_token}` } });
        }
      }
      if (registered.status !== 201) await new Promise((r) => setTimeout(r, options.pauseMs ?? 50));
    }
  };
  const done = Promise.all(Array.from({ length: options.workers ?? 4 }, (_, w) => worker(w)));
  return {
    samples,
    async stop() {
      running = false;
      await done;
      return samples;
    },
  };
}

/** Counts of samples by status, e.g. `{ 200: 812, 503: 40 }`. */
export function byStatus(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) counts[s.status] = (counts[s.status] ?? 0) + 1;
  return counts;
}

/** The addresses of every registration the server acknowledged (201). */
export function acknowledged(samples: readonly Sample[]): string[] {
  return samples.filter((s) => s.op === 'register' && s.status === 201).map((s) => s.email as string);
}

/** Which of `emails` are missing from the database at `url`. */
export async function missingUsers(url: string, emails: readonly string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ address: string }>(
      'select address from user_emails where address = any($1::text[])',
      [emails],
    );
    const found = new Set(rows.map((r) => r.address));
    return emails.filter((e) => !found.has(e));
  } finally {
    await client.end();
  }
}

/** Polls `check` every 50 ms until it is true; the milliseconds it took, or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

/** The log lines (JSON) of a process's output whose `msg` contains `text`. */
export function logLines(output: string, text: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.msg === 'string' && line.msg.includes(text));
}
