import { openTestStorage } from '@gatehouse-auth/storage/testing';
import type { GatehouseConfigInput } from '../config/schema.js';
import { createGatehouse, type Gatehouse, type GatehouseOptions } from '../gatehouse.js';
import { generateSigningKey, type SigningKeyConfig } from '../tokens/keys.js';

/**
 * Test harness: a real Gatehouse on a real database (SQLite in memory, or a PostgreSQL database created for
 * the test and dropped afterwards), real password hashing at test-speed parameters, the outbox mailer, and a
 * clock the test moves. Requests go through `fetch` in-process — no ports.
 */
export interface TestGatehouse {
  gatehouse: Gatehouse;
  appId: string;
  /** How many users the test app has, read straight from the database (the storage contract has no count). */
  countUsers(): Promise<number>;
  /** Moves the clock forward. */
  advance(ms: number): void;
  now(): number;
  /** Sends a request; `body` objects are sent as JSON. */
  request(method: string, path: string, init?: TestRequestInit): Promise<TestResponse>;
  /** Shorthand for `/api/client/v2.0/app/<appId><path>`. */
  appPath(path: string): string;
  /** The links of the newest outbox mail to `to`, waiting briefly for background sends. */
  mailLinks(to: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface TestRequestInit {
  body?: unknown;
  /** Raw body text (sent as is). */
  raw?: string;
  token?: string | null;
  headers?: Record<string, string>;
  address?: string;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or `undefined`. */
  json: any;
}

export const TEST_APP_ID = 'test-app-abcde';

let cachedKey: Promise<SigningKeyConfig> | undefined;
/** One ES256 key per test process (key generation is the slow part of a harness). */
export function testSigningKey(): Promise<SigningKeyConfig> {
  cachedKey ??= generateSigningKey('ES256');
  return cachedKey;
}

type AppConfig = NonNullable<GatehouseConfigInput['apps']>[string];

/**
 * Starts a test Gatehouse. `app` overrides the test app's settings; `config` overrides top-level settings.
 */
export async function startTestGatehouse(
  dialect: 'sqlite' | 'postgres' = 'sqlite',
  options: { app?: AppConfig; config?: Partial<GatehouseConfigInput>; gatehouse?: GatehouseOptions } = {},
): Promise<TestGatehouse> {
  const { storage, cleanup, countUsers } = await openTestStorage(dialect);
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
  const appId = TEST_APP_ID;
  const config: GatehouseConfigInput = {
    publicUrl: 'http://gatehouse.test',
    database: { url: 'sqlite::memory:' },
    keys: [await testSigningKey()],
    passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    logLevel: 'silent',
    apps: {
      [appId]: options.app ?? {
        name: 'Test App',
        providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } },
      },
    },
    ...options.config,
  };
  let gatehouse: Gatehouse;
  try {
    gatehouse = await createGatehouse(config, { storage, now: () => clock, ...options.gatehouse });
  } catch (error) {
    // A refused configuration must not leave the test database behind.
    await cleanup();
    throw error;
  }

  const request = async (method: string, path: string, init: TestRequestInit = {}): Promise<TestResponse> => {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    let body: string | undefined;
    if (init.raw !== undefined) body = init.raw;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    const response = await gatehouse.fetch(new Request(`http://gatehouse.test${path}`, { method, headers, body }), {
      address: init.address ?? '127.0.0.1',
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };

  return {
    gatehouse,
    appId,
    countUsers: () => countUsers(appId),
    advance: (ms) => {
      clock += ms;
    },
    now: () => clock,
    request,
    appPath: (path) => `/api/client/v2.0/app/${appId}${path}`,
    async mailLinks(to) {
      for (let i = 0; i < 100; i++) {
        const mail = gatehouse.outbox?.list().find((m) => m.to === to);
        if (mail) return [...mail.text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no mail to ${to} in the outbox`);
    },
    async close() {
      await gatehouse.close();
      await cleanup();
    },
  };
}

/** `token` and `tokenId` from a confirmation or reset link. */
export function tokenFromLink(link: string): { token: string; tokenId: string } {
  const url = new URL(link);
  return { token: url.searchParams.get('token') ?? '', tokenId: url.searchParams.get('tokenId') ?? '' };
}

/** The payload of a JWT, decoded without verification (tests only). */
export function decodeJwt(token: string): Record<string, any> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}
