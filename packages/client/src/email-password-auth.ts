import type { AppContext } from './context.js';
import { API } from './transport.js';

/** `registerUser()` details. */
export interface RegisterUserDetails {
  email: string;
  password: string;
}
/** `confirmUser()` details: the `token` and `tokenId` of the confirmation link. */
export interface ConfirmUserDetails {
  token: string;
  tokenId: string;
}
/** `resendConfirmationEmail()` details. */
export interface ResendConfirmationDetails {
  email: string;
}
/** `retryCustomConfirmation()` details. */
export interface RetryCustomConfirmationDetails {
  email: string;
}
/** `resetPassword()` details: the `token` and `tokenId` of the reset link, and the new password. */
export interface ResetPasswordDetails {
  token: string;
  tokenId: string;
  password: string;
}
/** `sendResetPasswordEmail()` details. */
export interface SendResetPasswordDetails {
  email: string;
}
/** `callResetPasswordFunction()` details. */
export interface CallResetPasswordFunctionDetails {
  email: string;
  password: string;
}

/**
 * The email/password provider's account flows (`app.emailPasswordAuth`). The details object is
 * sent as the body, as realm-web sends it; a missing or non-string field throws a `TypeError` at once.
 *
 * Difference from realm-web: these requests carry no `Authorization` header. realm-web sent the current
 * user's access token with them, which the server ignores — and which leaked the token to an
 * endpoint that has no use for it.
 */
export class EmailPasswordAuth {
  readonly #ctx: AppContext;

  /** @internal Made by `App`. */
  constructor(ctx: AppContext) {
    this.#ctx = ctx;
  }

  /**
   * Registers a new account. Depending on the server's settings it is confirmed at once, by the emailed
   * link, or by the confirmation function.
   *
   * @example
   * ```ts
   * await app.emailPasswordAuth.registerUser({ email: 'ada@example.com', password: 'correct horse battery' });
   * ```
   */
  registerUser(details: RegisterUserDetails): Promise<void> {
    return this.#post('register', details, ['email', 'password']);
  }

  /** Confirms an account with the `token` and `tokenId` from the confirmation link. */
  confirmUser(details: ConfirmUserDetails): Promise<void> {
    return this.#post('confirm', details, ['token', 'tokenId']);
  }

  /** Sends the confirmation email again. */
  resendConfirmationEmail(details: ResendConfirmationDetails): Promise<void> {
    return this.#post('confirm/send', details, ['email']);
  }

  /** Runs the server's confirmation function again for a pending account. */
  retryCustomConfirmation(details: RetryCustomConfirmationDetails): Promise<void> {
    return this.#post('confirm/call', details, ['email']);
  }

  /** Sets a new password with the `token` and `tokenId` from the reset link. */
  resetPassword(details: ResetPasswordDetails): Promise<void> {
    return this.#post('reset', details, ['token', 'tokenId', 'password']);
  }

  /** Emails a password-reset link. */
  sendResetPasswordEmail(details: SendResetPasswordDetails): Promise<void> {
    return this.#post('reset/send', details, ['email']);
  }

  /**
   * Runs the server's reset function with `details` and `args` (sent as canonical Extended JSON in
   * `arguments`).
   *
   * @example
   * ```ts
   * await app.emailPasswordAuth.callResetPasswordFunction({ email, password }, { securityAnswer: 'Blue' });
   * ```
   */
  callResetPasswordFunction(details: CallResetPasswordFunctionDetails, ...args: unknown[]): Promise<void> {
    return this.#post('reset/call', details, ['email', 'password'], args);
  }

  #post(route: string, details: object, fields: string[], args?: unknown[]): Promise<void> {
    if (typeof details !== 'object' || details === null) throw new TypeError(`expected { ${fields.join(', ')} }`);
    for (const field of fields)
      if (typeof (details as Record<string, unknown>)[field] !== 'string')
        throw new TypeError(`'${field}' must be a string`);
    const path = `${API}/app/${encodeURIComponent(this.#ctx.id)}/auth/providers/local-userpass/${route}`;
    const body = args ? { ...details, arguments: args } : details;
    return this.#ctx.request({ method: 'POST', path, body }).then(() => undefined);
  }
}
