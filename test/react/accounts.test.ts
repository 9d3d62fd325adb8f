// @vitest-environment jsdom
import { type Accounts, App, createAccounts, memoryStorage } from '@gatehouse-auth/client';
import { AppProvider, useLoggingIn, useMeteorUser, useUser, useUserId } from '@gatehouse-auth/react';
import { act, createElement, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../client/harness.js';
import { type ServedGatehouse, serveGatehouse } from '../compat/serve.js';

/**
 * A component reading the user through @gatehouse-auth/react's hooks while the app logs in and out through
 * `createAccounts(app)` (Meteor's API), rendered with react-dom in jsdom against `gatehouse serve`: one store,
 * so the `User`, its id, `loggingIn` and the Meteor document move together.
 */

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const PASSWORD = 'correct horse battery staple';

describe('@gatehouse-auth/react hooks follow createAccounts (jsdom, real server)', () => {
  let server: ServedGatehouse;
  let root: Root | undefined;

  beforeAll(async () => {
    server = await serveGatehouse(
      'sqlite',
      { providers: { 'local-userpass': { confirmation: 'auto' } } },
      { passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
    );
  });
  afterAll(async () => {
    act(() => root?.unmount());
    await server?.stop();
  });

  it('re-renders through createUser, logout and loginWithPassword made with the facade', async () => {
    const app = new App({ id: server.appId, baseUrl: server.url, storage: memoryStorage() });
    const accounts: Accounts = createAccounts(app);
    const renders: string[] = [];
    function Status(): ReactNode {
      const user = useUser();
      const userId = useUserId();
      const loggingIn = useLoggingIn();
      const doc = useMeteorUser();
      const named = useMeteorUser({ fields: { username: 1, _id: 0 } });
      // Between the login and the document's arrival (loggingIn still true) there is a user without a
      // document — Meteor's window too: `Meteor.userId()` set, `Meteor.user()` not yet.
      const owner = doc === null ? 'pending' : doc._id === user?.id ? 'ok' : 'MISMATCH';
      const text = user
        ? `user=${doc?.username ?? '-'} id=${userId === user.id ? 'ok' : 'MISMATCH'} doc=${owner} ` +
          `email=${doc?.emails[0]?.address} verified=${doc?.emails[0]?.verified} fields=${JSON.stringify(named)}`
        : `user=none doc=${doc === null ? 'null' : 'STALE'}`;
      renders.push(`${text} loggingIn=${loggingIn}`);
      return createElement('p', { id: 'status' }, `${text} loggingIn=${loggingIn}`);
    }
    const container = document.createElement('div');
    document.body.append(container);
    root = createRoot(container);
    await act(async () => (root as Root).render(createElement(AppProvider, { app }, createElement(Status))));
    const status = () => container.querySelector('#status')?.textContent ?? '';
    expect(status()).toBe('user=none doc=null loggingIn=false');

    const email = uniqueEmail('react-accounts');
    const username = (email.split('@')[0] as string).replace(/[^\w-]/g, '_');
    const signedIn = `user=${username} id=ok doc=ok email=${email} verified=false fields={"username":"${username}"} loggingIn=false`;
    await act(() => accounts.createUser({ username, email, password: PASSWORD }));
    expect(status()).toBe(signedIn);

    await act(() => accounts.logout());
    expect(status()).toBe('user=none doc=null loggingIn=false');

    renders.length = 0;
    let login: Promise<void> | undefined;
    act(() => {
      login = accounts.loginWithPassword(email, PASSWORD);
    });
    expect(status()).toBe('user=none doc=null loggingIn=true');
    await act(() => login as Promise<void>);
    expect(status()).toBe(signedIn);
    // Once loggingIn is false with a user, the document is there: no such render shows a user without one.
    expect(renders.filter((r) => r.endsWith('loggingIn=false') && !r.startsWith('user=none'))).toEqual([signedIn]);
    expect(renders).toContain('user=- id=ok doc=pending email=undefined verified=undefined fields=null loggingIn=true');
    expect(renders.every((r) => !r.includes('MISMATCH') && !r.includes('STALE'))).toBe(true);

    await act(() => accounts.logout());
    expect(status()).toBe('user=none doc=null loggingIn=false');
  });
});
