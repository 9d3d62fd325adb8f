import {
  createGatehouse,
  type Gatehouse,
  type GatehouseConfigInput,
  type NodeServer,
  serveNode,
} from '@gatehouse-auth/server';
import { testSigningKey } from '@gatehouse-auth/server/testing';
import { openTestStorage } from '@gatehouse-auth/storage/testing';
import { freePort } from '../compat/serve.js';

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** `none`, or the `typ` of the bearer token (`access` / `refresh`), or `Bearer <text>` if it is no JWT. */
  auth: string;
  contentType: string | null;
  body: unknown;
}

/** A real Gatehouse on loopback (in-process, `createGatehouse` + `serveNode`), with a clock the test moves. */
export interface LiveGatehouse {
  url: string;
  gatehouse: Gatehouse;
  /** Every request that reached the server, in order (the test may empty it). */
  requests: SeenRequest[];
  /** Requests matching `method` and a path that starts with `prefix`. */
  count(method: string, prefix: string): number;
  /** Moves the server's clock (tokens are issued and checked with it). */
  advance(ms: number): void;
  /** Sets the server's clock to the real time plus `ms`. */
  setClockOffset(ms: number): void;
  /** Stops listening, as if the server went away; the database and keys stay. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** The token and tokenId of the newest outbox mail to `to`, once at least `count` mails to `to` arrived. */
  mailedToken(to: string, count?: number): Promise<{ token: string; tokenId: string }>;
  close(): Promise<void>;
}

type Apps = NonNullable<GatehouseConfigInput['apps']>;

/**
 * Starts Gatehouse on a free loopback port with `apps`, SQLite (in memory) or PostgreSQL (a database made for
 * the test and dropped by `close()`), test-speed password hashing. The server's clock starts an hour behind
 * the real one, so that tokens it issues look expired to a client that has not yet measured the skew (an app
 * started from storage), while the server itself still accepts them.
 */
export async function startGatehouse(
  dialect: 'sqlite' | 'postgres',
  apps: Apps,
  extra: Partial<GatehouseConfigInput> = {},
): Promise<LiveGatehouse> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { storage, cleanup } = await openTestStorage(dialect);
  let offset = -3_600_000;
  const gatehouse = await createGatehouse(
    {
      publicUrl: url,
      database: { url: 'sqlite::memory:' },
      keys: [await testSigningKey()],
      passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      logLevel: 'silent',
      apps,
      ...extra,
    },
    // The server's time runs with the real one, `offset` apart.
    { storage, now: () => Date.now() + offset },
  );
  const requests: SeenRequest[] = [];
  const recording = Object.create(gatehouse, {
    fetch: {
      value: async (request: Request, info?: { address?: string | null }) => {
        const target = new URL(request.url);
        const text = await request.clone().text();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // kept as text
        }
        requests.push({
          method: request.method,
          path: target.pathname + target.search,
          auth: authKind(request.headers.get('authorization')),
          contentType: request.headers.get('content-type'),
          body,
        });
        return gatehouse.fetch(request, info);
      },
    },
  }) as Gatehouse;
  let server: NodeServer | null = await serveNode(recording, { host: '127.0.0.1', port });
  const live: LiveGatehouse = {
    url,
    gatehouse,
    requests,
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    advance(ms) {
      offset += ms;
    },
    setClockOffset(ms) {
      offset = ms;
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      // Only the listener goes: `NodeServer.close()` would close Gatehouse and its database too.
      await new Promise<void>((resolve) => {
        s.server.close(() => resolve());
        s.server.closeAllConnections();
      });
    },
    async start() {
      server ??= await serveNode(recording, { host: '127.0.0.1', port });
    },
    async mailedToken(to, count = 1) {
      for (let i = 0; i < 200; i++) {
        // The outbox lists the newest mail first.
        const mails = gatehouse.outbox?.list().filter((m) => m.to === to) ?? [];
        const mail = mails.length >= count ? mails[0] : undefined;
        const match = mail && /token=([\w-]+)&tokenId=([0-9a-f]{24})/.exec(mail.text);
        if (match) return { token: match[1] as string, tokenId: match[2] as string };
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no mail to ${to}`);
    },
    async close() {
      await live.stop();
      await gatehouse.close();
      await cleanup().catch(() => {});
    },
  };
  return live;
}

function authKind(header: string | null): string {
  if (!header) return 'none';
  const token = header.replace(/^Bearer /, '');
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    if (typeof payload?.typ === 'string') return payload.typ;
  } catch {
    // not a JWT
  }
  return header;
}

/** A fresh address for each call, so tests on one server never collide. */
export function uniqueEmail(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}
