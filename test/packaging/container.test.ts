import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSigningKey, resolveConfig } from '@gatehouse-auth/server';
import { createTestDatabase } from '@gatehouse-auth/storage/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WORKER_V8_FLAGS } from '../../packages/cli/src/cluster.js';
import { startCli } from '../../packages/cli/src/test-cli.js';

/**
 * The Dockerfile and compose.yaml, checked without a container engine (none runs where Gatehouse is developed
 * and tested): the image is built by the pack test's own script and runs as a non-root user with a readiness
 * health check; compose's environment uses only variables Gatehouse reads; and the command the image runs —
 * `gatehouse serve` on the mounted config with compose's environment — serves on real PostgreSQL and Redis.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'));
const gatehouse = compose.services.gatehouse;

/** Dockerfile instructions, continuation lines joined: `[keyword, arguments]`. */
function instructions(text: string): [string, string][] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(' ')];
    });
}

/** The environment variables Gatehouse reads (config/load.ts's `applyEnvironment`). */
const KNOWN_ENV = new Set(
  [...readFileSync(join(ROOT, 'packages/server/src/config/load.ts'), 'utf8').matchAll(/set\(\s*'([A-Z_]+)'/g)].map(
    (m) => m[1],
  ),
);

describe('the Dockerfile', () => {
  const steps = instructions(dockerfile);
  const stages = steps.filter(([keyword]) => keyword === 'FROM');
  const runtime = steps.slice(steps.lastIndexOf(stages.at(-1) as [string, string]));

  it('builds in a stage of its own with the pack test’s script, and keeps only the installation', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = steps.filter(([keyword, args]) => keyword === 'RUN' && args.includes('pack-install.mjs'));
    expect(build).toHaveLength(1);
    const packages = /--packages (\S+)/.exec(build[0]?.[1] ?? '')?.[1]?.split(',') ?? [];
    const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const name of packages) expect(workspaces).toContain(`packages/${name}`);
    expect(packages).toContain('cli');
    expect(readFileSync(join(ROOT, 'test/packaging/pack.test.ts'), 'utf8')).toContain('scripts/pack-install.mjs');
    // The runtime stage copies the installation from the build stage, nothing from the source tree.
    const copies = runtime.filter(([keyword]) => keyword === 'COPY');
    expect(copies.map(([, args]) => args)).toEqual(['--from=build /out/app /app']);
  });

  it('runs `gatehouse serve` on the mounted config as the unprivileged node user, healthy when /readyz is', () => {
    const user = runtime.filter(([keyword]) => keyword === 'USER').at(-1)?.[1];
    expect(user).toBe('node');
    const healthcheck = runtime.find(([keyword]) => keyword === 'HEALTHCHECK')?.[1] ?? '';
    expect(healthcheck).toContain('/readyz');
    // node with the heap settings workers get, running the CLI package's own `gatehouse` bin.
    const [node, ...rest] = JSON.parse(runtime.find(([keyword]) => keyword === 'ENTRYPOINT')?.[1] ?? '[]');
    const { bin } = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8'));
    expect(node).toBe('node');
    expect(rest).toEqual([...WORKER_V8_FLAGS, join('/app/node_modules/@gatehouse-auth/cli', bin.gatehouse)]);
    // This node accepts them on its command line (one is refused in NODE_OPTIONS, hence not there).
    expect(spawnSync(process.execPath, [...WORKER_V8_FLAGS, '-e', '']).status).toBe(0);
    expect(JSON.parse(runtime.find(([keyword]) => keyword === 'CMD')?.[1] ?? '[]')).toEqual([
      'serve',
      '--config',
      '/config/gatehouse.config.json',
    ]);
    for (const [, args] of runtime.filter(([keyword]) => keyword === 'ENV'))
      for (const name of args.matchAll(/([A-Z_]+)=/g))
        if (name[1]?.startsWith('GATEHOUSE_')) expect(KNOWN_ENV, name[1]).toContain(name[1]);
  });
});

describe('compose.yaml', () => {
  const dbDrops: (() => Promise<void>)[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const drop of dbDrops) await drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs Gatehouse beside PostgreSQL and Redis, started once they are healthy, metrics not published', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gatehouse', 'postgres', 'redis']);
    expect(gatehouse.build).toBe('.');
    expect(gatehouse.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(compose.services.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(gatehouse.volumes).toContain('./deploy/gatehouse.config.json:/config/gatehouse.config.json:ro');
    expect(gatehouse.ports).toEqual(['127.0.0.1:8080:8080']);
    for (const name of Object.keys(gatehouse.environment)) expect(KNOWN_ENV, name).toContain(name);
  });

  it("serves: the image's command on the mounted config with compose's environment, on PostgreSQL and Redis", async () => {
    const database = await createTestDatabase();
    dbDrops.push(() => database.drop());
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-compose-'));
    dirs.push(dir);
    const keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify([await generateSigningKey('ES256')]), { mode: 0o600 });

    // compose's values, with the services' addresses as this machine has them.
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(gatehouse.environment as Record<string, string>))
      env[name] = String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'); // the defaults compose would use
    env.DATABASE_URL = database.url;
    env.REDIS_URL = 'redis://127.0.0.1:6379';
    env.GATEHOUSE_REDIS_KEY_PREFIX = `gatehouse-compose-test-${process.pid}:`;
    env.GATEHOUSE_KEYS_FILE = keysFile;
    env.GATEHOUSE_METRICS_PORT = '0';
    env.GATEHOUSE_HOST = '127.0.0.1';
    env.GATEHOUSE_PORT = '0';

    const config = join(ROOT, 'deploy/gatehouse.config.json');
    const schema = new Ajv2020({ strict: true, validateFormats: false }).compile(
      JSON.parse(readFileSync(join(ROOT, 'packages/server/config.schema.json'), 'utf8')),
    );
    const fileConfig = JSON.parse(readFileSync(config, 'utf8'));
    expect(schema({ ...fileConfig, keys: [await generateSigningKey('ES256')] }), JSON.stringify(schema.errors)).toBe(
      true,
    );
    expect(() => resolveConfig({ ...fileConfig, keys: [] })).toThrow(/keys/); // the keys come from the secret

    const served = await startCli(['serve', '--config', config], /"url":"(http:\/\/[^"]+)".*"msg":"listening"/, {
      env,
    });
    try {
      expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
      const login = await fetch(`${served.url}/api/client/v2.0/app/myapp-zayvv/auth/providers/anon-user/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(login.status).toBe(200);
      const started = JSON.parse(served.stdout().split('\n')[0] ?? '{}');
      expect(started.database).toMatch(/^postgres:\/\//);
      expect(started.metrics).toMatch(/\/metrics$/);
      expect(await (await fetch(started.metrics)).text()).toContain('gatehouse_db_pool_connections{state="max"} 10');
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });
});
