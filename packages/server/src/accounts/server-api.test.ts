import { afterEach, describe, expect, it } from 'vitest';
import { type NodeServer, serveNode } from '../node/serve.js';
import { meteorDigests } from '../passwords/index.js';
import { startTestGatehouse, type TestGatehouse, tokenFromLink } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';

const API = '/api/client/v2.0';
const PASSWORD = 'correct horse battery';
const digestOf = (password: string) => ({ digest: meteorDigests(password)[0]!, algorithm: 'sha-256' });

/** Meteor's server-side `Accounts.*` through `gatehouse.accounts(appId)`. */
describe.each(['sqlite', 'postgres'] as const)('server-side account changes (%s)', (dialect) => {
  let t: TestGatehouse;
  let server: NodeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await t?.close();
  });

  const start = async (accounts: Record<string, unknown> = {}) => {
    t = await startTestGatehouse(dialect, {
      app: {
        name: 'Notes',
        accounts,
        providers: { 'local-userpass': { confirmation: 'email' } },
      },
    });
    return t.gatehouse.accounts(t.appId);
  };
  const login = (username: string, password = PASSWORD) =>
    t.request('POST', t.appPath('/auth/providers/local-userpass/login'), { body: { username, password } });
  const user = async (id: string) => (await t.gatehouse.storage.getUser(t.appId, id))!;

  it('creates a user without a password; the enrollment mail lets them choose one, which verifies the address', async () => {
    const accounts = await start({ forbidClientAccountCreation: true, passwordEnrollTokenExpirationInDays: 7 });
    const id = await accounts.createUser({ email: 'Ada@Example.com', profile: { name: 'Ada' } });
    expect(await user(id)).toMatchObject({
      emails: [{ address: 'Ada@Example.com', verified: false }],
      profile: { name: 'Ada' },
      identities: [{ providerType: 'local-userpass' }],
    });
    expect(await t.gatehouse.storage.getPasswordHash(t.appId, id)).toBeNull();
    expect((await login('ada@example.com')).status).toBe(401);
    // Clients still cannot sign up: forbidClientAccountCreation is about them, not the operator.
    const signup = await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email: 'eve@example.com', password: PASSWORD },
    });
    expect(signup.json).toMatchObject({ error: 'Signups forbidden' });

    expect(await accounts.sendEnrollmentEmail(id)).toBe('Ada@Example.com');
    const [link] = await t.mailLinks('Ada@Example.com');
    const mail = t.gatehouse.outbox?.list().find((m) => m.to === 'Ada@Example.com');
    expect(mail?.subject).toBe('An account has been created for you on Notes');
    expect(mail?.text).toContain('The link expires in 7 days.');
    expect(new URL(link!).pathname).toBe(`/app/${t.appId}/reset`);
    const body = { ...tokenFromLink(link!), password: PASSWORD };
    expect((await t.request('POST', t.appPath('/auth/providers/local-userpass/reset'), { body })).status).toBe(200);
    expect((await t.request('POST', t.appPath('/auth/providers/local-userpass/reset'), { body })).json).toMatchObject({
      error_code: 'UserpassTokenInvalid',
    });
    expect((await login('ada@example.com')).status).toBe(200);
    expect((await user(id)).emails).toEqual([{ address: 'Ada@Example.com', verified: true }]);
  });

  it('an enrollment link expires after passwordEnrollTokenExpirationInDays', async () => {
    const accounts = await start({ passwordEnrollTokenExpirationInDays: 2 });
    const id = await accounts.createUser({ username: 'grace', email: 'grace@example.com' });
    await accounts.sendEnrollmentEmail(id, 'GRACE@example.com');
    const [link] = await t.mailLinks('grace@example.com');
    t.advance(2 * 86_400_000 + 1);
    const reset = await t.request('POST', t.appPath('/auth/providers/local-userpass/reset'), {
      body: { ...tokenFromLink(link!), password: PASSWORD },
    });
    expect(reset.json).toMatchObject({ error_code: 'UserpassTokenInvalid' });
    await expect(accounts.sendEnrollmentEmail(id, 'other@example.com')).rejects.toMatchObject({
      message: 'No such email for user.',
    });
  });

  it('setPassword applies the policy, ends every session (or none with logout: false) and voids reset links', async () => {
    const accounts = await start();
    const id = await accounts.createUser({ username: 'ann', email: 'ann@example.com', password: PASSWORD });
    // The app requires confirmation: the operator vouches for the address so Ann can log in.
    await accounts.addEmail(id, 'ann@example.com', true);
    const first = (await login('ann')).json;
    expect(first.refresh_token).toEqual(expect.any(String));
    await accounts.sendResetPasswordEmail(id);
    const [link] = await t.mailLinks('ann@example.com');

    await expect(accounts.setPassword(id, 'short')).rejects.toMatchObject({ code: 'PasswordPolicy' });
    await accounts.setPassword(id, 'a brand new passphrase');
    expect((await t.request('POST', `${API}/auth/session`, { token: first.refresh_token })).status).toBe(401);
    expect((await login('ann')).status).toBe(401);
    const second = (await login('ann', 'a brand new passphrase')).json;
    const reset = await t.request('POST', t.appPath('/auth/providers/local-userpass/reset'), {
      body: { ...tokenFromLink(link!), password: 'the reset passphrase' },
    });
    expect(reset.json).toMatchObject({ error_code: 'UserpassTokenInvalid' });

    await accounts.setPassword(id, 'yet another passphrase', { logout: false });
    expect((await t.request('POST', `${API}/auth/session`, { token: second.refresh_token })).status).toBe(201);
    await expect(accounts.setPassword('0123456789abcdef01234567', PASSWORD)).rejects.toMatchObject({
      code: 'UserNotFound',
      message: 'User not found',
    });
  });

  it('addEmail appends, or replaces an address differing only in case; another user’s address is refused', async () => {
    const accounts = await start();
    const id = await accounts.createUser({ email: 'one@example.com', password: PASSWORD });
    await accounts.createUser({ email: 'taken@example.com', password: PASSWORD });
    await accounts.addEmail(id, 'two@example.com');
    await accounts.addEmail(id, 'ONE@example.com', true);
    expect((await user(id)).emails).toEqual([
      { address: 'ONE@example.com', verified: true },
      { address: 'two@example.com', verified: false },
    ]);
    await expect(accounts.addEmail(id, 'Taken@Example.com')).rejects.toMatchObject({
      code: 'AccountNameInUse',
      message: 'Email already exists.',
    });
    await expect(accounts.addEmail(id, 'not an email')).rejects.toMatchObject({ code: 'BadRequest' });
    expect((await user(id)).emails).toHaveLength(2);
  });

  it('replaceEmail keeps the position and voids links sent to the old address; removeEmail removes', async () => {
    const accounts = await start();
    const id = await accounts.createUser({ username: 'bo', email: 'old@example.com', password: PASSWORD });
    await accounts.addEmail(id, 'second@example.com');
    await accounts.sendVerificationEmail(id);
    const [link] = await t.mailLinks('old@example.com');
    await accounts.replaceEmail(id, 'OLD@example.com', 'new@example.com');
    expect((await user(id)).emails).toEqual([
      { address: 'new@example.com', verified: false },
      { address: 'second@example.com', verified: false },
    ]);
    const confirm = await t.request('POST', t.appPath('/auth/providers/local-userpass/confirm'), {
      body: tokenFromLink(link!),
    });
    expect(confirm.json).toMatchObject({ error_code: 'UserpassTokenInvalid' });
    await expect(accounts.replaceEmail(id, 'gone@example.com', 'x@example.com')).rejects.toMatchObject({
      code: 'NotFound',
      message: 'No user could be found with old email',
    });

    await accounts.removeEmail(id, 'second@example.com');
    expect((await user(id)).emails).toEqual([{ address: 'new@example.com', verified: false }]);
    await expect(accounts.removeEmail(id, 'second@example.com')).rejects.toMatchObject({
      message: 'No such email for user.',
    });
    // With every address verified, a verification mail has nobody to go to.
    await accounts.replaceEmail(id, 'new@example.com', 'new@example.com', true);
    await expect(accounts.sendVerificationEmail(id)).rejects.toMatchObject({
      message: 'That user has no unverified email addresses.',
    });
  });

  it('setUsername is unique in any letter case; the new name logs in', async () => {
    const accounts = await start();
    const id = await accounts.createUser({ username: 'first', password: PASSWORD });
    await accounts.createUser({ username: 'Taken', password: PASSWORD });
    await accounts.setUsername(id, 'renamed');
    expect((await login('renamed')).status).toBe(200);
    expect((await login('first')).status).toBe(401);
    await expect(accounts.setUsername(id, 'taken')).rejects.toMatchObject({ message: 'Username already exists.' });
    await expect(accounts.setUsername(id, 'has space')).rejects.toMatchObject({ code: 'BadRequest' });
    expect((await user(id)).username).toBe('renamed');
  });

  it('live DDP connections of the user see the change: at once from this process, on the sync from others', async () => {
    const accounts = await start();
    const id = await accounts.createUser({ username: 'dee', email: 'dee@example.com', password: PASSWORD });
    await t.gatehouse.storage.setEmailVerified(t.appId, id, 'dee@example.com', true);
    server = await serveNode(t.gatehouse, { port: 0 });
    const ddp = await RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`);
    const loggedIn = await ddp.call('login', { user: { username: 'dee' }, password: digestOf(PASSWORD) });
    expect(loggedIn.error).toBeUndefined();
    expect(loggedIn.result.id).toBe(id);
    await ddp.next((m) => m.msg === 'added' && m.collection === 'users');

    await accounts.setUsername(id, 'dee2');
    expect(await ddp.next((m) => m.msg === 'changed')).toEqual({
      msg: 'changed',
      collection: 'users',
      id,
      fields: { username: 'dee2' },
    });
    await accounts.addEmail(id, 'dee2@example.com');
    expect((await ddp.next((m) => m.msg === 'changed')).fields).toEqual({
      emails: [
        { address: 'dee@example.com', verified: true },
        { address: 'dee2@example.com', verified: false },
      ],
    });

    // Another process (an instance, the CLI) writes to the database: the connection catches up on its sync.
    await t.gatehouse.storage.setUsername(t.appId, id, null, t.now());
    await t.gatehouse.storage.setUserProfile(t.appId, id, { city: 'Oslo' }, t.now());
    await t.gatehouse.ddp.sync();
    expect(await ddp.next((m) => m.msg === 'changed')).toEqual({
      msg: 'changed',
      collection: 'users',
      id,
      fields: { profile: { city: 'Oslo' } },
      cleared: ['username'],
    });

    // Nothing changed: nothing is sent.
    await t.gatehouse.ddp.sync();
    ddp.send({ msg: 'ping', id: 'after' });
    await ddp.next((m) => m.msg === 'pong');
    expect(ddp.messages.filter((m) => m.msg === 'changed')).toEqual([]);

    // setPassword ends the session behind the connection: it is logged out.
    await accounts.setPassword(id, 'a brand new passphrase');
    expect((await ddp.closed).code).toBe(1000);
  });
});

describe('the user document and the public login methods over HTTP', () => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  it('GET /auth/user answers Meteor’s document of the caller; GET /auth/providers lists public fields only', async () => {
    t = await startTestGatehouse('sqlite', {
      app: {
        providers: {
          'anon-user': {},
          'local-userpass': { confirmation: 'auto' },
          'oauth2-google': {
            clientId: ['web.apps.googleusercontent.com', 'ios.apps.googleusercontent.com'],
            clientSecret: 'google-secret-value',
          },
        },
      },
    });
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { username: 'ann', email: 'ann@example.com', password: PASSWORD, profile: { name: 'Ann' } },
    });
    const session = (
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: 'ann', password: PASSWORD },
      })
    ).json;
    const me = await t.request('GET', `${API}/auth/user`, { token: session.access_token });
    expect(me.json).toEqual({
      _id: session.user_id,
      username: 'ann',
      emails: [{ address: 'ann@example.com', verified: false }],
      profile: { name: 'Ann' },
      createdAt: t.now(),
    });
    expect((await t.request('GET', `${API}/auth/user`)).status).toBe(401);
    expect((await t.request('GET', `${API}/auth/user`, { token: session.refresh_token })).status).toBe(401);

    const providers = await t.request('GET', t.appPath('/auth/providers'));
    expect(providers.json).toEqual({
      providers: [
        { type: 'anon-user' },
        {
          type: 'local-userpass',
          password: { minLength: 8, maxLength: 256, rejectCommon: true },
          confirmation: 'auto',
          reset: 'email',
          signUp: true,
        },
        { type: 'oauth2-google', service: 'google', clientId: 'web.apps.googleusercontent.com' },
      ],
    });
    expect(providers.text).not.toContain('secret');
    expect((await t.request('GET', '/api/client/v2.0/app/nope/auth/providers')).json).toMatchObject({
      error_code: 'AppNotFound',
    });
  });

  it('GET /auth/providers shows the password policy and modes a login form needs, as configured', async () => {
    t = await startTestGatehouse('sqlite', {
      app: {
        accounts: { forbidClientAccountCreation: true },
        providers: {
          'local-userpass': {
            confirmation: 'function',
            confirmationFunction: 'confirm',
            reset: 'function',
            resetFunction: 'reset',
            minPasswordLength: 15,
            maxPasswordLength: 64,
            rejectCommonPasswords: false,
          },
        },
      },
      config: { functions: { confirm: () => ({ status: 'success' }), reset: () => ({ status: 'fail' }) } } as never,
    });
    expect((await t.request('GET', t.appPath('/auth/providers'))).json).toEqual({
      providers: [
        {
          type: 'local-userpass',
          password: { minLength: 15, maxLength: 64, rejectCommon: false },
          confirmation: 'function',
          reset: 'function',
          signUp: false,
        },
      ],
    });
  });

  it('PATCH /auth/user edits my own profile with a Meteor modifier, under Meteor’s rules', async () => {
    t = await startTestGatehouse('sqlite', {
      app: { providers: { 'local-userpass': { confirmation: 'auto' } } },
      config: { corsOrigins: ['https://app.example'] } as never,
    });
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { username: 'ann', password: PASSWORD, profile: { name: 'Ann', visits: 1 } },
    });
    const session = (
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: 'ann', password: PASSWORD },
      })
    ).json;
    const patch = (body: unknown, token = session.access_token) =>
      t.request('PATCH', `${API}/auth/user`, { token, body });

    const edited = await patch({
      $set: { 'profile.city': 'Oslo' },
      $inc: { 'profile.visits': 2 },
      $unset: { 'profile.name': '' },
    });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ _id: session.user_id, username: 'ann', profile: { city: 'Oslo', visits: 3 } });
    expect((await t.request('GET', `${API}/auth/user`, { token: session.access_token })).json.profile).toEqual({
      city: 'Oslo',
      visits: 3,
    });

    // Anything but my profile, by operators, within 16 KiB, is refused and changes nothing.
    for (const [body, status, error] of [
      [{ $set: { username: 'root' } }, 403, 'Access denied'],
      [{ $set: { 'emails.0.verified': true } }, 403, 'Access denied'],
      [{ profile: { city: 'Rome' } }, 403, 'Access denied. In a restricted collection you can only update documents'],
      [{ $rename: { 'profile.city': 'profile.town' } }, 403, 'Access denied. Operator $rename not allowed'],
      [{ $push: { 'profile.tags': 'x' } }, 403, 'Access denied. Operator $push is not supported by Gatehouse'],
      [{ $set: { 'profile.__proto__.polluted': 1 } }, 403, 'Access denied'],
      [{ $set: { 'profile.blob': 'x'.repeat(20_000) } }, 400, 'profile is larger than 16 KiB'],
      [{ $inc: { 'profile.city': 1 } }, 400, 'Cannot apply $inc to a non-numeric value'],
      [{ $set: 'profile.city' }, 400, 'Match failed'],
    ] as const) {
      const refused = await patch(body);
      expect([refused.status, refused.json.error.slice(0, error.length)], JSON.stringify(body)).toEqual([
        status,
        error,
      ]);
    }
    expect(
      (
        await t.request('PATCH', `${API}/auth/user`, {
          token: session.access_token,
          raw: '{ nope',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
    expect((await patch({ $set: { 'profile.x': 1 } }, 'not-a-token')).status).toBe(401);
    expect((await t.request('GET', `${API}/auth/user`, { token: session.access_token })).json.profile).toEqual({
      city: 'Oslo',
      visits: 3,
    });
    const preflight = await t.request('OPTIONS', `${API}/auth/user`, {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PATCH' },
    });
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
  });

  it('PATCH /auth/user is refused when the app forbids profile edits (allowProfileUpdates: false)', async () => {
    t = await startTestGatehouse('sqlite', {
      app: { accounts: { allowProfileUpdates: false }, providers: { 'local-userpass': { confirmation: 'auto' } } },
    });
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { username: 'bo', password: PASSWORD },
    });
    const { access_token } = (
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: 'bo', password: PASSWORD },
      })
    ).json;
    const refused = await t.request('PATCH', `${API}/auth/user`, {
      token: access_token,
      body: { $set: { 'profile.name': 'Bo' } },
    });
    expect(refused.json).toEqual({ error: 'Access denied', error_code: 'Forbidden' });
  });
});
