import { logOutSession, notifyLogout } from '../../accounts/index.js';
import type { DdpMethod } from './method.js';

/**
 * `logout`: the connection's session ends (other connections resumed with the same token end too). Meteor
 * calls `onLogout` even when the connection was not logged in (with no user).
 */
export const logout: DdpMethod = async (call) => {
  const { ctx, app, info, login } = call;
  await call.setLogin(null);
  if (login) await logOutSession(ctx, { id: login.sessionId, appId: app.id, userId: login.userId }, info);
  else await notifyLogout(ctx, null, info);
  return undefined;
};
