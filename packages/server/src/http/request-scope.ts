import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What is known about the request being answered, for the lines logged while answering it and the request's
 * own log line: its id (also sent back as `X-Request-Id`), and — once Gatehouse has routed it — the route
 * pattern and the client address it used (the one rate limits count, `X-Forwarded-For`'s with `trustProxy`).
 */
export interface RequestScope {
  readonly id: string;
  /** The matched route pattern (`/api/client/v2.0/auth/session`), `unmatched` for a 404; set after routing. */
  route?: string;
  /** The client address Gatehouse used; set once the request reaches it. */
  address?: string | null;
}

/**
 * The request scope of the current async context. The Node adapter opens one per HTTP request; the logger
 * adds its id to every line written inside it (`reqId`), including background work the request started.
 */
export const requestScope = new AsyncLocalStorage<RequestScope>();

/** Request ids taken from a trusted proxy's `X-Request-Id`: short, and nothing a log reader could trip on. */
const PROXY_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a new request: the proxy's `X-Request-Id` when the request came from a trusted proxy and the value
 * is well-formed, so its logs and Gatehouse's meet; otherwise a fresh random UUID.
 *
 * @example
 * ```ts
 * requestIdFor(request.headers.get('x-request-id'), fromTrustedProxy); // '1f0c…' or the proxy's id
 * ```
 */
export function requestIdFor(header: string | null | undefined, fromTrustedProxy: boolean): string {
  if (fromTrustedProxy && header && PROXY_REQUEST_ID.test(header)) return header;
  return crypto.randomUUID();
}
