import type { ServerContext } from '../context.js';
import { DdpConnection, type DdpSocket } from './connection.js';

/** How often connections check that their session still lives (logout elsewhere, expiry, password change). */
const SESSION_SWEEP_MS = 10_000;

/**
 * Meteor's DDP endpoint (spec meteor-accounts §2): the transport hands each WebSocket to `accept`, then its
 * text frames to the returned connection's `receive`, and tells it when the socket closed.
 */
export interface DdpServer {
  /** A new DDP connection for an app (`undefined`: the first app of the configuration), or `null` if no such app. */
  accept(socket: DdpSocket, info: { appId?: string; address: string | null }): DdpConnection | null;
  /** Forgets a connection whose socket closed. */
  closed(connection: DdpConnection): void;
  /** Closes every connection and stops the session sweep. */
  close(): void;
}

export function createDdpServer(ctx: ServerContext): DdpServer {
  const connections = new Set<DdpConnection>();
  // A session ended anywhere — HTTP logout, password reset, another instance — closes its DDP connections:
  // each logged-in connection checks its session on a timer, from the shared database.
  const sweep = setInterval(() => {
    for (const connection of connections) {
      connection.checkSession().catch((error) => ctx.logger.warn({ err: String(error) }, 'DDP session check failed'));
    }
  }, SESSION_SWEEP_MS);
  sweep.unref();

  return {
    accept(socket, info) {
      const app = info.appId === undefined ? ctx.config.apps.values().next().value : ctx.config.apps.get(info.appId);
      if (!app) return null;
      const connection = new DdpConnection(ctx, app, socket, {
        address: info.address,
        // Sessions ended by this process close their connections at once; the sweep catches the rest.
        sessionsChanged: (userId) => {
          for (const other of connections) {
            if (other.login?.userId === userId) other.checkSession().catch(() => {});
          }
        },
        // Every connection of the user sees its document change (Meteor's publication would).
        profileChanged: (userId, profile) => {
          for (const other of connections) other.publishProfile(userId, profile);
        },
      });
      connections.add(connection);
      return connection;
    },
    closed(connection) {
      connection.close();
      connections.delete(connection);
    },
    close() {
      clearInterval(sweep);
      for (const connection of connections) connection.close(1001, 'server shutting down');
      connections.clear();
    },
  };
}

export type { DdpConnection, DdpSocket };
