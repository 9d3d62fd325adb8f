import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger as PinoLogger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Gatehouse } from '../gatehouse.js';
import { type RequestScope, requestIdFor, requestScope } from '../http/request-scope.js';
import { maskEmails, NAMES_ITS_REQUEST } from '../logger.js';

/** Probes a load balancer sends every few seconds: logged at `debug`, so they do not drown the rest. */
const PROBES = new Set(['/healthz', '/readyz']);

const SCOPE = Symbol('gatehouse.requestScope');
type ScopedRequest = IncomingMessage & { [SCOPE]?: RequestScope };

/**
 * Wraps a Node request listener with Gatehouse's request log (pino-http): every request gets an id — sent
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
 * @example
 * ```ts
 * const server = createServer(withRequestLog(gatehouse, listener));
 * ```
 */
export function withRequestLog(gatehouse: Gatehouse, listener: RequestListener): RequestListener {
  const trustProxy = () => {
    try {
      return gatehouse.config.trustProxy;
    } catch {
      return false; // the CLI binds its port before the Gatehouse exists; such early requests get a fresh id
    }
  };
  const logger = gatehouse.logger as Partial<PinoLogger>;
  if (typeof logger.child !== 'function') {
    // A logger that is not pino (given to createGatehouse by its caller): ids and scope, but no request lines.
    return (req, res) => {
      const id = requestIdFor(header(req, 'x-request-id'), trustProxy());
      res.setHeader('x-request-id', id);
      requestScope.run({ id }, () => listener(req, res));
    };
  }

  const base = logger.child({});
  (base as unknown as Record<symbol, unknown>)[NAMES_ITS_REQUEST] = true;
  const http = pinoHttp({
    logger: base,
    quietReqLogger: true,
    quietResLogger: true,
    genReqId(req, res) {
      const id = requestIdFor(header(req, 'x-request-id'), trustProxy());
      res.setHeader('x-request-id', id);
      return id;
    },
    customLogLevel(req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      return PROBES.has(pathOf(req)) ? 'debug' : 'info';
    },
    customSuccessObject: (req, res, val) => line(req, res, val.responseTime),
    customErrorObject: (req, res, error, val) => ({ ...line(req, res, val.responseTime), error: error.message }),
    customSuccessMessage: (_req, res) => (res.writableEnded ? 'request completed' : 'request aborted'),
    customErrorMessage: () => 'request failed',
  });

  return (req, res) => {
    http(req, res);
    const scope: RequestScope = { id: String(req.id) };
    (req as ScopedRequest)[SCOPE] = scope;
    requestScope.run(scope, () => listener(req, res));
  };
}

/** The request's line: what it asked, what it got, how long it took, from where. */
function line(req: IncomingMessage, res: ServerResponse, durationMs: unknown): Record<string, unknown> {
  const scope = (req as ScopedRequest)[SCOPE];
  return {
    method: req.method,
    route: scope?.route ?? 'unmatched',
    path: maskEmails(pathOf(req)).slice(0, 256),
    status: res.statusCode,
    durationMs,
    address: scope?.address ?? req.socket.remoteAddress ?? null,
  };
}

/** The path without its query string (tokens of mailed links travel there). */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}
