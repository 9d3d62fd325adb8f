import { randomBytes, toHex } from '@gatehouse-auth/core';
import { missingDriverError } from '../dialects/missing-driver.js';

/** The server tests connect to; CI provides it. Override with `GATEHOUSE_TEST_PG_URL`. */
const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Creates an empty PostgreSQL database for one test run, named `gatehouse_test_<random hex>`, on the server at
 * `GATEHOUSE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`, trust auth).
 *
 * PostgreSQL is required, not optional: when it is unreachable this rejects with a message saying so, and the
 * tests that need it fail rather than skip. Needs the optional `pg` driver (loaded on first use).
 *
 * @example
 * ```ts
 * const db = await createTestDatabase();
 * const storage = await createPostgresStorage({ connectionString: db.url });
 * // … and afterwards:
 * await storage.close();
 * await db.drop();
 * ```
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.GATEHOUSE_TEST_PG_URL || DEFAULT_ADMIN_URL;
  const name = `gatehouse_test_${toHex(randomBytes(6))}`;
  await admin(adminUrl, `create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE (PostgreSQL 13+) ends sessions a failed test left open.
      await admin(adminUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const pg = await import('pg').then(
    (module) => module.default,
    (error: unknown) => {
      throw missingDriverError('pg', 'PostgreSQL', error);
    },
  );
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `PostgreSQL is required for these tests but ${redact(adminUrl)} is unreachable (${reason}). ` +
        'Start PostgreSQL, or point GATEHOUSE_TEST_PG_URL at a server where this user may create databases.',
      { cause: error },
    );
  }
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
