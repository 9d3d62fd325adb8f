import { type DestinationStream, pino } from 'pino';
import { requestScope } from './http/request-scope.js';

/** The logging surface features use (pino-compatible). Never pass a token, password or secret. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const SECRET_FIELDS = ['authorization', 'password', 'token', 'refreshToken', 'accessToken', 'secret', 'key'];
const EMAIL_FIELDS = ['to', 'email'];

/**
 * Masks every email address in `text`, also percent-encoded (`%40`): `ann@example.com` → `a***@example.com`.
 *
 * @example
 * ```ts
 * maskEmails('/app/x/ann%40example.com'); // '/app/x/a***%40example.com'
 * ```
 */
export function maskEmails(text: string): string {
  return text.replace(/([^/@%\s<>"',;:])[^/@\s<>"',;:]*?(@|%40)([^/@\s<>"',;:]+\.[^/@\s<>"',;:]+)/gi, '$1***$2$3');
}

/**
 * Marks the logger the request log writes through, which names the request itself: lines written
 * by it or its children get no second `reqId` from the mixin. Children of a pino logger inherit it through
 * their prototype.
 */
export const NAMES_ITS_REQUEST = Symbol('gatehouse.namesItsRequest');

/**
 * A JSON logger (pino) writing to stdout, or to `destination` (anything with `write(text)`). Each line written
 * while a request is being answered carries that request's id as `reqId`, the id sent back in
 * `X-Request-Id`. Authorization headers, passwords, tokens and keys are redacted by field name, and addresses
 * in `to` and `email` fields masked, as a second line of defence; features do not log secrets in the first place.
 *
 * @example
 * ```ts
 * const logger = createLogger('info');
 * logger.info({ url: 'http://127.0.0.1:8080' }, 'listening');
 * ```
 */
export function createLogger(
  level: string,
  destination?: { write(text: string): unknown },
  /** Fields on every line, after `service` (e.g. `{ worker: 2 }` in a worker of `gatehouse serve --workers`). */
  fields: Record<string, string | number> = {},
): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse', ...fields },
      redact: {
        paths: [
          ...SECRET_FIELDS.map((field) => `*.${field}`),
          ...EMAIL_FIELDS.flatMap((field) => [field, `*.${field}`]),
        ],
        // Addresses keep their first letter and domain (enough to follow a support case), secrets nothing.
        censor: (value, path) =>
          EMAIL_FIELDS.includes(path.at(-1) ?? '') && typeof value === 'string' ? maskEmails(value) : '[redacted]',
      },
      mixin(_object, _level, logger) {
        const scope = requestScope.getStore();
        return scope && !(logger as unknown as Record<symbol, unknown>)[NAMES_ITS_REQUEST] ? { reqId: scope.id } : {};
      },
    },
    destination as DestinationStream | undefined,
  );
}
