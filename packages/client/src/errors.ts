import { ERROR_CODES, type ErrorCode, GatehouseError } from '@gatehouse-auth/core';

/**
 * A refusal from the server: a non-2xx answer, carrying the server's stable code (`error_code`), the HTTP
 * status and the server's message. It is a {@link GatehouseError}, so `code` is one of Gatehouse's declared
 * codes; the raw `error_code` string is kept in `errorCode` as well.
 *
 * The property names of realm-web's `MongoDBRealmError` are all here (`statusCode`, `statusText`, `error`,
 * `errorCode`, `link`, `method`, `url`) and so is its message format, so code that inspected realm-web's errors
 * keeps working; it is also exported under that name. Neither the message nor any property ever contains a
 * token: tokens travel in headers, which are not kept.
 *
 * @example
 * ```ts
 * try {
 *   await app.emailPasswordAuth.registerUser({ email, password });
 * } catch (error) {
 *   if (error instanceof ServerError && error.code === 'AccountNameInUse') showTaken();
 *   else throw error;
 * }
 * ```
 */
export class ServerError extends GatehouseError {
  /** HTTP status of the answer. */
  declare readonly status: number;
  /** The same as `status` (realm-web's name). */
  declare readonly statusCode: number;
  declare readonly statusText: string;
  /** The server's human-readable message (`error` in the body), if it sent one. */
  declare readonly error: string | undefined;
  /** The server's `error_code` exactly as sent, if it sent one. */
  declare readonly errorCode: string | undefined;
  /** The server's `link` (where to read more), if it sent one. */
  declare readonly link: string | undefined;
  /**
   * With `TwoFactorRequired`: the challenge that `Credentials.twoFactor(challenge, code)` redeems with the user's
   * authenticator or recovery code, for a few minutes.
   */
  declare readonly challenge: string | undefined;
  declare readonly method: string;
  declare readonly url: string;

  constructor(
    method: string,
    url: string,
    status: number,
    statusText: string,
    body: { error?: string; errorCode?: string; link?: string; challenge?: string } = {},
  ) {
    const summary = statusText ? `status ${status} ${statusText}` : `status ${status}`;
    const { error, errorCode, link, challenge } = body;
    super(
      known(errorCode) ?? codeOfStatus(status),
      `Request failed (${method} ${url}): ${error === undefined ? '' : `${error} `}(${summary})`,
    );
    Object.assign(this, { status, statusCode: status, statusText, error, errorCode, link, challenge, method, url });
  }
}

function known(code: string | undefined): ErrorCode | undefined {
  return (ERROR_CODES as readonly string[]).includes(code as string) ? (code as ErrorCode) : undefined;
}

/** The code of an answer without a (known) `error_code`: a proxy's 502 page, an old server. */
function codeOfStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = {
    400: 'BadRequest',
    401: 'AuthError',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    413: 'PayloadTooLarge',
    415: 'UnsupportedMediaType',
    429: 'TooManyRequests',
    503: 'ServiceBusy',
  };
  return byStatus[status] ?? 'InternalServerError';
}

/** A call that needs a logged-in user, made for one that is logged out or removed: refused without a request. */
export function loggedOutError(): GatehouseError {
  return new GatehouseError('InvalidSession', 'the user is logged out');
}

/** An answer that does not have the shape the protocol promises. */
export function badResponse(what: string): GatehouseError {
  return new GatehouseError('InternalServerError', `unexpected response from the server: ${what}`);
}

/** True for the answer that means "this token is dead": 401 with `InvalidSession`. */
export function isInvalidSession(error: unknown): boolean {
  return error instanceof ServerError && error.status === 401 && error.errorCode === 'InvalidSession';
}
