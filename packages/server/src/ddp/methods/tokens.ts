import { isGatehouseError } from '@gatehouse-auth/core';
import { logoutOtherSessions, renewResumeSession } from '../../accounts/index.js';
import { MeteorError } from '../wire.js';
import type { DdpMethod, MethodCall } from './method.js';

/** `getNewToken`: a new login token for the same user, expiring when the current one does. */
export const getNewToken: DdpMethod = async (call) => {
  const renewed = await renew(call);
  return { id: renewed.userId, token: renewed.token, tokenExpires: new Date(renewed.session.expiresAt) };
};

/** `removeOtherTokens`: every other session of the user ends — other DDP connections close. */
export const removeOtherTokens: DdpMethod = async (call) => {
  const login = call.login;
  if (!login) throw new MeteorError('You are not logged in.');
  await logoutOtherSessions(call.ctx, { id: login.userId, appId: call.app.id }, login.sessionId, call.info);
  return undefined;
};

/** `logoutOtherClients`: what Meteor's client does in two calls — a fresh token here, then every other one ends. */
export const logoutOtherClients: DdpMethod = async (call) => {
  const renewed = await renew(call);
  await logoutOtherSessions(call.ctx, { id: renewed.userId, appId: call.app.id }, renewed.session.id, call.info);
  return { id: renewed.userId, token: renewed.token, tokenExpires: new Date(renewed.session.expiresAt) };
};

async function renew(call: MethodCall) {
  if (!call.login) throw new MeteorError('You are not logged in.');
  let renewed: Awaited<ReturnType<typeof renewResumeSession>>;
  try {
    renewed = await renewResumeSession(call.ctx, call.app, call.login.sessionId, call.info);
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'InvalidSession') throw new MeteorError('Invalid login token');
    throw error;
  }
  await call.setLogin({ userId: renewed.userId, sessionId: renewed.session.id });
  return renewed;
}
