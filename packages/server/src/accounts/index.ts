/**
 * The account core: every rule about accounts, once, for every front — the App Services HTTP routes, Meteor's
 * DDP methods, the OAuth flows, the hosted pages, the server API (`gatehouse.accounts(appId)`), the CLI and the
 * Meteor import. A front translates its arguments in and the core's coded errors out; it never checks a limit,
 * hashes a password, creates a user or writes an audit record itself. Side effects of a change (the audit log,
 * news to live DDP connections and other instances, metrics) subscribe to the core's events.
 *
 * See docs/design/account-core.md for the map.
 *
 * @module
 */

export {
  type AccountMailKind,
  type AdminAccounts,
  type AdminAuditEventView,
  type AdminSessionView,
  type AdminUserView,
  adminAccounts,
  adminUserView,
  type Page,
} from './admin.js';
export { createAccount, MAX_PROFILE_BYTES, type NewAccount } from './create.js';
export {
  addEmail,
  confirmEmail,
  findAccountByEmail,
  removeEmail,
  replaceEmail,
  resendConfirmationEmail,
  retryCustomConfirmation,
  sendVerificationEmail,
} from './emails.js';
export { findOrCreateUserForIdentity, identityTaken, linkIdentity, type ProvenIdentity } from './external.js';
export {
  type AccountOrigin,
  attemptLogin,
  customDataOf,
  failedLoginUser,
  type HookUser,
  hookUser,
  type LoginAttempt,
  notifyLogout,
  selectHookUserFields,
} from './hooks.js';
export {
  findUserBySelector,
  type LoginSelector,
  normalizeEmail,
  normalizeUsername,
  selectorOfLoginName,
} from './identifiers.js';
export { type ImportedAccount, type ImportOutcome, importAccount } from './import.js';
export { type AttemptLimits, attemptLimits, tooManyAttempts } from './limits.js';
export { linkPasswordAccount } from './link-password.js';
export { humanDuration, type LinkPurpose, type LinkToken, mailAccountLink } from './links.js';
export {
  type LoginAttemptInfo,
  type LoginRefusal,
  logIn,
  type Proven,
  refuseLogin,
  type SessionRequest,
} from './login.js';
export {
  listPasskeys,
  PASSKEY_PROVIDER,
  type PasskeyFailure,
  type PasskeyInfo,
  type PasskeySettings,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  passkeySettings,
  registerPasskey,
  removeAllPasskeys,
  removePasskey,
  renamePasskey,
  verifyPasskeyLogin,
} from './passkeys.js';
export { invalidCredentials, type PasswordFailure, verifyPassword } from './password-login.js';
export { PASSWORD_PROVIDER, type PasswordInput, passwordPolicy, passwordSettings } from './password-rules.js';
export {
  type LoginTokenFailure,
  type LoginTokenRequest,
  linkPasswordlessAccount,
  PASSWORDLESS_PROVIDER,
  type PasswordlessUserData,
  passwordlessSettings,
  requestLoginToken,
  sendLoginTokenEmail,
  verifyLoginToken,
} from './passwordless.js';
export {
  callResetPasswordFunction,
  changePassword,
  resetPassword,
  sendResetPasswordEmail,
  setPassword,
} from './passwords.js';
export { checkModifier, denied, updateOwnProfile } from './profile.js';
export { type ServerAccounts, serverAccounts } from './server-api.js';
export {
  type Authenticated,
  authenticateAccess,
  authenticateRefresh,
  deviceIdFrom,
  endSession,
  hashLoginToken,
  isActive,
  isAnonymousOnly,
  issueAccessToken,
  type LoginResult,
  listSessions,
  logOutSession,
  logoutOtherSessions,
  type ResumeLogin,
  refreshAccessToken,
  renewResumeSession,
  revokeOwnSession,
  type SessionView,
  startResumeSession,
  verifyResumeToken,
} from './sessions.js';
export { type SignUp, type SignUpOutcome, signUp } from './signup.js';
export {
  disableTwoFactor,
  enableTwoFactor,
  finishTwoFactorLogin,
  hasTwoFactor,
  proveSecondFactor,
  recoveryCodesLeft,
  startTwoFactor,
  type TwoFactorActivation,
} from './two-factor.js';
export {
  type AppServicesProfile,
  appServicesProfile,
  deleteUser,
  type MeteorUserDocument,
  meteorUserDocument,
  setCustomData,
  setUserDisabled,
} from './users.js';
