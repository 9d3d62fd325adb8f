import { disableTwoFactor, enableTwoFactor, hasTwoFactor, startTwoFactor } from '../../accounts/index.js';
import { MeteorError, matchFailed } from '../wire.js';
import type { DdpMethod, MethodCall } from './method.js';

/**
 * Meteor's accounts-2fa methods, for the connection's user. Texts and error codes are Meteor's; the
 * activation's secret is kept by the core, sealed, until `enableUser2fa` confirms it with a first code.
 */

/** `generate2faActivationQrCode(appName)` → `{ svg, secret, uri }`. */
export const generate2faActivationQrCode: DdpMethod = async (call) => {
  const [appName] = call.params;
  if (typeof appName !== 'string' || appName.length > 256) throw matchFailed();
  const user = await currentUser(call, 'There must be a user logged in to generate the QR code.');
  return startTwoFactor(call.ctx, call.app, user, appName);
};

/**
 * `enableUser2fa(code)`: turns two-factor on with a first code. Meteor answers nothing; Gatehouse answers the
 * one-time recovery codes (`{ recoveryCodes }`), which a Meteor client may ignore.
 */
export const enableUser2fa: DdpMethod = async (call) => {
  const [code] = call.params;
  if (typeof code !== 'string' || code.length > 64) throw matchFailed();
  const user = await currentUser(call, 'No user logged in.');
  return enableTwoFactor(call.ctx, call.app, user, code, call.info);
};

/** `disableUser2fa()`: turns two-factor off and forgets the secret and recovery codes. */
export const disableUser2fa: DdpMethod = async (call) => {
  const user = await currentUser(call, 'No user logged in.');
  await disableTwoFactor(call.ctx, call.app, user.id, call.info, 'user');
  return undefined;
};

/** `has2faEnabled()` → whether the user has two-factor on. */
export const has2faEnabled: DdpMethod = async (call) => {
  const login = call.login;
  if (!login) throw new MeteorError('no-logged-user', 'No user logged in.');
  return hasTwoFactor(call.ctx, call.app, login.userId);
};

async function currentUser(call: MethodCall, refusal: string) {
  const user = call.login ? await call.ctx.storage.getUser(call.app.id, call.login.userId) : null;
  if (!user) throw new MeteorError(400, refusal);
  return user;
}
