import { afterEach, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';
import type { LoginAttempt } from './index.js';

const PASSWORD = 'correct horse battery';

/** Meteor's account hooks from the config module, over HTTP. */
describe.each(['sqlite', 'postgres'] as const)('account hooks (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const start = (hooks: Record<string, unknown>) =>
    startTestGatehouse(dialect, {
      app: { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } },
      config: { hooks } as never,
    });
  const register = (body: Record<string, unknown>) =>
    t.request('POST', t.appPath('/auth/providers/local-userpass/register'), { body: { password: PASSWORD, ...body } });
  const login = (username: string, password = PASSWORD) =>
    t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username, password },
      headers: { 'user-agent': 'hooks-test' },
    });

  it('onCreateUser shapes the profile; validateNewUser refuses and nothing is created', async () => {
    const seen: unknown[] = [];
    t = await start({
      onCreateUser: (options: { profile: Record<string, unknown> }, user: { _id: string; emails: unknown[] }) => {
        seen.push({ options, user });
        return { ...user, profile: { ...options.profile, plan: 'free' } };
      },
      validateNewUser: [
        (user: { emails: { address: string }[] }) => !user.emails[0]?.address.endsWith('@blocked.example'),
      ],
    });
    expect((await register({ email: 'ok@example.com', profile: { name: 'Ok' } })).status).toBe(201);
    const ok = await t.gatehouse.storage.findUserByEmail(t.appId, 'ok@example.com');
    expect(ok?.profile).toEqual({ name: 'Ok', plan: 'free' });
    expect(seen[0]).toMatchObject({
      options: { email: 'ok@example.com', profile: { name: 'Ok' } },
      user: { _id: ok?.id, emails: [{ address: 'ok@example.com', verified: false }] },
    });

    const blocked = await register({ email: 'spam@blocked.example' });
    expect(blocked.status).toBe(403);
    expect(blocked.json).toEqual({ error: 'User validation failed', error_code: 'Forbidden' });
    expect(await t.gatehouse.storage.findUserByEmail(t.appId, 'spam@blocked.example')).toBeNull();
  });

  it('a throwing hook refuses with its message, never a 500', async () => {
    t = await start({
      validateNewUser: () => {
        throw new Error('Sign-ups are closed this week');
      },
    });
    const res = await register({ email: 'late@example.com' });
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('Sign-ups are closed this week');
  });

  it('validateLoginAttempt sees the attempt and can refuse; onLogin and onLoginFailure hear every outcome', async () => {
    const attempts: LoginAttempt[] = [];
    const outcomes: [string, LoginAttempt][] = [];
    t = await start({
      validateLoginAttempt: (attempt: LoginAttempt) => {
        attempts.push(attempt);
        if (attempt.user?.emails[0]?.address === 'banned@example.com') return false;
        if (attempt.type === 'anon-user') throw new Error('No anonymous visitors today');
        return attempt.allowed;
      },
      onLogin: [
        (a: LoginAttempt) => outcomes.push(['login', a]),
        () => {
          throw new Error('ignored');
        },
      ],
      onLoginFailure: (a: LoginAttempt) => outcomes.push(['failure', a]),
    });
    await register({ email: 'fine@example.com' });
    await register({ email: 'banned@example.com' });

    const ok = await login('fine@example.com');
    expect(ok.status).toBe(200);
    expect(attempts[0]).toMatchObject({
      type: 'local-userpass',
      allowed: true,
      methodName: 'login',
      user: { _id: ok.json.user_id, emails: [{ address: 'fine@example.com', verified: false }] },
      connection: { clientAddress: '127.0.0.1', httpHeaders: { 'user-agent': 'hooks-test' } },
      appId: t.appId,
    });
    expect(JSON.stringify(attempts[0])).not.toContain(PASSWORD);

    const banned = await login('banned@example.com');
    expect(banned.status).toBe(403);
    expect(banned.json).toEqual({ error: 'Login forbidden', error_code: 'Forbidden' });
    // No session was made for the refused attempt.
    const bannedUser = await t.gatehouse.storage.findUserByEmail(t.appId, 'banned@example.com');
    expect(await t.gatehouse.storage.listActiveSessions(t.appId, bannedUser!.id, t.now())).toHaveLength(0);

    const wrong = await login('fine@example.com', 'wrong password!');
    expect(wrong.json.error_code).toBe('InvalidPassword');
    const anon = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
    expect(anon.json).toEqual({ error: 'No anonymous visitors today', error_code: 'Forbidden' });

    const unknown = await login('nobody@example.com');
    expect(unknown.json).toEqual(wrong.json);

    expect(outcomes.map(([kind, a]) => [kind, a.type, a.allowed, a.error?.reason, a.user?.emails[0]?.address])).toEqual(
      [
        ['login', 'local-userpass', true, undefined, 'fine@example.com'],
        ['failure', 'local-userpass', false, 'Login forbidden', 'banned@example.com'],
        // A wrong password: the hooks (never the client) learn whose it was, as Meteor's do.
        ['failure', 'local-userpass', false, 'invalid username/password', 'fine@example.com'],
        ['failure', 'anon-user', false, 'No anonymous visitors today', undefined],
        ['failure', 'local-userpass', false, 'invalid username/password', undefined],
      ],
    );
  });

  it('onLogout hears a logout', async () => {
    const logouts: unknown[] = [];
    t = await start({ onLogout: (info: unknown) => logouts.push(info) });
    await register({ email: 'bye@example.com' });
    const session = (await login('bye@example.com')).json;
    await t.request('DELETE', '/api/client/v2.0/auth/session', { token: session.refresh_token });
    expect(logouts).toMatchObject([{ user: { _id: session.user_id, emails: [{ address: 'bye@example.com' }] } }]);
  });

  it('customData(user) fills user_data at login and at every refresh; a failing hook falls back to stored data', async () => {
    let plan = 'free';
    let fail = false;
    t = await start({
      customData: (user: { _id: string; emails: { address: string }[]; customData: Record<string, unknown> }) => {
        if (fail) throw new Error('CRM down');
        return { plan, email: user.emails[0]?.address, stored: user.customData };
      },
    });
    await register({ email: 'data@example.com' });
    const session = (await login('data@example.com')).json;
    const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).user_data;
    expect(claims(session.access_token)).toEqual({ plan: 'free', email: 'data@example.com', stored: {} });
    plan = 'pro';
    await t.gatehouse.storage.setUserCustomData(t.appId, session.user_id, { seats: 3 }, t.now());
    const refreshed = await t.request('POST', '/api/client/v2.0/auth/session', { token: session.refresh_token });
    expect(claims(refreshed.json.access_token)).toEqual({
      plan: 'pro',
      email: 'data@example.com',
      stored: { seats: { $numberInt: '3' } },
    });
    fail = true;
    const fallback = await t.request('POST', '/api/client/v2.0/auth/session', { token: session.refresh_token });
    expect(fallback.status).toBe(201);
    expect(claims(fallback.json.access_token)).toEqual({ seats: { $numberInt: '3' } });
  });

  it('refuses a hook that is not a function at start-up', async () => {
    await expect(start({ onLogin: 'yes please' })).rejects.toThrow(/hooks\.onLogin/);
  });
});
