import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initConfig } from './commands/init.js';
import { runCli, startCli, TEST_PASSWORD_HASHING, tempDirs } from './test-cli.js';

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

/** `serve` logs JSON lines (at info: the tests' environment silences logs otherwise). */
const LISTENING = /"url":"(http:\/\/[^"]+)".*"msg":"listening"/;
const LOGS = { GATEHOUSE_LOG_LEVEL: 'info' };
const jsonLines = (text: string): Record<string, any>[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

/** A config written by `init`, with test-speed hashing added. */
async function configIn(dir: string, edit: (config: Record<string, any>) => void = () => {}): Promise<string> {
  const { path } = await initConfig({ dir });
  const config = JSON.parse(readFileSync(path, 'utf8'));
  config.passwordHashing = TEST_PASSWORD_HASHING;
  edit(config);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe('gatehouse serve', () => {
  it('reports every bad field of the config on stderr and exits 1, without a stack trace', async () => {
    const dir = dirs.make();
    const path = join(dir, 'gatehouse.config.json');
    writeFileSync(
      path,
      JSON.stringify({ publicUrl: 'not a url', database: { url: 'sqlite::memory:' }, keys: [], apps: { 'a-b': {} } }),
    );
    const result = await runCli(['serve', '--config', path, '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('publicUrl');
    expect(result.stderr).toContain('keys');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('names an environment override that is malformed', async () => {
    const dir = dirs.make();
    const path = await configIn(dir);
    const result = await runCli(['serve', '--config', path], { env: { GATEHOUSE_PORT: 'eighty' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GATEHOUSE_PORT');
  });

  it('says how to make a config when there is none', async () => {
    const dir = dirs.make();
    const result = await runCli(['serve'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('gatehouse init');
  });

  it('serves /healthz on an ephemeral port, without dev pages, and shuts down gracefully', async () => {
    const dir = dirs.make();
    const path = await configIn(dir);
    const server = await startCli(['serve', '--config', path, '--port', '0'], LISTENING, {
      cwd: dirs.make(),
      env: LOGS,
    });
    expect(existsSync(join(dir, '.gatehouse', 'gatehouse.db'))).toBe(true); // beside the config, not in cwd
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/dev/outbox`)).status).toBe(404);

    expect(await server.stop()).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    // Start-up, requests and shutdown: one JSON log on stdout, nothing else.
    const lines = jsonLines(server.stdout());
    expect(lines[0]).toMatchObject({ level: 30, service: 'gatehouse', msg: 'listening', url: server.url });
    expect(lines[0]?.database).toMatch(/^sqlite:/);
    // Warned: no mail leaves a server on the outbox transport.
    expect(lines.find((l) => l.level === 40 && l.setting === 'email.transport')?.msg).toContain('outbox');
    expect(lines.find((l) => l.msg === 'request completed' && l.route === '/readyz')).toBeUndefined(); // debug
    expect(lines.at(-1)?.msg).toBe('Stopped.');
    expect(server.stderr()).toBe('');
  });

  it('honours DATABASE_URL over the config file', async () => {
    const dir = dirs.make();
    const path = await configIn(dir);
    const envDb = join(dir, 'from-env.db');
    const server = await startCli(['serve', '--config', path, '--port', '0'], LISTENING, {
      env: { DATABASE_URL: `sqlite:${envDb}`, ...LOGS },
    });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(existsSync(envDb)).toBe(true);
      expect(existsSync(join(dir, '.gatehouse', 'gatehouse.db'))).toBe(false);
      expect(server.stdout()).toContain(envDb);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('serves Prometheus metrics on their own port when GATEHOUSE_METRICS_PORT is set', async () => {
    const dir = dirs.make();
    const path = await configIn(dir);
    const server = await startCli(['serve', '--config', path, '--port', '0'], LISTENING, {
      env: { ...LOGS, GATEHOUSE_METRICS_PORT: '0' },
    });
    try {
      const metricsUrl = jsonLines(server.stdout())[0]?.metrics as string;
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new URL(metricsUrl).port).not.toBe(new URL(server.url).port);
      await fetch(`${server.url}/healthz`);
      const text = await (await fetch(metricsUrl)).text();
      expect(text).toContain('gatehouse_http_requests_total{method="GET",route="/healthz",status="200"} 1');
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('reports a taken port clearly instead of choosing another', async () => {
    const dir = dirs.make();
    const path = await configIn(dir);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['serve', '--config', path, '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port}`);
      expect(result.stderr).toContain('already in use');
      expect(result.stderr).toContain('--port');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('gatehouse migrate', () => {
  it('creates the SQLite database beside the config and says what it did', async () => {
    const dir = dirs.make();
    await configIn(dir);
    const result = await runCli(['migrate'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(existsSync(join(dir, '.gatehouse', 'gatehouse.db'))).toBe(true);
    expect(result.stdout).toContain('Migrating sqlite:');
    expect(result.stdout).toContain('sqlite schema is up to date');
    // Running it again is harmless.
    expect((await runCli(['migrate'], { cwd: dir })).code).toBe(0);
  });

  it('fails with a clear message when the database cannot be reached', async () => {
    const dir = dirs.make();
    const path = await configIn(dir);
    const result = await runCli(['migrate', '--config', path], {
      env: { DATABASE_URL: 'postgres://gatehouse:s3cret-password@127.0.0.1:1/gatehouse' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('postgres://gatehouse:***@127.0.0.1:1/gatehouse');
    expect(result.stdout + result.stderr).not.toContain('s3cret-password');
  });
});

describe('gatehouse serve --workers 2', () => {
  /** A request on a connection of its own (no keep-alive), so successive requests may reach either worker. */
  const send = (url: string, method = 'GET', body?: unknown) =>
    new Promise<{ status: number; json: any }>((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = httpRequest(url, {
        method,
        agent: false,
        headers: text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {},
      });
      req.on('response', (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data ? JSON.parse(data) : null }));
      });
      req.on('error', reject);
      req.end(text);
    });

  it('refuses a --workers that is not a number from 1 to 64 or auto', async () => {
    const path = await configIn(dirs.make());
    const result = await runCli(['serve', '--config', path, '--port', '0', '--workers', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--workers must be a number from 1 to 64, or auto');
  });

  it('serves one /metrics for the machine: every worker counted once, shared figures not multiplied', async () => {
    const dir = dirs.make();
    let appId = '';
    const path = await configIn(dir, (config) => {
      appId = Object.keys(config.apps)[0] as string;
      config.apps[appId].providers['local-userpass'].confirmation = 'auto';
    });
    const server = await startCli(['serve', '--config', path, '--port', '0', '--workers', '2'], LISTENING, {
      env: { GATEHOUSE_LOG_LEVEL: 'debug', GATEHOUSE_METRICS_PORT: '0' },
    });
    try {
      const metricsUrl = jsonLines(server.stdout()).find((l) => l.msg === 'listening')?.metrics as string;
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const api = `${server.url}/api/client/v2.0/app/${appId}/auth/providers/local-userpass`;
      const credentials = { username: 'ada@example.com', password: 'correct horse battery staple' };
      expect(
        (await send(`${api}/register`, 'POST', { email: credentials.username, password: credentials.password })).status,
      ).toBe(201);
      expect((await send(`${api}/login`, 'POST', credentials)).status).toBe(200);
      for (let i = 0; i < 10; i++) expect((await send(`${server.url}/healthz`)).status).toBe(200);
      const served = jsonLines(server.stdout()).filter((l) => l.msg === 'request completed' && l.route === '/healthz');
      expect(new Set(served.map((l) => l.worker)).size).toBe(2); // both workers answered some

      const text = await (await fetch(metricsUrl)).text();
      const value = (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        return line === undefined ? undefined : Number(line.slice(series.length + 1));
      };
      // Counters and histograms: the sum over the workers, whichever answered.
      expect(value('gatehouse_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(10);
      expect(value('gatehouse_logins_total{provider="local-userpass",via="http"}')).toBe(1);
      // Hashing happens in the primary: its pool's figures, once (a registration's hash and a login's check).
      expect(value('gatehouse_password_hash_wait_seconds_count')).toBe(2);
      expect(value('gatehouse_password_hash_running')).toBe(0);
      expect(text.match(/^gatehouse_password_hash_queue_depth /gm)).toHaveLength(1);
      // What every process reads from the same database is not multiplied by the number of workers.
      expect(value('gatehouse_active_sessions{kind="refresh"}')).toBe(1);
      expect(value('gatehouse_database_available')).toBe(1);
      expect(text).toMatch(/^gatehouse_build_info\{version="[^"]+"\} 1$/m);
      // Workers open no metrics listener of their own: the primary's is the only one.
      expect(server.stdout().match(/\/metrics"/g)).toHaveLength(1);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('serves from both workers, shares rate limits, replaces a dead worker, and drains every worker on SIGTERM', async () => {
    const dir = dirs.make();
    let appId = '';
    const path = await configIn(dir, (config) => {
      appId = Object.keys(config.apps)[0] as string;
      config.apps[appId].providers['local-userpass'].confirmation = 'auto';
      config.rateLimits = { failedLoginsPerAccountAndAddress: 3 };
    });
    const server = await startCli(['serve', '--config', path, '--port', '0', '--workers', '2'], LISTENING, {
      env: { GATEHOUSE_LOG_LEVEL: 'debug' },
    });
    let stopped: Promise<number> | null = null;
    try {
      expect(jsonLines(server.stdout()).find((l) => l.msg === 'listening')).toMatchObject({ workers: 2 });
      const api = `${server.url}/api/client/v2.0/app/${appId}/auth/providers/local-userpass`;
      const credentials = { username: 'ada@example.com', password: 'correct horse battery staple' };
      expect(
        (await send(`${api}/register`, 'POST', { email: credentials.username, password: credentials.password })).status,
      ).toBe(201);
      const login = await send(`${api}/login`, 'POST', credentials);
      expect(login.status).toBe(200);
      expect(typeof login.json.refresh_token).toBe('string');
      for (let i = 0; i < 6; i++) expect((await send(`${server.url}/healthz`)).status).toBe(200);

      // Three failures, spread over both workers, reach the per-account-and-address limit of 3: counted once, in
      // the primary (each worker counting alone would have seen at most two).
      for (let i = 0; i < 3; i++)
        expect((await send(`${api}/login`, 'POST', { ...credentials, password: 'wrong password!' })).status).toBe(401);
      expect((await send(`${api}/login`, 'POST', credentials)).status).toBe(429);

      const requestLines = jsonLines(server.stdout()).filter((l) => l.msg === 'request completed');
      expect(new Set(requestLines.map((l) => l.worker)).size).toBe(2); // both workers answered some

      // A worker that dies is replaced.
      const pids = () =>
        jsonLines(server.stdout())
          .filter((l) => l.msg === 'worker listening')
          .map((l) => l.pid);
      expect(pids()).toHaveLength(2);
      process.kill(pids()[0], 'SIGKILL');
      for (let i = 0; i < 200 && pids().length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pids()).toHaveLength(3);
      expect(jsonLines(server.stdout()).find((l) => l.msg === 'worker exited: starting another')).toMatchObject({
        level: 40,
        signal: 'SIGKILL',
      });
      for (let i = 0; i < 4; i++) expect((await send(`${server.url}/healthz`)).status).toBe(200);

      // A request in flight (its body half sent) when SIGTERM arrives is still answered.
      const answered = new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${api.replace('local-userpass', 'anon-user')}/login`, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': 2 },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.write('{');
        setTimeout(() => {
          stopped = server.stop();
          setTimeout(() => req.end('}'), 300);
        }, 500);
      });
      expect(await answered).toBe(200);
      expect(await (stopped as unknown as Promise<number>)).toBe(0);
      await expect(send(`${server.url}/healthz`)).rejects.toThrow();
      const lines = jsonLines(server.stdout());
      expect(lines.at(-1)?.msg).toBe('Stopped.');
      expect(lines.filter((l) => l.msg === 'Stopped.')).toHaveLength(3); // both live workers, then the primary
      expect(server.stderr()).toBe('');
    } finally {
      if (!stopped) await server.stop();
    }
  });
});
