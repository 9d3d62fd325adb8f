import { GatehouseError } from '@gatehouse-auth/core';

/** The refusals of the email/password provider, with App Services' wire texts (spec §4.4). */
export const localUserpassErrors = {
  invalidCredentials: () => new GatehouseError('InvalidPassword', 'invalid username/password'),
  nameInUse: () => new GatehouseError('AccountNameInUse', 'name already in use'),
  confirmationRequired: () => new GatehouseError('AuthError', 'confirmation required'),
  invalidToken: () => new GatehouseError('UserpassTokenInvalid', 'invalid token data'),
  userNotFound: () => new GatehouseError('UserNotFound', 'user not found'),
  disabled: () => new GatehouseError('UserDisabled', 'user disabled'),
  invalidEmail: () => new GatehouseError('BadRequest', 'invalid email address'),
  invalidUsername: () =>
    new GatehouseError('BadRequest', 'invalid username: 1 to 64 characters, without spaces, control characters or @'),
  needNameOrEmail: () => new GatehouseError('BadRequest', 'need to set a username or email'),
  autoConfirmOn: (email: string) =>
    new GatehouseError('BadRequest', `cannot run confirmation for ${email}: automatic confirmation is enabled`),
  notFunctionMode: () => new GatehouseError('BadRequest', 'confirmation function is not enabled'),
  useResetFunction: () => new GatehouseError('BadRequest', 'please use reset password via function'),
  resetFunctionDisabled: () => new GatehouseError('BadRequest', 'reset function is not enabled'),
  confirmFailed: (email: string) => new GatehouseError('BadRequest', `failed to confirm user "${email}"`),
  resetFailed: (email: string) => new GatehouseError('BadRequest', `failed to reset password for user "${email}"`),
  tooManyAttempts: (retryAfterMs: number) =>
    new GatehouseError('TooManyRequests', 'too many failed attempts, try again later', {
      details: { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
    }),
};
