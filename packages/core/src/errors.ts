/**
 * Gatehouse's one error type. Every refusal the server makes, and every refusal the SDK surfaces, is a
 * `GatehouseError` with a stable `code`. Wire protocols (App Services, DDP) choose HTTP status and wire text
 * from the code at their boundary; nothing matches errors by message.
 *
 * Messages are for people and never contain a token, password or other secret.
 *
 * @example
 * ```ts
 * throw new GatehouseError('AccountNameInUse', 'name already in use');
 * ```
 */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  /** Stable, machine-readable code. */
  readonly code: ErrorCode;
  /** Optional structured details safe to show a client (field names, limits), never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

/**
 * Every error code Gatehouse emits. Where App Services had a code for the same situation, the name is that
 * code, so the App Services layer can pass it through (routes/errors.ts in the server).
 */
export const ERROR_CODES = [
  // request shape
  'BadRequest',
  'InvalidParameter',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'NotFound',
  'MethodNotAllowed',
  // apps and providers
  'AppNotFound',
  'AuthProviderNotFound',
  // sessions and credentials
  'InvalidSession',
  'InvalidPassword',
  'UserDisabled',
  'AuthError',
  'Forbidden',
  // email/password accounts
  'AccountNameInUse',
  'UserNotFound',
  'UserAlreadyConfirmed',
  'UserpassTokenInvalid',
  'PasswordPolicy',
  'FunctionFailed',
  // passwordless and two-factor sign-in
  /** A passwordless login code that is wrong, expired, spent or of another user (`details.reason`). */
  'LoginTokenInvalid',
  /** The credentials were right, but the user has two-factor on: send the code (`details.challenge` over HTTP). */
  'TwoFactorRequired',
  /** A wrong, reused or expired two-factor code or challenge. */
  'TwoFactorInvalid',
  /** Two-factor is already on (turn it off before making a new secret). */
  'TwoFactorEnabled',
  // api keys
  'APIKeyNotFound',
  'APIKeyAlreadyExists',
  // passkeys
  /** A WebAuthn response that proves nothing: another challenge, origin or rp id, a bad signature, a clone. */
  'PasskeyRejected',
  'PasskeyNotFound',
  // protection
  'TooManyRequests',
  'ServiceBusy',
  /** A service Gatehouse depends on (the database) is unreachable: retry later (503 with `Retry-After`). */
  'ServiceUnavailable',
  'InternalServerError',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** True when `value` is a {@link GatehouseError}, also across bundle copies of this package. */
export function isGatehouseError(value: unknown): value is GatehouseError {
  return (
    value instanceof GatehouseError ||
    (value instanceof Error &&
      value.name === 'GatehouseError' &&
      typeof (value as { code?: unknown }).code === 'string')
  );
}
