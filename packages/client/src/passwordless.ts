import type { Accounts, AccountsCallback } from './accounts.js';
import { contexts } from './context.js';
import { Credentials } from './credentials.js';
import { API, AUTH, asObject } from './transport.js';
import type { User } from './user.js';

/**
 * Passwordless and two-factor sign-in for the SDK, as an entry of its own (`@gatehouse-auth/client/passwordless`)
 * so apps that do not use them keep the main bundle within its size budget.
 *
 * - {@link emailCodeCredentials} and {@link twoFactorCredentials} are the App Services-side credentials
 *   (`app.logIn(…)`, `user.linkCredentials(…)`);
 * - {@link withPasswordless} gives `createAccounts(app)` Meteor's accounts-passwordless and accounts-2fa names;
 * - {@link twoFactorStatus}, {@link generate2faActivationQrCode}, {@link enableUser2fa} and {@link disableUser2fa}
 *   are the signed-in user's own two-factor calls.
 *
 * @example
 * ```ts
 * import { App, createAccounts } from '@gatehouse-auth/client';
 * import { withPasswordless } from '@gatehouse-auth/client/passwordless';
 * const accounts = withPasswordless(createAccounts(new App({ id: 'notes-abcde', baseUrl })));
 * await accounts.requestLoginTokenForUser({ selector: 'ada@example.com', userData: { email: 'ada@example.com' } });
 * await accounts.passwordlessLoginWithToken('ada@example.com', codeFromTheMail);
 * ```
 * @module
 */

/**
 * A passwordless login code (`email-code`): the code mailed to `email`, typed in or read from the link's
 * `loginToken`. With `user.linkCredentials()` an anonymous user keeps its id and gains the address.
 */
export function emailCodeCredentials(email: string, code: string): Credentials<{ email: string; code: string }> {
  return new Credentials('email-code', 'email-code', false, { email: text(email, 'email'), code: text(code, 'code') });
}

/**
 * The second step of a login of a user with two-factor on (`two-factor`): the `challenge` of the first step's
 * `TwoFactorRequired` error (`error.challenge`, a {@link ServerError}) and a code from the user's authenticator,
 * or one of their recovery codes.
 *
 * @example
 * ```ts
 * try {
 *   await app.logIn(Credentials.emailPassword(email, password));
 * } catch (error) {
 *   if (error.code !== 'TwoFactorRequired') throw error;
 *   await app.logIn(twoFactorCredentials(error.challenge, await askForCode()));
 * }
 * ```
 */
export function twoFactorCredentials(
  challenge: string,
  code: string,
): Credentials<{ challenge: string; code: string }> {
  return new Credentials('two-factor', 'two-factor', false, {
    challenge: text(challenge, 'challenge'),
    code: text(code, 'code'),
  });
}

/** Meteor's accounts-passwordless client names, over HTTP (codes go to an address, so selectors are emails). */
export interface PasswordlessAccounts {
  /**
   * Mails a login code and link to the address `selector` names (`Accounts.requestLoginTokenForUser`). When no
   * user has it, one is made from `userData` (`username`, `profile`) unless `options.userCreationDisabled`.
   */
  requestLoginTokenForUser(
    input: {
      selector: string | { email: string };
      userData?: { username?: string; email?: string; profile?: Record<string, unknown> };
      options?: { userCreationDisabled?: boolean };
    },
    callback?: AccountsCallback,
  ): Promise<void>;
  /** Logs in with a mailed code (`Meteor.passwordlessLoginWithToken`); `selector` is the address it went to. */
  passwordlessLoginWithToken(
    selector: string | { email: string },
    token: string,
    callback?: AccountsCallback,
  ): Promise<void>;
  /**
   * Logs in with a mailed code and, for a user with two-factor on, an authenticator or recovery code
   * (`Meteor.passwordlessLoginWithTokenAnd2faCode`).
   */
  passwordlessLoginWithTokenAnd2faCode(
    selector: string | { email: string },
    token: string,
    code: string,
    callback?: AccountsCallback,
  ): Promise<void>;
  /** Meteor's `Accounts.has2faEnabled`: whether the signed-in user has two-factor on. */
  has2faEnabled(): Promise<boolean>;
  /** Meteor's `Accounts.generate2faActivationQrCode`: a new secret and its QR code (see the function of that name). */
  generate2faActivationQrCode(appName?: string): Promise<TwoFactorActivation>;
  /** Meteor's `Accounts.enableUser2fa`: turns two-factor on with a first code; resolves with the recovery codes. */
  enableUser2fa(code: string): Promise<{ recoveryCodes: string[] }>;
  /** Meteor's `Accounts.disableUser2fa`: turns two-factor off. */
  disableUser2fa(): Promise<void>;
}

/**
 * Adds Meteor's accounts-passwordless names to the facade of `createAccounts(app)` and returns it. Logins go
 * through `app.logIn`, so the facade's document, `onLogin` callbacks and `loggingIn()` follow as for any login.
 */
export function withPasswordless<A extends Accounts>(accounts: A): A & PasswordlessAccounts {
  const { app } = accounts;
  const ctx = contexts.get(app);
  if (!ctx) throw new TypeError('withPasswordless() needs createAccounts(app)');
  const logIn = async (credentials: Credentials): Promise<void> => {
    await app.logIn(credentials);
    await accounts.refreshUser();
  };
  const methods: PasswordlessAccounts = {
    requestLoginTokenForUser(input, callback) {
      const { selector, userData, options } = (asObject(input) ?? {}) as Parameters<
        PasswordlessAccounts['requestLoginTokenForUser']
      >[0];
      const body = {
        email: emailOf(selector),
        createUser: options?.userCreationDisabled !== true,
        ...(userData?.username ? { username: userData.username } : {}),
        ...(userData?.profile ? { profile: userData.profile } : {}),
      };
      const path = `${API}/app/${encodeURIComponent(app.id)}/auth/providers/email-code/send`;
      return settle(async () => void (await ctx.request({ method: 'POST', path, body })), callback);
    },
    passwordlessLoginWithToken(selector, token, callback) {
      const credentials = emailCodeCredentials(emailOf(selector), token);
      return settle(() => logIn(credentials), callback);
    },
    passwordlessLoginWithTokenAnd2faCode(selector, token, code, callback) {
      const credentials = emailCodeCredentials(emailOf(selector), token);
      const second = text(code, 'code');
      return settle(
        () =>
          // The first step answers a user with two-factor on with a challenge; the code finishes the login.
          logIn(credentials).catch((error: { code?: string; challenge?: string }) => {
            if (error?.code !== 'TwoFactorRequired' || !error.challenge) throw error;
            return logIn(twoFactorCredentials(error.challenge, second));
          }),
        callback,
      );
    },
    has2faEnabled: async () => (await twoFactorStatus(signedIn(app))).enabled,
    generate2faActivationQrCode: async (appName) => generate2faActivationQrCode(signedIn(app), appName),
    enableUser2fa: async (code) => enableUser2fa(signedIn(app), code),
    disableUser2fa: async () => disableUser2fa(signedIn(app)),
  };
  return Object.assign(accounts, methods);
}

/** A new two-factor secret, not yet on: its QR code (an SVG document), the secret in base32 and its `otpauth://` URI. */
export interface TwoFactorActivation {
  svg: string;
  secret: string;
  uri: string;
}

/** Whether the user has two-factor on, and how many unused recovery codes they have. */
export interface TwoFactorStatus {
  enabled: boolean;
  recoveryCodesLeft: number;
}

/** The signed-in user's two-factor state (Meteor's `has2faEnabled`, with the recovery codes left). */
export async function twoFactorStatus(user: User): Promise<TwoFactorStatus> {
  const body = asObject(await call(user, 'GET', `${AUTH}/two-factor`)) ?? {};
  return { enabled: body.enabled === true, recoveryCodesLeft: Number(body.recoveryCodesLeft ?? 0) };
}

/**
 * Starts turning two-factor on (Meteor's `generate2faActivationQrCode`): a new secret and its QR code for the
 * user's authenticator app. `appName` is the issuer the app shows (default: the Gatehouse app's name). The SVG
 * comes from the server: show it as an image (`data:image/svg+xml,…`), not as markup.
 *
 * @throws ServerError `TwoFactorEnabled` when two-factor is already on.
 */
export async function generate2faActivationQrCode(user: User, appName?: string): Promise<TwoFactorActivation> {
  const body = asObject(await call(user, 'POST', `${AUTH}/two-factor/activation`, appName ? { appName } : {}));
  if (typeof body?.svg !== 'string' || typeof body.secret !== 'string' || typeof body.uri !== 'string')
    throw new TypeError('expected a two-factor activation');
  return { svg: body.svg, secret: body.secret, uri: body.uri };
}

/**
 * Turns two-factor on with a first code from the authenticator (Meteor's `enableUser2fa`); resolves with the
 * ten recovery codes, which the server shows only this once.
 *
 * @throws ServerError `TwoFactorInvalid` for a wrong code (two-factor stays off).
 */
export async function enableUser2fa(user: User, code: string): Promise<{ recoveryCodes: string[] }> {
  const body = asObject(await call(user, 'POST', `${AUTH}/two-factor/enable`, { code: text(code, 'code') }));
  return { recoveryCodes: Array.isArray(body?.recoveryCodes) ? body.recoveryCodes.map(String) : [] };
}

/** Turns two-factor off and forgets its secret and recovery codes (Meteor's `disableUser2fa`). */
export async function disableUser2fa(user: User): Promise<void> {
  await call(user, 'DELETE', `${AUTH}/two-factor`);
}

/** A request with the user's access token (refreshed first when it is about to expire). */
async function call(user: User, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const ctx = contexts.get(user.app);
  if (!ctx) throw new TypeError('expected a User of @gatehouse-auth/client');
  return ctx.request({ method, path, body, token: await user.getAccessToken() });
}

function signedIn(app: Accounts['app']): User {
  const user = app.currentUser;
  if (!user) throw new Error('nobody is signed in');
  return user;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${what} must be a non-empty string`);
  return value;
}

function emailOf(selector: unknown): string {
  const value = typeof selector === 'string' ? selector : asObject(selector)?.email;
  if (typeof value !== 'string' || !value.includes('@'))
    throw new TypeError('passwordless sign-in over HTTP takes an email: a string with "@", or { email }');
  return value;
}

function settle(work: () => Promise<void>, callback: AccountsCallback | undefined): Promise<void> {
  if (callback !== undefined && typeof callback !== 'function') throw new TypeError('callback must be a function');
  const promise = work();
  return callback
    ? promise.then(
        () => callback(),
        (error: Error) => callback(error),
      )
    : promise;
}
