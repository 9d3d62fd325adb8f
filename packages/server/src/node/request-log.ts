import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Logger as PinoLogger } from 'pino';
import type { Gatehouse } from '../gatehouse.js';
import { type RequestScope, requestIdFor, requestScope } from '../http/request-scope.js';
import { maskEmails, NAMES_ITS_REQUEST } from '../logger.js';

/** Probes a load balancer sends every few seconds: logged at `debug`, so they do not drown the rest. */
const PROBES = new Set(['/healthz', '/readyz']);

/**
 * Wraps a Node request listener with Gatehouse's request log: every request gets an id — sent
 * back as `X-Request-Id`, and carried as `reqId` by every line logged while answering it — and, when it
 * ends, one line:
 *
 * ```json
 * {"level":30,"reqId":"…","method":"POST","route":"/api/client/v2.0/auth/session","path":"/api/client/v2.0/auth/session",
 *  "status":201,"durationMs":4,"address":"203.0.113.7","msg":"request completed"}
 * ```
 *
 * The line never holds a header, a query string (reset and confirmation links carry tokens there) or a body;
 * an email address in a path is masked. 5xx answers are logged at `error`, `/healthz` and `/readyz` at
 * `debug`, the rest at `info`.
 *
 * The Gatehouse may still be starting (`serveNode` binds its port first): a request arriving before it is
 * ready is taken up once it is, as `fetch` would wait for it anyway.
 *
 * @example
 * ```ts
 * const server = createServer(withRequestLog(Promise.resolve(gatehouse), listener));
 * ```
 */
export function withRequestLog(built: Promise<Gatehouse>, listener: RequestListener): RequestListener {
  let handle: RequestListener | null = null;
  built.then(
    (gatehouse) => {
      handle ??= requestLog(gatehouse, listener);
    },
    () => {},
  );
  return (req, res) => {
    if (handle) return handle(req, res);
    built.then(
      (gatehouse) => {
        handle ??= requestLog(gatehouse, listener);
        handle(req, res);
      },
      () => listener(req, res), // it failed to start: the listener answers (and the server is being closed)
    );
  };
}

function requestLog(gatehouse: Gatehouse, listener: RequestListener): RequestListener {
  const fromProxy = trustedPeer(gatehouse.config.trustProxy);
  const requestId = (req: IncomingMessage) => requestIdFor(header(req, 'x-request-id'), fromProxy(req));
  const logger = gatehouse.logger as Partial<PinoLogger>;
  if (typeof logger.child !== 'function') {
    // A logger that is not pino (given to createGatehouse by its caller): ids and scope, but no request lines.
    return (req, res) => {
      const id = requestId(req);
      res.setHeader('x-request-id', id);
      requestScope.run({ id }, () => listener(req, res));
    };
  }

  // One logger for every request line, which names its request itself (`reqId`): no per-request child
  // logger, whose bindings pino would serialize and redact once per request.
  const base = logger.child({}) as PinoLogger;
  (base as unknown as Record<symbol, unknown>)[NAMES_ITS_REQUEST] = true;

  return (req, res) => {
    const started = performance.now();
    const scope: RequestScope = { id: requestId(req) };
    res.setHeader('x-request-id', scope.id);
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      // 5xx at error, except a 503 — a refusal while something Gatehouse depends on is away (the database,
      // or hashing saturated): the outage itself is logged once, at error; each request it refuses only warns.
      const status = res.statusCode;
      const failed = status >= 500;
      const level = status === 503 ? 'warn' : failed ? 'error' : PROBES.has(pathOf(req)) ? 'debug' : 'info';
      if (!base.isLevelEnabled(level)) return;
      const fields = { reqId: scope.id, ...line(req, res, scope, Math.round(performance.now() - started)) };
      if (failed) base[level]({ ...fields, error: `failed with status code ${status}` }, 'request failed');
      else base[level](fields, res.writableEnded ? 'request completed' : 'request aborted');
    };
    res.once('finish', done);
    res.once('close', done);
    requestScope.run(scope, () => listener(req, res));
  };
}

/** The request's line: what it asked, what it got, how long it took, from where. */
function line(req: IncomingMessage, res: ServerResponse, scope: RequestScope, durationMs: number) {
  return {
    method: req.method,
    route: scope.route ?? 'unmatched',
    path: maskEmails(pathOf(req)).slice(0, 256),
    status: res.statusCode,
    durationMs,
    address: scope.address ?? req.socket.remoteAddress ?? null,
  };
}

/** The path without its query string (tokens of mailed links travel there). */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Whether a request's socket peer is a proxy `trustProxy` trusts — any peer when it counts hops (`true`, a
 * number), the listed addresses and ranges when it is a list, none when `false`: only then is its
 * `X-Request-Id` taken.
 */
function trustedPeer(trust: boolean | number | readonly string[]): (req: IncomingMessage) => boolean {
  if (trust === false || trust === 0) return () => false;
  if (trust === true || typeof trust === 'number') return () => true;
  const proxies = new BlockList();
  for (const entry of trust) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) proxies.addAddress(address, family);
    else proxies.addSubnet(address, Number(prefix), family);
  }
  return (req) => {
    const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    const family = isIP(peer);
    return family !== 0 && proxies.check(peer, family === 6 ? 'ipv6' : 'ipv4');
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}
