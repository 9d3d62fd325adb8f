import type { JsonObject } from '@gatehouse-auth/core';
import {
  type LoginSelector,
  logIn,
  PASSWORDLESS_PROVIDER,
  passwordlessSettings,
  requestLoginToken,
  verifyLoginToken,
} from '../../accounts/index.js';
import { MeteorError, matchFailed } from '../wire.js';
import { isPlainObject } from './args.js';
import { type DdpMethod, loggedIn, type MethodCall } from './method.js';

/**
 * `requestLoginTokenForUser({ selector, userData?, options? })` (Meteor's accounts-passwordless): mails the
 * user's addresses — or the one the selector names — a code and a link; creates the user from `userData` when
 * the selector finds none, unless `options.userCreationDisabled`. Answers `{ selector, userData, isNewUser }`.
 * An app without passwordless has no such method.
 */
export const requestLoginTokenForUser: DdpMethod = async (call) => {
  assertPasswordless(call, 'requestLoginTokenForUser');
  const [input] = call.params;
  if (call.params.length !== 1 || !isPlainObject(input)) throw matchFailed();
  const { selector: rawSelector, userData, options = {} } = input;
  if (!rawSelector) throw new MeteorError(400, 'Must pass selector');
  const selector = readSelector(rawSelector);
  if (userData !== undefined && userData !== null && !isPlainObject(userData)) throw matchFailed();
  if (userData && JSON.stringify(userData).length > 16_384) throw matchFailed();
  if (
    !isPlainObject(options) ||
    (options.userCreationDisabled !== undefined && typeof options.userCreationDisabled !== 'boolean')
  )
    throw matchFailed();
  const data = (userData ?? {}) as Record<string, unknown>;
  const { username, email, profile } = data;
  if (username !== undefined && typeof username !== 'string') throw matchFailed();
  if (email !== undefined && typeof email !== 'string') throw matchFailed();
  if (profile !== undefined && !isPlainObject(profile)) throw matchFailed();
  const { isNewUser } = await requestLoginToken(
    call.ctx,
    call.app,
    {
      selector,
      userData: { ...data, ...(profile ? { profile: profile as JsonObject } : {}) },
      userCreationDisabled: options.userCreationDisabled === true,
    },
    call.info,
  );
  return { selector: rawSelector, userData, isNewUser };
};

/**
 * The `login({ selector, token, code? })` handler (`Meteor.passwordlessLoginWithToken` and
 * `passwordlessLoginWithTokenAnd2faCode`): the core's code check, then a new login of type `passwordless`.
 */
export async function passwordlessLogin(call: MethodCall, options: Record<string, unknown>) {
  const { ctx, app, info } = call;
  const length = assertPasswordless(call, 'login', app).length;
  if (Object.keys(options).some((k) => k !== 'selector' && k !== 'token' && k !== 'code')) throw matchFailed();
  const { token, code } = options;
  // Meteor's `tokenValidator`: a string no longer than `tokenSequenceLength`.
  if (typeof token !== 'string' || token.length > length) throw matchFailed();
  if (code !== undefined && (typeof code !== 'string' || code === '' || code.length > 64)) throw matchFailed();
  const selector = readSelector(options.selector);
  const started = await logIn(
    ctx,
    app,
    { type: 'passwordless', methodName: 'login', providerType: PASSWORDLESS_PROVIDER, info },
    async () => ({ user: await verifyLoginToken(ctx, app, { selector, token, ...(code ? { code } : {}) }, info) }),
    { kind: 'resume' },
  );
  return loggedIn(call, started, 'passwordless');
}

/** Meteor's `_userQueryValidator`: exactly one of `id`, `username`, `email`, a non-empty string. */
function readSelector(value: unknown): LoginSelector {
  // Meteor's client turns a string into `{ email }` (with "@") or `{ username }` before sending; take it too.
  if (typeof value === 'string' && value.length > 0 && value.length <= 1024)
    return value.includes('@') ? { email: value } : { username: value };
  if (!isPlainObject(value)) throw matchFailed();
  const entries = Object.entries(value);
  if (entries.length !== 1) throw matchFailed();
  const [[key, field]] = entries as [[string, unknown]];
  if (!['id', 'username', 'email'].includes(key) || typeof field !== 'string' || field === '' || field.length > 1024)
    throw matchFailed();
  return { [key]: field } as LoginSelector;
}

function assertPasswordless(call: MethodCall, method: string, app = call.app) {
  try {
    return passwordlessSettings(app);
  } catch {
    if (method === 'login') throw new MeteorError(400, 'Unrecognized options for login request');
    throw new MeteorError(404, `Method '${method}' not found`);
  }
}
