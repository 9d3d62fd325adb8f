import { attemptLogin, logIn, PASSWORD_PROVIDER, verifyPassword, verifyResumeToken } from '../../accounts/index.js';
import { loginWithOAuthOverDdp } from '../../oauth/meteor/login.js';
import { MeteorError, matchFailed } from '../wire.js';
import { isPlainObject, readPasswordLogin } from './args.js';
import { type DdpMethod, loggedIn } from './method.js';

/**
 * `login(options)`: `{ resume: token }` resumes a session — the client keeps its token, no new one is made;
 * `{ user, password }` proves a password through the account core (limits, confirmation, hooks) and starts a
 * new session with a new login token.
 */
export const login: DdpMethod = async (call) => {
  const [options] = call.params;
  if (call.params.length !== 1 || !isPlainObject(options)) throw matchFailed();
  const { ctx, app, info } = call;
  if ('resume' in options) {
    const token = options.resume;
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) throw matchFailed();
    let found: Awaited<ReturnType<typeof verifyResumeToken>> | undefined;
    const { user, session } = await attemptLogin(
      ctx,
      app,
      { type: 'resume', methodName: 'login', info },
      async () => (found = await verifyResumeToken(ctx, app, token)).user,
      async () => found as NonNullable<typeof found>,
    );
    await call.setLogin({ userId: user.id, sessionId: session.id });
    return { id: user.id, token, tokenExpires: new Date(session.expiresAt), type: 'resume' };
  }
  if (options.password) {
    const input = readPasswordLogin(options);
    const started = await logIn(
      ctx,
      app,
      { type: 'password', methodName: 'login', providerType: PASSWORD_PROVIDER, info },
      async () => ({ user: await verifyPassword(ctx, app, input, info) }),
      { kind: 'resume' },
    );
    return loggedIn(call, started, 'password');
  }
  // Meteor's accounts-oauth handler: a credential from `/_oauth/<service>` (oauth/meteor/login.ts).
  if (options.oauth) return loginWithOAuthOverDdp(call, options.oauth);
  throw new MeteorError(400, 'Unrecognized options for login request');
};
