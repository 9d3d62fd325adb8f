/**
 * `@gatehouse-auth/client`: Gatehouse's client SDK — a drop-in for realm-web 2.0.1's authentication API, with users
 * kept across restarts and offline, automatic single-flight token refresh, and a reactive store.
 *
 * @example
 * ```ts
 * import { App, Credentials } from '@gatehouse-auth/client';
 *
 * const app = new App({ id: 'my-app', baseUrl: 'https://auth.example.com' });
 * const user = app.currentUser ?? (await app.logIn(Credentials.anonymous()));
 * ```
 */

export { type ErrorCode, GatehouseError, isGatehouseError } from '@gatehouse-auth/core';
export {
  type Accounts,
  type AccountsCallback,
  type AccountsHandle,
  type CreateUserOptions,
  createAccounts,
  type FieldSpecifier,
  type LoginDetails,
  type LoginSelector,
  type LoginServiceConfiguration,
  type MeteorUser,
} from './accounts.js';
export { App, type AppConfiguration } from './app.js';
export {
  type AnonymousPayload,
  type ApiKeyPayload,
  type ApplePayload,
  Credentials,
  type EmailPasswordPayload,
  type FacebookPayload,
  type FunctionPayload,
  type GoogleAuthCodePayload,
  type GoogleIdTokenPayload,
  type JWTPayload,
  type OAuth2RedirectPayload,
} from './credentials.js';
export type { LocalAppConfiguration } from './device.js';
export {
  type CallResetPasswordFunctionDetails,
  type ConfirmUserDetails,
  EmailPasswordAuth,
  type RegisterUserDetails,
  type ResendConfirmationDetails,
  type ResetPasswordDetails,
  type RetryCustomConfirmationDetails,
  type SendResetPasswordDetails,
} from './email-password-auth.js';
export { ServerError, ServerError as MongoDBRealmError } from './errors.js';
export { handleAuthRedirect } from './oauth2.js';
export type { DefaultUserProfileData, UserIdentity } from './profile.js';
export type { SessionAuth, SessionInfo } from './sessions.js';
export { memoryStorage, type StorageAdapter, type WebStorageLike, webStorage } from './storage.js';
export type { AuthEvent, AuthEvents, AuthSnapshot, LogOutReason } from './store.js';
export type { FetchFunction } from './transport.js';
export { type ApiKey, type ApiKeyAuth, type ApiKeyInfo, User, UserState, UserType } from './user.js';
export { SDK_VERSION } from './version.js';
