import type { JsonObject } from '@gatehouse-auth/core';
import { logIn, PASSWORD_PROVIDER, passwordSettings, signUp } from '../../accounts/index.js';
import { AMBIGUOUS } from '../errors.js';
import { MeteorError, matchFailed } from '../wire.js';
import { isPlainObject, readPassword } from './args.js';
import type { DdpMethod } from './method.js';
import { loggedIn } from './method.js';

/**
 * `createUser({ username?, email?, password, profile?, … })`: a sign-up through the account core (the app's
 * email/password settings, policy, confirmation mode, hooks), then — as Meteor does — a login as the new user.
 * Extra option fields are allowed (Meteor checks with `Match.ObjectIncluding`) and reach `onCreateUser`. In an
 * app that requires confirmation the account is made and its confirmation mailed, and the login is refused
 * until the address is confirmed. The password may be a Meteor digest: a digest cannot be checked against the
 * password policy (Meteor's own server cannot either), so it is stored as given.
 */
export const createUser: DdpMethod = async (call) => {
  const [options] = call.params;
  if (!isPlainObject(options)) throw matchFailed();
  const { username, email, password, profile, ...rest } = options;
  if (username !== undefined && typeof username !== 'string') throw matchFailed();
  if (email !== undefined && typeof email !== 'string') throw matchFailed();
  if (profile !== undefined && !isPlainObject(profile)) throw matchFailed();
  if (profile !== undefined && JSON.stringify(profile).length > 16_384) throw matchFailed();
  if (JSON.stringify(rest).length > 16_384) throw matchFailed();
  const { ctx, app, info } = call;
  // An app without email/password has no `createUser` method, as a Meteor app without accounts-password.
  try {
    passwordSettings(app);
  } catch {
    throw new MeteorError(404, "Method 'createUser' not found");
  }
  if (!username && !email) throw new MeteorError(400, 'Need to set a username or email');
  const input = {
    ...(username ? { username } : {}),
    ...(email ? { email } : {}),
    password: readPassword(password),
    ...(profile ? { profile: profile as JsonObject } : {}),
    options: rest,
  };
  const started = await logIn(
    ctx,
    app,
    { type: 'password', methodName: 'createUser', providerType: PASSWORD_PROVIDER, info },
    async () => {
      const outcome = await signUp(ctx, app, input, info);
      // A taken address the app hides (`preventAccountEnumeration`): the ambiguous answer, as for any refusal.
      if (!outcome.created) throw new MeteorError(403, AMBIGUOUS);
      if (!outcome.confirmed) throw new MeteorError(403, 'Email not verified');
      return { user: outcome.user };
    },
    { kind: 'resume' },
  );
  return loggedIn(call, started, 'password');
};
