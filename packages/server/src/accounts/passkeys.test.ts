import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt, startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../testing/index.js';
import { type SoftCredential, softAuthenticator } from '../testing/soft-authenticator.js';

const API = '/api/client/v2.0';
const ORIGIN = 'http://gatehouse.test';
const PASSWORD = 'correct horse battery';

/**
 * Passkeys over HTTP on both dialects, with a software authenticator that signs for real: register on a
 * signed-in account, sign in through the ordinary login route, list, rename, remove; and every refusal —
 * another challenge, origin or rp id, a replayed or expired challenge, a cloned authenticator's counter, the
 * failed-attempt limits.
 */
describe.each(['sqlite', 'postgres'] as const)('passkeys (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());
  const authenticator = softAuthenticator(ORIGIN);

  const setup = async (passkey: Record<string, unknown> | null = {}) => {
    t = await startTestGatehouse(dialect, {
      app: {
        name: 'Test App',
        providers: {
          'local-userpass': { confirmation: 'auto' },
          ...(passkey ? { passkey } : {}),
        },
      } as never,
    });
  };
  const signUp = async (email: string) => {
    const path = (p: string) => t.appPath(`/auth/providers/local-userpass${p}`);
    await t.request('POST', path('/register'), { body: { email, password: PASSWORD } });
    const login = await t.request('POST', path('/login'), { body: { username: email, password: PASSWORD } });
    return login.json as { access_token: string; refresh_token: string; user_id: string };
  };
  const registrationOptions = (token: string) => t.request('POST', `${API}/auth/passkeys/options`, { token });
  const register = async (token: string, name?: string) => {
    const { options } = (await registrationOptions(token)).json;
    const { response, credential } = await authenticator.register(options);
    const created = await t.request('POST', `${API}/auth/passkeys`, {
      token,
      body: { response, ...(name ? { name } : {}) },
    });
    expect(created.json).toMatchObject({ name: expect.any(String) });
    expect(created.status).toBe(201);
    return { passkey: created.json, credential };
  };
  const signInOptions = async () => {
    const res = await t.request('POST', t.appPath('/auth/providers/passkey/options'));
    expect(res.status).toBe(200);
    return res.json.options as { challenge: string; rpId: string; allowCredentials: unknown[] };
  };
  const logIn = (response: unknown, address?: string) =>
    t.request('POST', t.appPath('/auth/providers/passkey/login'), {
      body: { response, options: { device: {} } },
      ...(address ? { address } : {}),
    });
  const signIn = async (credential: SoftCredential, overrides = {}) =>
    logIn(await authenticator.authenticate(credential, await signInOptions(), overrides));

  it('registers a passkey on a signed-in account, and signs in with it as that user', async () => {
    await setup();
    const ann = await signUp('ann@example.com');
    const { options } = (await registrationOptions(ann.access_token)).json;
    expect(options).toMatchObject({
      rp: { id: 'gatehouse.test', name: 'Test App' },
      user: { name: 'ann@example.com' },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    const { passkey, credential } = await register(ann.access_token, 'Laptop');
    expect(passkey).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'Laptop',
      credentialId: credential.id,
      transports: ['internal'],
      deviceType: 'singleDevice',
      backedUp: false,
      createdAt: t.now(),
      lastUsedAt: null,
    });
    // A second registration excludes the first passkey, so one authenticator is not registered twice.
    const again = (await registrationOptions(ann.access_token)).json.options;
    expect(again.excludeCredentials).toEqual([{ id: credential.id, type: 'public-key', transports: ['internal'] }]);

    const options2 = await signInOptions();
    expect(options2).toMatchObject({ rpId: 'gatehouse.test', allowCredentials: [] });
    const login = await logIn(await authenticator.authenticate(credential, options2));
    expect(login.status).toBe(200);
    expect(login.json.user_id).toBe(ann.user_id);
    expect(decodeJwt(login.json.access_token).sub).toBe(ann.user_id);
    const profile = await t.request('GET', `${API}/auth/profile`, { token: login.json.access_token });
    expect(profile.json.user_id).toBe(ann.user_id);

    const listed = await t.request('GET', `${API}/auth/passkeys`, { token: ann.access_token });
    expect(listed.json.passkeys).toEqual([{ ...passkey, lastUsedAt: t.now() }]);
    expect(JSON.stringify(listed.json)).not.toContain('publicKey');
    const events = await t.gatehouse.storage.listAuditEvents(TEST_APP_ID, { userId: ann.user_id });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['passkey-added', 'login']));
    // Both logins at the same (frozen) instant: their order in the log is not defined.
    const providers = events.filter((e) => e.type === 'login').map((e) => e.detail.provider);
    expect(providers.sort()).toEqual(['local-userpass', 'passkey']);
  });

  it('lists passkey among the app’s login methods only when it is on', async () => {
    await setup(null);
    const off = await t.request('GET', t.appPath('/auth/providers'));
    expect(off.json.providers.map((p: { type: string }) => p.type)).not.toContain('passkey');
    const refused = await t.request('POST', t.appPath('/auth/providers/passkey/options'));
    expect(refused.status).toBe(404);
    expect(refused.json.error_code).toBe('AuthProviderNotFound');
    const ann = await signUp('ann@example.com');
    expect((await registrationOptions(ann.access_token)).json.error_code).toBe('AuthProviderNotFound');
    await t.close();
    await setup();
    const on = await t.request('GET', t.appPath('/auth/providers'));
    expect(on.json.providers.map((p: { type: string }) => p.type)).toContain('passkey');
  });

  it('refuses a response for another challenge, origin or rp id, and a replayed or expired challenge', async () => {
    await setup();
    const ann = await signUp('ann@example.com');
    const { credential } = await register(ann.access_token);
    const expectRejected = async (res: { status: number; json: any }) => {
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error_code: 'PasskeyRejected' });
    };
    await expectRejected(await signIn(credential, { challenge: 'bm90LWEtY2hhbGxlbmdlLXdlLWlzc3VlZA' }));
    await expectRejected(await signIn(credential, { origin: 'http://evil.test' }));
    await expectRejected(await signIn(credential, { rpId: 'evil.test' }));
    await expectRejected(await signIn(credential, { type: 'webauthn.create' }));

    const options = await signInOptions();
    const good = await authenticator.authenticate(credential, options);
    expect((await logIn(good)).status).toBe(200);
    await expectRejected(await logIn(good));

    const later = await signInOptions();
    t.advance(5 * 60_000 + 1);
    await expectRejected(await logIn(await authenticator.authenticate(credential, later)));

    // A registration challenge is no sign-in challenge.
    const reg = (await registrationOptions(ann.access_token)).json.options;
    await expectRejected(await logIn(await authenticator.authenticate(credential, { challenge: reg.challenge })));

    const failures = await t.gatehouse.storage.listAuditEvents(TEST_APP_ID, {});
    const reasons = failures.filter((e) => e.type === 'login-failed').map((e) => e.detail.reason);
    expect(reasons).toEqual(expect.arrayContaining(['challenge', 'origin', 'rp-id', 'type']));
    // Each of the seven refusals is recorded once, by the check that knew why.
    expect(reasons).toHaveLength(7);
  });

  it('refuses a cloned authenticator whose counter went back or stood still', async () => {
    await setup();
    const ann = await signUp('ann@example.com');
    const { credential } = await register(ann.access_token);
    expect((await signIn(credential)).status).toBe(200);
    expect((await signIn(credential)).status).toBe(200);
    const clone: SoftCredential = { ...credential };
    for (const counter of [1, 2]) {
      const refused = await signIn(clone, { counter });
      expect(refused.status).toBe(401);
      expect(refused.json.error_code).toBe('PasskeyRejected');
      expect(refused.json.error).toMatch(/counter/);
    }
    expect((await signIn(credential, { counter: 3 })).status).toBe(200);
  });

  it('refuses a registration for another user’s challenge, origin or rp id, and a malformed or unsigned-in one', async () => {
    await setup();
    const ann = await signUp('ann@example.com');
    const bob = await signUp('bob@example.com');
    const annOptions = (await registrationOptions(ann.access_token)).json.options;
    const forAnn = await authenticator.register(annOptions);
    const stolen = await t.request('POST', `${API}/auth/passkeys`, {
      token: bob.access_token,
      body: { response: forAnn.response },
    });
    expect(stolen.status).toBe(401);
    expect(stolen.json.error_code).toBe('PasskeyRejected');

    const bobOptions = (await registrationOptions(bob.access_token)).json.options;
    const elsewhere = await authenticator.register(bobOptions, { origin: 'https://gatehouse.test.evil.example' });
    const res = await t.request('POST', `${API}/auth/passkeys`, {
      token: bob.access_token,
      body: { response: elsewhere.response },
    });
    expect(res.json.error_code).toBe('PasskeyRejected');
    const rp = await authenticator.register((await registrationOptions(bob.access_token)).json.options, {
      rpId: 'evil.test',
    });
    expect(
      (await t.request('POST', `${API}/auth/passkeys`, { token: bob.access_token, body: { response: rp.response } }))
        .json.error_code,
    ).toBe('PasskeyRejected');
    expect((await t.request('GET', `${API}/auth/passkeys`, { token: bob.access_token })).json.passkeys).toEqual([]);

    const bad = await t.request('POST', `${API}/auth/passkeys`, {
      token: bob.access_token,
      body: { response: { id: 'x' } },
    });
    expect(bad.status).toBe(400);
    const anonymous = await t.request('POST', `${API}/auth/passkeys/options`);
    expect(anonymous.status).toBe(401);
  });

  it('renames and removes only the owner’s passkeys; a removed passkey signs in no more', async () => {
    await setup();
    const ann = await signUp('ann@example.com');
    const bob = await signUp('bob@example.com');
    const { passkey, credential } = await register(ann.access_token);
    const path = `${API}/auth/passkeys/${passkey.id}`;
    const theft = await t.request('DELETE', path, { token: bob.access_token });
    expect(theft.status).toBe(404);
    expect(theft.json.error_code).toBe('PasskeyNotFound');
    expect((await t.request('PATCH', path, { token: bob.access_token, body: { name: 'x' } })).status).toBe(404);
    expect((await t.request('PATCH', path, { token: ann.access_token, body: { name: '  ' } })).status).toBe(400);
    expect((await t.request('PATCH', path, { token: ann.access_token, body: { name: 'Phone' } })).status).toBe(204);
    const listed = await t.request('GET', `${API}/auth/passkeys`, { token: ann.access_token });
    expect(listed.json.passkeys.map((p: { name: string }) => p.name)).toEqual(['Phone']);
    expect((await t.request('DELETE', path, { token: ann.access_token })).status).toBe(204);
    const gone = await signIn(credential);
    expect(gone.status).toBe(401);
    expect(gone.json.error_code).toBe('PasskeyRejected');
  });

  it('goes through the one login path: a disabled user is refused, a deleted user’s passkey is gone', async () => {
    await setup();
    const ann = await signUp('ann@example.com');
    const { credential } = await register(ann.access_token);
    await t.gatehouse.storage.setUserDisabled(TEST_APP_ID, ann.user_id, true, t.now());
    const disabled = await signIn(credential);
    expect(disabled.status).toBe(401);
    expect(disabled.json.error_code).toBe('UserDisabled');
    await t.gatehouse.storage.setUserDisabled(TEST_APP_ID, ann.user_id, false, t.now());
    expect((await signIn(credential)).status).toBe(200);
    expect((await t.request('DELETE', `${API}/auth/delete`, { token: ann.access_token })).status).toBe(204);
    expect((await signIn(credential)).json.error_code).toBe('PasskeyRejected');
    expect(await t.gatehouse.storage.findPasskeyByCredentialId(TEST_APP_ID, credential.id)).toBeNull();
  });

  it('counts failures like passwords: a passkey refused too often is limited (429) for its account', async () => {
    await setup();
    const ann = await signUp('ann@example.com');
    const { credential } = await register(ann.access_token);
    const forged: SoftCredential = {
      ...credential,
      keys: (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair,
    };
    for (let i = 0; i < 10; i++) expect((await signIn(forged)).status).toBe(401);
    const limited = await signIn(credential);
    expect(limited.status).toBe(429);
    expect(limited.json.error_code).toBe('TooManyRequests');
    // From another address the owner still gets in.
    const options = await signInOptions();
    expect((await logIn(await authenticator.authenticate(credential, options), '10.0.0.9')).status).toBe(200);
  });
});
