import { createUser } from './create-user.js';
import { login } from './login.js';
import { logout } from './logout.js';
import type { DdpMethod } from './method.js';
import { passkeyMethods } from './passkeys.js';
import { requestLoginTokenForUser } from './passwordless.js';
import { changePassword, forgotPassword, resetPassword, verifyEmail } from './passwords.js';
import { getNewToken, logoutOtherClients, removeOtherTokens } from './tokens.js';
import { disableUser2fa, enableUser2fa, generate2faActivationQrCode, has2faEnabled } from './two-factor.js';
import { refuseUsersWrite, updateUser } from './users.js';

/** Meteor's accounts methods Gatehouse serves over DDP, by name, and its passkey methods. */
export const ddpMethods: ReadonlyMap<string, DdpMethod> = new Map<string, DdpMethod>([
  ['login', login],
  ['createUser', createUser],
  ['logout', logout],
  ['getNewToken', getNewToken],
  ['removeOtherTokens', removeOtherTokens],
  ['logoutOtherClients', logoutOtherClients],
  ['changePassword', changePassword],
  ['forgotPassword', forgotPassword],
  ['resetPassword', resetPassword],
  ['verifyEmail', verifyEmail],
  ['requestLoginTokenForUser', requestLoginTokenForUser],
  ['generate2faActivationQrCode', generate2faActivationQrCode],
  ['enableUser2fa', enableUser2fa],
  ['disableUser2fa', disableUser2fa],
  ['has2faEnabled', has2faEnabled],
  ['/users/update', updateUser],
  ['/users/updateAsync', updateUser],
  ['/users/insert', refuseUsersWrite],
  ['/users/insertAsync', refuseUsersWrite],
  ['/users/remove', refuseUsersWrite],
  ['/users/removeAsync', refuseUsersWrite],
  ...passkeyMethods,
]);

export type { DdpLogin, DdpMethod, LoginResultValue, MethodCall } from './method.js';
