import type { ServerContext } from '../context.js';
import type { TransportFacts } from '../net/client-address.js';
import { addressKey } from '../rate-limit/index.js';
import { DdpConnection, type DdpHeartbeat, type DdpSocket } from './connection.js';

/**
 * How often connections sync with the database (their session still lives, their user document is current):
 * every 10 s alone; every 60 s when Redis carries the news of every change made by any instance or the CLI at
 * once, so the sweep only has expiries left to catch.
 */
export const SWEEP_MS = { alone: 10_000, withRedis: 60_000 } as const;

/**
 * A new connection refused because a cap (`ddp.maxConnections`, `ddp.maxConnectionsPerAddress`) is reached: the
 * transport closes the socket with 1013 ("try again later").
 */
export class DdpRefusedError extends Error {
  override readonly name = 'DdpRefusedError';
}

/**
 * Meteor's DDP endpoint: the transport hands each WebSocket to `accept`, then its
 * text frames to the returned connection's `receive`, and tells it when the socket closed.
 */
export interface DdpServer {
  /**
   * A new DDP connection for an app (`undefined`: the first app of the configuration), or `null` if no such
   * app. `transport` is what the WebSocket's upgrade request showed (socket peer, `X-Forwarded-For`): the client
   * address is resolved from it by the same `trustProxy` rule as every HTTP request. Throws
   * {@link DdpRefusedError} when the process, or that client address, has its most connections open.
   */
  accept(
    socket: DdpSocket,
    info: { appId?: string; transport: TransportFacts; userAgent: string | null; acceptLanguage?: string | null },
  ): DdpConnection | null;
  /** Forgets a connection whose socket closed. */
  closed(connection: DdpConnection): void;
  /**
   * Syncs every connection with the database now — what the sweep does every 10 s (for changes made by other
   * processes: another instance, the CLI). Resolves when all are done.
   */
  sync(): Promise<void>;
  /** How many connections are open (a metric). */
  connectionCount(): number;
  /** Closes every connection and stops the session sweep. */
  close(): void;
}

export function createDdpServer(
  ctx: ServerContext,
  options: {
    heartbeat?: DdpHeartbeat;
    sweepMs?: number;
    /** True while change news cannot be relied on (Redis away): the sweep runs every 10 s meanwhile. */
    newsDown?: () => boolean;
  } = {},
): DdpServer {
  const connections = new Set<DdpConnection>();
  const perAddress = new Map<string, number>();
  const addressOf = new WeakMap<DdpConnection, string>();
  const sync = (connection: DdpConnection) =>
    connection
      .sync()
      .catch(
        (error) =>
          ctx.outages.note(error, 'DDP sync') || ctx.logger.warn({ err: String(error) }, 'DDP connection sync failed'),
      );
  // A session ended or a user changed anywhere — HTTP, the CLI, another instance — reaches the DDP connections
  // of that user: each logged-in connection syncs with the shared database on a timer, and at once when this
  // process made the change.
  const sweepMs = options.sweepMs ?? SWEEP_MS.alone;
  let lastSweep = Date.now();
  const sweep = setInterval(
    () => {
      if (Date.now() - lastSweep < sweepMs - 5 && !options.newsDown?.()) return;
      lastSweep = Date.now();
      for (const connection of connections) sync(connection);
    },
    Math.min(sweepMs, SWEEP_MS.alone),
  );
  sweep.unref();
  const unsubscribe = ctx.changes.subscribe((userId) => {
    for (const connection of connections) if (connection.login?.userId === userId) sync(connection);
  });

  return {
    accept(socket, info) {
      const app = info.appId === undefined ? ctx.config.apps.values().next().value : ctx.config.apps.get(info.appId);
      if (!app) return null;
      const limits = ctx.config.ddp;
      const address = ctx.clientAddress(info.transport);
      const key = addressKey(address);
      if (connections.size >= limits.maxConnections) throw new DdpRefusedError('too many DDP connections');
      if ((perAddress.get(key) ?? 0) >= limits.maxConnectionsPerAddress)
        throw new DdpRefusedError('too many DDP connections from this address');
      const connection = new DdpConnection(ctx, app, socket, {
        address,
        userAgent: info.userAgent,
        acceptLanguage: info.acceptLanguage ?? null,
        ...(options.heartbeat ? { heartbeat: options.heartbeat } : {}),
      });
      connections.add(connection);
      addressOf.set(connection, key);
      perAddress.set(key, (perAddress.get(key) ?? 0) + 1);
      return connection;
    },
    async sync() {
      await Promise.all([...connections].map(sync));
    },
    connectionCount: () => connections.size,
    closed(connection) {
      connection.close();
      if (!connections.delete(connection)) return;
      const key = addressOf.get(connection) as string;
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left > 0) perAddress.set(key, left);
      else perAddress.delete(key);
    },
    close() {
      clearInterval(sweep);
      unsubscribe();
      for (const connection of connections) connection.close(1001, 'server shutting down');
      connections.clear();
      perAddress.clear();
    },
  };
}

export type { DdpConnection, DdpHeartbeat, DdpSocket };
