import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testSigningKey } from '@gatehouse/server/testing';
import { createTestDatabase } from '@gatehouse/storage/testing';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');

/** A `gatehouse serve` process on a free loopback port, with its own database. */
export interface ServedGatehouse {
  url: string;
  appId: string;
  /** Everything the process printed. */
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts the built CLI — `gatehouse serve --config <file>` — the way an operator would, on SQLite (a file
 * in a temp dir) or PostgreSQL (a database made for this test and dropped afterwards).
 */
export async function serveGatehouse(
  dialect: 'sqlite' | 'postgres',
  app: Record<string, unknown>,
  extra: Record<string, unknown> = {},
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
  const file = join(dir, 'gatehouse.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'serve', '--config', file, '--port', String(port), '--host', '127.0.0.1'],
    {
      env: { ...process.env, GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}` },
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

async function freePort(): Promise<number> {
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
