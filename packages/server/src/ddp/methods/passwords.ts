import { isGatehouseError } from '@gatehouse-auth/core';
import {
  changePassword as changeOwnPassword,
  confirmEmail,
  logIn,
  PASSWORD_PROVIDER,
  resetPassword as resetWithToken,
  sendResetPasswordEmail,
} from '../../accounts/index.js';
import { MeteorError, matchFailed } from '../wire.js';
import { isPlainObject, notLoggedIn, readLinkToken, readPassword } from './args.js';
import type { DdpMethod, MethodCall } from './method.js';
import { loggedIn } from './method.js';

/**
 * `changePassword(oldPassword, newPassword)`: the core's change (limits on the current password, policy on
 * the new one); every other session of the user ends, this connection's stays.
 */
export const changePassword: DdpMethod = async (call) => {
  const [oldPassword, newPassword] = call.params;
  const input = { currentPassword: readPassword(oldPassword), newPassword: readPassword(newPassword) };
  const login = call.login;
  if (!login) throw notLoggedIn();
  const user = await call.ctx.storage.getUser(call.app.id, login.userId);
  if (!user) throw notLoggedIn();
  await changeOwnPassword(call.ctx, call.app, user, { id: login.sessionId }, input, call.info);
  return { passwordChanged: true };
};

/** `forgotPassword({ email })`: mails a reset link (the core answers unknown addresses as the app chose). */
export const forgotPassword: DdpMethod = async (call) => {
  const [options] = call.params;
  if (call.params.length !== 1 || !isPlainObject(options) || Object.keys(options).join() !== 'email')
    throw matchFailed();
  const email = options.email;
  if (typeof email !== 'string' || email.length === 0) throw matchFailed();
  await sendResetPasswordEmail(call.ctx, call.app, { email }, call.info);
  return undefined;
};

/** `resetPassword(token, newPassword)`: sets the password from a reset or enrollment link, then logs in. */
export const resetPassword: DdpMethod = async (call) => {
  const token = readLinkToken(call.params[0], 'Token expired');
  const password = readPassword(call.params[1]);
  if (call.params.length !== 2) throw matchFailed();
  return linkLogin(call, 'resetPassword', 'Token expired', () =>
    resetWithToken(call.ctx, call.app, { ...token, password }, call.info),
  );
};

/** `verifyEmail(token)`: confirms the address from a verification link, then logs in (as Meteor does). */
export const verifyEmail: DdpMethod = async (call) => {
  const token = readLinkToken(call.params[0], 'Verify email link expired');
  if (call.params.length !== 1) throw matchFailed();
  return linkLogin(call, 'verifyEmail', 'Verify email link expired', () =>
    confirmEmail(call.ctx, call.app, token, call.info),
  );
};

/** A link's action through the login hooks, then a new login; a bad link is Meteor's "expired" text. */
async function linkLogin(
  call: MethodCall,
  methodName: string,
  expired: string,
  act: () => ReturnType<typeof confirmEmail>,
) {
  const started = await logIn(
    call.ctx,
    call.app,
    { type: 'password', methodName, providerType: PASSWORD_PROVIDER, info: call.info },
    async () => {
      try {
        return { user: await act() };
      } catch (error) {
        if (isGatehouseError(error) && error.code === 'UserpassTokenInvalid') throw new MeteorError(403, expired);
        throw error;
      }
    },
    { kind: 'resume' },
  );
  return loggedIn(call, started, 'password');
}
