import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { WebSocket, WebSocketServer } from 'ws';
import { DdpRefusedError } from '../ddp/index.js';
import type { Gatehouse } from '../gatehouse.js';
import { withRequestLog } from './request-log.js';
import { attachSockJs } from './sockjs.js';

/** A Gatehouse listening on a Node HTTP server. */
export interface NodeServer {
  /** `http://host:port` it listens on. */
  url: string;
  port: number;
  server: Server;
  /**
   * Graceful shutdown (drain): stops accepting connections; `/readyz` answers 503 so a load balancer moves
   * on; every request already accepted is answered, and every response from now on says `Connection: close`,
   * so a keep-alive client sends its next request elsewhere and no new request is read on that connection.
   * Idle keep-alive connections end at their keep-alive timeout (5 s, announced to clients in `Keep-Alive`),
   * not at once, so a client cannot lose a request it was sending just as the connection was cut. DDP clients
   * are told to go (1001). Whatever is still open after `graceMs` (default 10 s) is cut; then Gatehouse closes
   * (background mail, hashing pool, database pool).
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Serves a Gatehouse over Node's HTTP server — the thin adapter at the edge; the app itself is a Web
 * `fetch` handler. `gatehouse` may be a promise: the port is bound at once (so a taken port is reported before
 * keys are imported and migrations run) and requests wait until it resolves; DDP connections arriving before
 * then are asked to come back (close code 1013). If it rejects, close the server with `close()`.
 *
 * @example
 * ```ts
 * const gatehouse = await createGatehouse(config);
 * const server = await serveNode(gatehouse, { host: '127.0.0.1', port: 8080 });
 * process.on('SIGTERM', () => server.close());
 * ```
 */
export async function serveNode(
  gatehouse: Gatehouse | Promise<Gatehouse>,
  options: { host?: string; port?: number } = {},
): Promise<NodeServer> {
  const built = Promise.resolve(gatehouse);
  let current: Gatehouse | null = null;
  built.then(
    (g) => {
      current = g;
    },
    () => {},
  );
  let draining = false;
  const listener = getRequestListener(async (request, env) => {
    const response =
      draining && new URL(request.url).pathname === '/readyz'
        ? Response.json(
            { status: 'draining', error: 'shutting down', error_code: 'ServiceUnavailable' },
            { status: 503 },
          )
        : await (await built).fetch(request, { address: env.incoming.socket.remoteAddress ?? null });
    adjustHead(env.outgoing, { withoutContentType: !response.headers.has('content-type'), draining: () => draining });
    return response;
  });
  const server = createServer(
    {
      // Slow clients cannot hold connections open forever (slowloris).
      headersTimeout: 15_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
    },
    withRequestLog(built, listener), // one log line per request, X-Request-Id
  );
  const ddp = attachDdp(
    server,
    () => current,
    () => draining,
  );
  attachSockJs(
    server,
    () => current,
    () => draining,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    server,
    close(closeOptions = {}) {
      closing ??= (async () => {
        draining = true;
        // `net.Server`'s close, not `http.Server`'s: the latter also cuts idle keep-alive connections at once,
        // racing requests their clients are sending at that moment. Stop listening only; idle connections end
        // at their keep-alive timeout, busy ones after their current response (`Connection: close`).
        const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
        // WebSockets are no longer HTTP connections: say goodbye to DDP clients, and cut them at the deadline.
        for (const ws of ddp.clients) ws.close(1001, 'server shutting down');
        const timer = setTimeout(() => {
          server.closeAllConnections();
          for (const ws of ddp.clients) ws.terminate();
        }, closeOptions.graceMs ?? 10_000);
        await closed;
        clearTimeout(timer);
        // `http.Server`'s close on the stopped server: it also ends the timer that checks request timeouts.
        server.close(() => {});
        await (current as Gatehouse | null)?.close();
      })();
      return closing;
    },
  };
}

/**
 * Adjusts a response's head as it is written:
 *
 * - The Hono adapter labels every response without a content type `text/plain`. App Services clients need
 *   empty successes (204) to carry no content type at all — realm-web throws on any non-JSON type — so the
 *   label is taken off again.
 * - While the server drains, the response says `Connection: close`: Node then ends the connection after it
 *   and reads no further request from it.
 */
function adjustHead(
  outgoing: ServerResponse | Http2ServerResponse,
  options: { withoutContentType: boolean; draining: () => boolean },
): void {
  const writeHead = outgoing.writeHead.bind(outgoing) as (...args: unknown[]) => unknown;
  (outgoing as { writeHead: (...args: unknown[]) => unknown }).writeHead = (...args: unknown[]) => {
    for (const arg of args) {
      if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
        const headers = arg as Record<string, unknown>;
        for (const key of Object.keys(headers)) {
          const name = key.toLowerCase();
          if ((name === 'content-type' && options.withoutContentType) || (name === 'connection' && options.draining()))
            delete headers[key];
        }
      }
    }
    if (options.draining() && 'setHeader' in outgoing) (outgoing as ServerResponse).setHeader('connection', 'close');
    return writeHead(...args);
  };
}

/** Largest DDP frame accepted; a bigger one closes the connection (1009). */
const MAX_DDP_FRAME_BYTES = 65_536;

/**
 * Serves DDP on raw WebSockets at `/websocket` (the first app) and `/app/<id>/websocket` — the endpoint every
 * npm DDP client and Meteor's own Node client use.
 */
function attachDdp(server: Server, started: () => Gatehouse | null, draining: () => boolean): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_DDP_FRAME_BYTES });
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const match = /^\/(?:app\/([^/]+)\/)?websocket\/?$/.exec(path.replace(/\/{2,}/g, '/'));
    if (!match) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (draining()) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const gatehouse = started();
      if (!gatehouse) {
        // Still starting (the port is bound before the database is open): try again shortly.
        ws.close(1013, 'try again later');
        return;
      }
      const forwardedFor = request.headers['x-forwarded-for'];
      let connection: ReturnType<Gatehouse['ddp']['accept']>;
      try {
        connection = gatehouse.ddp.accept(
          {
            send: (text) => ws.readyState === WebSocket.OPEN && ws.send(text),
            close: (code, reason) => ws.close(code, reason),
          },
          {
            ...(match[1] ? { appId: safeDecode(match[1]) } : {}),
            transport: {
              socketAddress: request.socket.remoteAddress ?? null,
              forwardedFor: Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? null),
            },
            userAgent: request.headers['user-agent'] ?? null,
            acceptLanguage: request.headers['accept-language']?.slice(0, 512) ?? null,
          },
        );
      } catch (error) {
        if (!(error instanceof DdpRefusedError)) throw error;
        // Over a connection cap: try again later.
        ws.close(1013, error.message);
        return;
      }
      if (!connection) {
        ws.close(1008, 'unknown app');
        return;
      }
      ws.on('message', (data, isBinary) => {
        if (isBinary) connection.close(1003, 'DDP frames are text');
        else connection.receive(data.toString());
      });
      ws.on('close', () => gatehouse.ddp.closed(connection));
      ws.on('error', () => gatehouse.ddp.closed(connection));
    });
  });
  server.on('close', () => wss.close());
  return wss;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
