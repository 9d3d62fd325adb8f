import type { Server } from 'node:http';
import sockjs from 'sockjs';
import { DdpRefusedError } from '../ddp/index.js';
import type { Gatehouse } from '../gatehouse.js';

/** Largest DDP message accepted over SockJS, as over the raw WebSocket; a bigger one closes the session. */
const MAX_DDP_MESSAGE_BYTES = 65_536;

/**
 * Serves DDP over SockJS — what Meteor's browser client speaks unless the app disables it
 * (`/sockjs/info`, `/sockjs/<server>/<session>/websocket`, `xhr_streaming`, `xhr`, …; pointing a Meteor client
 * at it: docs/external-services.md) — at `/sockjs` (the first app) and `/app/<id>/sockjs`, beside the raw
 * `/websocket`. The `sockjs` library (the one Meteor's server uses) handles the transports; every session goes
 * through the same `gatehouse.ddp.accept` as a raw WebSocket, so both are one kind of DDP connection with the
 * same limits.
 * Meteor's settings: 45 s SockJS heartbeat, sessions kept 60 s for a reconnecting XHR client.
 *
 * Install after the other `request`/`upgrade` listeners: SockJS takes over the server's listeners and passes
 * on every request that is not its own.
 *
 * @example
 * ```ts
 * attachSockJs(httpServer, gatehouse);
 * ```
 */
export function attachSockJs(server: Server, started: () => Gatehouse | null, draining: () => boolean): void {
  const service = sockjs.createServer({
    // One server for every app: the prefix is a regular expression (`/sockjs` or `/app/<id>/sockjs`).
    prefix: '(?:/app/[^/?#]+)?/sockjs',
    log: () => {},
    heartbeat_delay: 45_000,
    disconnect_delay: 60_000,
  });
  service.on('connection', (conn: sockjs.Connection | null) => {
    // sockjs may hand over null (sockjs-node#121; Meteor guards against it too).
    if (!conn) return;
    const appId = /^\/app\/([^/?#]+)\/sockjs\//.exec(conn.pathname ?? conn.url ?? '')?.[1];
    const gatehouse = started();
    if (!gatehouse || draining()) {
      // Still starting (the port is bound before the database is open), or shutting down: try again shortly.
      closeWith(conn, 1013, 'try again later');
      return;
    }
    const forwardedFor = conn.headers?.['x-forwarded-for'];
    let connection: ReturnType<Gatehouse['ddp']['accept']>;
    try {
      connection = gatehouse.ddp.accept(
        {
          send: (text) => {
            if (conn.readyState === 1) conn.write(text);
          },
          close: (code, reason) => closeWith(conn, code ?? 1000, reason ?? ''),
        },
        {
          ...(appId ? { appId: safeDecode(appId) } : {}),
          transport: { socketAddress: conn.remoteAddress ?? null, forwardedFor: forwardedFor ?? null },
          userAgent: conn.headers?.['user-agent'] ?? null,
          acceptLanguage: conn.headers?.['accept-language']?.slice(0, 512) ?? null,
        },
      );
    } catch (error) {
      if (!(error instanceof DdpRefusedError)) throw error;
      // Over a connection cap (the same caps as raw WebSockets): try again later.
      closeWith(conn, 1013, error.message);
      return;
    }
    if (!connection) {
      closeWith(conn, 1008, 'unknown app');
      return;
    }
    const accepted = connection;
    conn.on('data', (text: string) => {
      if (Buffer.byteLength(text, 'utf8') > MAX_DDP_MESSAGE_BYTES) accepted.close(1009, 'message too big');
      else accepted.receive(text);
    });
    conn.on('close', () => gatehouse.ddp.closed(accepted));
  });
  service.installHandlers(server);
}

/** SockJS sends the code as given in its close frame: a number, as a WebSocket close code is. */
function closeWith(conn: sockjs.Connection, code: number, reason: string): void {
  (conn.close as unknown as (code: number, reason: string) => boolean)(code, reason);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
