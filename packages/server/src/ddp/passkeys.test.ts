import { openTestStorage } from '@gatehouse-auth/storage/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatehouse, type Gatehouse } from '../gatehouse.js';
import { type NodeServer, serveNode } from '../node/serve.js';
import { testSigningKey } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';
import { softAuthenticator } from '../testing/soft-authenticator.js';

const APP = 'ddp-passkeys';
const ORIGIN = 'https://app.example.test';
const PASSWORD = 'correct horse battery';

/**
 * DDP `login({ passkey: { response } })`, Gatehouse's extension for Meteor apps: the options come from the HTTP
 * route, the answer logs in over DDP through the same core (a Meteor login token, the hooks, the limits).
 */
describe.each(['sqlite', 'postgres'] as const)('DDP passkey login (%s)', (dialect) => {
  let server: NodeServer | undefined;
  let gatehouse: Gatehouse | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await server?.close({ graceMs: 0 });
    await gatehouse?.close();
    await cleanup?.();
  });

  const start = async () => {
    const opened = await openTestStorage(dialect);
    cleanup = opened.cleanup;
    gatehouse = await createGatehouse(
      {
        publicUrl: 'http://127.0.0.1:0',
        database: { url: 'sqlite::memory:' },
        keys: [await testSigningKey()],
        passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
        logLevel: 'silent',
        apps: {
          [APP]: {
            providers: {
              'local-userpass': { confirmation: 'auto' },
              passkey: { rpId: 'app.example.test', origins: [ORIGIN] },
            },
          },
        },
      },
      { storage: opened.storage },
    );
    server = await serveNode(gatehouse, { port: 0 });
    const http = async (method: string, path: string, body?: unknown, token?: string) => {
      const response = await (gatehouse as Gatehouse).fetch(
        new Request(`http://127.0.0.1/api/client/v2.0${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
      return response.json() as Promise<any>;
    };
    const provider = (p: string) => `/app/${APP}/auth/providers${p}`;
    await http('POST', provider('/local-userpass/register'), { email: 'ann@example.com', password: PASSWORD });
    const ann = await http('POST', provider('/local-userpass/login'), {
      username: 'ann@example.com',
      password: PASSWORD,
    });
    const ddp = await RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`);
    return { http, provider, ann, ddp };
  };

  it('logs in with a passkey, and refuses a response for another origin or a used challenge', async () => {
    const { http, provider, ann, ddp } = await start();
    const authenticator = softAuthenticator(ORIGIN);
    const { response: created, credential } = await authenticator.register(
      (await http('POST', '/auth/passkeys/options', undefined, ann.access_token)).options,
    );
    expect((await http('POST', '/auth/passkeys', { response: created }, ann.access_token)).name).toBe('Passkey');

    const answer = async (overrides = {}) =>
      authenticator.authenticate(credential, (await http('POST', provider('/passkey/options'))).options, overrides);

    const foreign = await ddp.call('login', { passkey: { response: await answer({ origin: 'https://evil.test' }) } });
    expect(foreign.error).toMatchObject({ error: 403, reason: expect.stringMatching(/origin/) });

    const response = await answer();
    const login = await ddp.call('login', { passkey: { response } });
    expect(login.error).toBeUndefined();
    expect(login.result).toMatchObject({ id: ann.user_id, type: 'passkey', token: expect.any(String) });
    const replay = await ddp.call('login', { passkey: { response } });
    expect(replay.error).toMatchObject({ error: 403, reason: expect.stringMatching(/challenge/) });

    const malformed = await ddp.call('login', { passkey: { response: { id: 'x' } } });
    expect(malformed.error).toMatchObject({ error: 400 });
    ddp.close();
  });

  it('registers, lists, renames and removes passkeys of the connection’s user, and signs in with DDP alone', async () => {
    const { ddp } = await start();
    expect((await ddp.call('passkeys.registrationOptions')).error).toMatchObject({ error: 403 });
    const login = await ddp.call('login', { user: { email: 'ann@example.com' }, password: PASSWORD });
    expect(login.error).toBeUndefined();
    const authenticator = softAuthenticator(ORIGIN);
    const options = (await ddp.call('passkeys.registrationOptions')).result;
    const { response, credential } = await authenticator.register(options);
    const added = await ddp.call('passkeys.register', { response, name: 'Laptop' });
    expect(added.result).toMatchObject({ name: 'Laptop', credentialId: credential.id });
    expect((await ddp.call('passkeys.rename', added.result.id, 'Phone')).error).toBeUndefined();
    expect((await ddp.call('passkeys.list')).result.map((p: { name: string }) => p.name)).toEqual(['Phone']);
    expect((await ddp.call('passkeys.rename', 42)).error).toMatchObject({ error: 400 });

    await ddp.call('logout');
    const signIn = await ddp.call('login', {
      passkey: {
        response: await authenticator.authenticate(credential, (await ddp.call('passkeys.loginOptions')).result),
      },
    });
    expect(signIn.result).toMatchObject({ id: login.result.id, type: 'passkey' });
    expect((await ddp.call('passkeys.remove', added.result.id)).error).toBeUndefined();
    expect((await ddp.call('passkeys.remove', added.result.id)).error).toMatchObject({ error: 404 });
    expect((await ddp.call('passkeys.list')).result).toEqual([]);
    ddp.close();
  });
});
