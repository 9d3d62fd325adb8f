import { afterEach, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';

/** Per-app Accounts settings over HTTP; their DDP side is in ddp/ddp.test.ts. */
describe.each(['sqlite', 'postgres'] as const)('accounts settings (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const start = (accounts: Record<string, unknown>) =>
    startTestGatehouse(dialect, {
      app: { accounts, providers: { 'local-userpass': { confirmation: 'auto' } } } as never,
    });
  const register = (body: Record<string, unknown>) =>
    t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { password: 'correct horse battery', ...body },
    });

  it('forbidClientAccountCreation refuses sign-ups', async () => {
    t = await start({ forbidClientAccountCreation: true });
    const res = await register({ email: 'a@example.com' });
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('Signups forbidden');
    expect(await t.countUsers()).toBe(0);
  });

  it('restrictCreationByEmailDomain as a domain', async () => {
    t = await start({ restrictCreationByEmailDomain: 'Example.com' });
    expect((await register({ email: 'ok@EXAMPLE.com' })).status).toBe(201);
    expect((await register({ email: 'no@other.org' })).json.error).toBe('@Example.com email required');
    expect((await register({ username: 'nomail' })).json.error).toBe('@Example.com email required');
  });

  it('restrictCreationByEmailDomain as a function', async () => {
    t = await start({ restrictCreationByEmailDomain: (email: string) => email.startsWith('staff.') });
    expect((await register({ email: 'staff.ann@example.com' })).status).toBe(201);
    expect((await register({ email: 'ann@example.com' })).json.error).toBe("Email doesn't match the criteria.");
  });

  it('defaultFieldSelector cuts the user that login and logout hooks see', async () => {
    for (const [selector, keys] of [
      [{ profile: 0, emails: 0 }, ['_id', 'createdAt', 'username']],
      [{ username: 1 }, ['_id', 'username']],
    ] as const) {
      const seen: string[][] = [];
      const record = ({ user }: { user?: object }) => {
        seen.push(Object.keys(user ?? {}).sort());
        return true;
      };
      t = await startTestGatehouse(dialect, {
        app: {
          accounts: { defaultFieldSelector: selector },
          providers: { 'local-userpass': { confirmation: 'auto' } },
        } as never,
        config: { hooks: { validateLoginAttempt: record, onLogin: record, onLogout: record } } as never,
      });
      await register({ username: 'ann', email: 'ann@example.com', profile: { secret: 'kept away' } });
      const login = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: 'ann', password: 'correct horse battery' },
      });
      await t.request('DELETE', '/api/client/v2.0/auth/session', { token: login.json.refresh_token });
      expect(seen).toEqual([keys, keys, keys]);
      await t.close();
    }
    await expect(start({ defaultFieldSelector: { profile: 0, username: 1 } })).rejects.toThrow(/only 1s/);
    await expect(start({ defaultFieldSelector: { services: 0 } })).rejects.toThrow(/defaultFieldSelector/);
  });

  it('refuses a malformed domain at start-up', async () => {
    await expect(start({ restrictCreationByEmailDomain: '@example.com' })).rejects.toThrow(
      /restrictCreationByEmailDomain/,
    );
  });
});
