import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testSigningKey } from '@gatehouse-auth/server/testing';
import { createTestDatabase } from '@gatehouse-auth/storage/testing';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');

/** A `gatehouse serve` process on a free loopback port, with its own database. */
export interface ServedGatehouse {
  url: string;
  appId: string;
  /** The config file the process was started with (for running other CLI commands against it). */
  configFile: string;
  /** Everything the process printed. */
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts the built CLI — `gatehouse serve --config <file>` — the way an operator would, on SQLite (a file
 * in a temp dir) or PostgreSQL (a database made for this test and dropped afterwards).
 *
 * `module`, when given, is JavaScript source for more top-level entries (`functions: {…}, hooks: {…}`): the
 * config is then written as a `gatehouse.config.mjs` module, the only kind of config that can carry functions.
 */
export async function serveGatehouse(
  dialect: 'sqlite' | 'postgres',
  app: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  { module }: { module?: string } = {},
): Promise<ServedGatehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-compat-'));
  const db = dialect === 'postgres' ? await createTestDatabase() : null;
  const appId = 'compat-app-qwert';
  const config = {
    publicUrl: 'http://127.0.0.1:0',
    listen: { host: '127.0.0.1', port: 0 },
    database: { url: db ? db.url : `sqlite:${join(dir, 'gatehouse.db')}` },
    keys: [await testSigningKey()],
    logLevel: 'warn',
    apps: { [appId]: app },
    ...extra,
  };
  const file = join(dir, module === undefined ? 'gatehouse.config.json' : 'gatehouse.config.mjs');
  const json = JSON.stringify(config, null, 2);
  const text = module === undefined ? json : `export default { ...${json},\n${module}\n};\n`;
  writeFileSync(file, text, { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'serve', '--config', file, '--port', String(port), '--host', '127.0.0.1'],
    {
      // One process unless GATEHOUSE_WORKERS asks for more (`GATEHOUSE_WORKERS=2 npx vitest run test/compat` runs the
      // suites against a cluster); `serve` itself defaults to one per core.
      env: {
        ...process.env,
        GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        GATEHOUSE_WORKERS: process.env.GATEHOUSE_WORKERS ?? '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 300) throw new Error(`gatehouse serve did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    appId,
    configFile: file,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs another command of the built CLI (`gatehouse keys …`, `gatehouse users …`) to completion. */
export function runGatehouse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' } },
      (error, stdout, stderr) =>
        resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
