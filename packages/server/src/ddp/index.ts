import type { ServerContext } from '../context.js';
import type { TransportFacts } from '../net/client-address.js';
import { DdpConnection, type DdpHeartbeat, type DdpSocket } from './connection.js';

/**
 * How often connections sync with the database (their session still lives, their user document is current):
 * every 10 s alone; every 60 s when Redis carries the news of every change made by any instance or the CLI at
 * once, so the sweep only has expiries left to catch.
 */
export const SWEEP_MS = { alone: 10_000, withRedis: 60_000 } as const;

/**
 * Meteor's DDP endpoint: the transport hands each WebSocket to `accept`, then its
 * text frames to the returned connection's `receive`, and tells it when the socket closed.
 */
export interface DdpServer {
  /**
   * A new DDP connection for an app (`undefined`: the first app of the configuration), or `null` if no such
   * app. `transport` is what the WebSocket's upgrade request showed (socket peer, `X-Forwarded-For`): the client
   * address is resolved from it by the same `trustProxy` rule as every HTTP request.
   */
  accept(
    socket: DdpSocket,
    info: { appId?: string; transport: TransportFacts; userAgent: string | null },
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
  options: { heartbeat?: DdpHeartbeat; sweepMs?: number } = {},
): DdpServer {
  const connections = new Set<DdpConnection>();
  const sync = (connection: DdpConnection) =>
    connection.sync().catch((error) => ctx.logger.warn({ err: String(error) }, 'DDP connection sync failed'));
  // A session ended or a user changed anywhere — HTTP, the CLI, another instance — reaches the DDP connections
  // of that user: each logged-in connection syncs with the shared database on a timer, and at once when this
  // process made the change.
  const sweep = setInterval(() => {
    for (const connection of connections) sync(connection);
  }, options.sweepMs ?? SWEEP_MS.alone);
  sweep.unref();
  const unsubscribe = ctx.changes.subscribe((userId) => {
    for (const connection of connections) if (connection.login?.userId === userId) sync(connection);
  });

  return {
    accept(socket, info) {
      const app = info.appId === undefined ? ctx.config.apps.values().next().value : ctx.config.apps.get(info.appId);
      if (!app) return null;
      const connection = new DdpConnection(ctx, app, socket, {
        address: ctx.clientAddress(info.transport),
        userAgent: info.userAgent,
        ...(options.heartbeat ? { heartbeat: options.heartbeat } : {}),
      });
      connections.add(connection);
      return connection;
    },
    async sync() {
      await Promise.all([...connections].map(sync));
    },
    connectionCount: () => connections.size,
    closed(connection) {
      connection.close();
      connections.delete(connection);
    },
    close() {
      clearInterval(sweep);
      unsubscribe();
      for (const connection of connections) connection.close(1001, 'server shutting down');
      connections.clear();
    },
  };
}

export type { DdpConnection, DdpHeartbeat, DdpSocket };
