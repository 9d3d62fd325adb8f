import { type ErrorCode, GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
import { asServiceUnavailable } from '../health/outages.js';
import { json } from '../http/responses.js';

/**
 * Gatehouse error codes → App Services wire errors. The `error_code` is App Services' own
 * name where it had one, so realm-core maps it to the same numeric code it always did.
 *
 * 401 is reserved for dead sessions and failed credentials: realm-web refreshes and retries on a 401
 * `InvalidSession`, so any other refusal must use another status.
 */
const WIRE: Record<ErrorCode, { status: number; errorCode: string }> = {
  BadRequest: { status: 400, errorCode: 'BadRequest' },
  InvalidParameter: { status: 400, errorCode: 'InvalidParameter' },
  PasswordPolicy: { status: 400, errorCode: 'BadRequest' },
  FunctionFailed: { status: 400, errorCode: 'BadRequest' },
  UserpassTokenInvalid: { status: 400, errorCode: 'UserpassTokenInvalid' },
  UserAlreadyConfirmed: { status: 400, errorCode: 'UserAlreadyConfirmed' },
  PayloadTooLarge: { status: 413, errorCode: 'PayloadTooLarge' },
  UnsupportedMediaType: { status: 415, errorCode: 'UnsupportedMediaType' },
  NotFound: { status: 404, errorCode: 'NotFound' },
  MethodNotAllowed: { status: 405, errorCode: 'MethodNotAllowed' },
  AppNotFound: { status: 404, errorCode: 'AppNotFound' },
  AuthProviderNotFound: { status: 404, errorCode: 'AuthProviderNotFound' },
  UserNotFound: { status: 404, errorCode: 'UserNotFound' },
  APIKeyNotFound: { status: 404, errorCode: 'APIKeyNotFound' },
  InvalidSession: { status: 401, errorCode: 'InvalidSession' },
  InvalidPassword: { status: 401, errorCode: 'InvalidPassword' },
  UserDisabled: { status: 401, errorCode: 'UserDisabled' },
  AuthError: { status: 401, errorCode: 'AuthError' },
  Forbidden: { status: 403, errorCode: 'Forbidden' },
  LoginTokenInvalid: { status: 401, errorCode: 'LoginTokenInvalid' },
  TwoFactorRequired: { status: 401, errorCode: 'TwoFactorRequired' },
  TwoFactorInvalid: { status: 401, errorCode: 'TwoFactorInvalid' },
  TwoFactorEnabled: { status: 409, errorCode: 'TwoFactorEnabled' },
  AccountNameInUse: { status: 409, errorCode: 'AccountNameInUse' },
  APIKeyAlreadyExists: { status: 409, errorCode: 'APIKeyAlreadyExists' },
  PasskeyRejected: { status: 401, errorCode: 'PasskeyRejected' },
  PasskeyNotFound: { status: 404, errorCode: 'PasskeyNotFound' },
  TooManyRequests: { status: 429, errorCode: 'TooManyRequests' },
  ServiceBusy: { status: 503, errorCode: 'ServiceUnavailable' },
  ServiceUnavailable: { status: 503, errorCode: 'ServiceUnavailable' },
  InternalServerError: { status: 500, errorCode: 'InternalServerError' },
};

/**
 * The App Services error response for any thrown value: `{"error","error_code"}` with exactly
 * `Content-Type: application/json`; never `null` members (realm-core ignores the whole body then). Unknown errors become a generic 500 — their details go to the log, not the client.
 */
export function errorResponse(error: unknown): Response {
  const known = isGatehouseError(error)
    ? error
    : (asServiceUnavailable(error) ?? new GatehouseError('InternalServerError', 'internal server error'));
  const wire = WIRE[known.code] ?? WIRE.InternalServerError;
  const headers: Record<string, string> = {};
  const retryAfter = known.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
  // A 500's message may carry internals (hosts, driver texts): those go to the log, not the client.
  const message = wire.status === 500 ? 'internal server error' : known.message;
  // The one error that carries something to send back: the second step of a two-factor login.
  const challenge = known.code === 'TwoFactorRequired' ? known.details?.challenge : undefined;
  return json(
    { error: message, error_code: wire.errorCode, ...(typeof challenge === 'string' ? { challenge } : {}) },
    wire.status,
    headers,
  );
}

/** The HTTP status an error code maps to (for logs and the other protocol layers). */
export function statusOf(code: ErrorCode): number {
  return WIRE[code]?.status ?? 500;
}
