// @vitest-environment jsdom
import { App, Credentials, memoryStorage, type User } from '@gatehouse-auth/client';
import {
  AppProvider,
  useAllUsers,
  useApp,
  useAuth,
  useEmailPasswordAuth,
  useLoggingIn,
  useUser,
  useUserId,
} from '@gatehouse-auth/react';
import { act, createElement, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../client/harness.js';
import { type ServedGatehouse, serveGatehouse } from '../compat/serve.js';

/**
 * A React component using @gatehouse-auth/react's hooks, rendered with react-dom in jsdom against a real
 * Gatehouse (`gatehouse serve` in its own process: jsdom's globals are no place for the server): it shows the
 * right user through login, switch and logout.
 */

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const PASSWORD = 'correct horse battery staple';

type Hooks = {
  auth: ReturnType<typeof useAuth>;
  emailPassword: ReturnType<typeof useEmailPasswordAuth>;
  app: App;
};

describe('@gatehouse-auth/react hooks in a rendered component (jsdom, real server)', () => {
  let server: ServedGatehouse;
  let APP: string;
  let container: HTMLElement;
  let root: Root;
  const renders: string[] = [];
  let hooks: Hooks | undefined;

  beforeAll(async () => {
    server = await serveGatehouse(
      'sqlite',
      { providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' } } },
      { passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
    );
    APP = server.appId;
  });
  afterAll(async () => {
    act(() => root?.unmount());
    await server?.stop();
  });

  function Status(): ReactNode {
    const user = useUser();
    const userId = useUserId();
    const loggingIn = useLoggingIn();
    const users = useAllUsers();
    const auth = useAuth();
    const emailPassword = useEmailPasswordAuth();
    hooks = { auth, emailPassword, app: useApp() };
    const text = user
      ? `user=${user.profile.email ?? 'anonymous'} id=${userId === user.id ? 'ok' : 'MISMATCH'}`
      : 'user=none';
    renders.push(text);
    return createElement(
      'p',
      { id: 'status' },
      `${text} users=${users.length} loggingIn=${loggingIn} op=${auth.result.operation}:${auth.result.state}`,
    );
  }

  const status = () => container.querySelector('#status')?.textContent ?? '';
  const current = () => hooks as Hooks;

  it('renders the current user through login, switch and logout', async () => {
    const app = new App({ id: APP, baseUrl: server.url, storage: memoryStorage() });
    container = document.createElement('div');
    document.body.append(container);
    root = createRoot(container);
    await act(async () => root.render(createElement(AppProvider, { app }, createElement(Status))));
    expect(status()).toBe('user=none users=0 loggingIn=false op=none:not-started');
    expect(current().app).toBe(app);

    // Register and log in through the hooks.
    const email = uniqueEmail('react');
    await act(() => current().emailPassword.register({ email, password: PASSWORD }));
    // One result for every operation under the provider (as in @realm/react).
    expect(status()).toBe('user=none users=0 loggingIn=false op=register:success');
    expect(current().emailPassword.result).toBe(current().auth.result);

    let login: Promise<void> | undefined;
    act(() => {
      login = current().auth.logInWithEmailPassword({ email, password: PASSWORD });
    });
    expect(status()).toContain('loggingIn=true');
    expect(status()).toContain('op=logInWithEmailPassword:pending');
    await act(() => login as Promise<void>);
    expect(status()).toBe(`user=${email} id=ok users=1 loggingIn=false op=logInWithEmailPassword:success`);
    const named = app.currentUser as User;

    await act(() => current().auth.logInWithAnonymous());
    expect(status()).toBe('user=anonymous id=ok users=2 loggingIn=false op=logInWithAnonymous:success');
    const anonymous = app.currentUser as User;

    // switchUser outside React: the component follows the store.
    await act(async () => app.switchUser(named));
    expect(status()).toBe(`user=${email} id=ok users=2 loggingIn=false op=logInWithAnonymous:success`);

    // A refused login shows its error and keeps the user.
    await act(() => current().auth.logInWithEmailPassword({ email, password: 'not the password' }));
    expect(status()).toBe(`user=${email} id=ok users=2 loggingIn=false op=logInWithEmailPassword:error`);
    expect(current().auth.result.error).toMatchObject({ code: 'InvalidPassword' });

    await act(() => current().auth.logOut());
    expect(status()).toBe('user=anonymous id=ok users=2 loggingIn=false op=logOut:success');
    expect(app.currentUser).toBe(anonymous);

    await act(() => anonymous.logOut());
    expect(status()).toBe('user=none users=2 loggingIn=false op=logOut:success');
    expect(renders).toContain(`user=${email} id=ok`);
    expect(renders.every((r) => !r.includes('MISMATCH'))).toBe(true);
  });

  it('AppProvider can make the App from a configuration; hooks outside a provider throw', async () => {
    let seen: App | undefined;
    function Probe(): ReactNode {
      seen = useApp();
      return null;
    }
    const element = document.createElement('div');
    const probeRoot = createRoot(element);
    await act(async () =>
      probeRoot.render(
        createElement(AppProvider, { id: APP, baseUrl: server.url, storage: memoryStorage() }, createElement(Probe)),
      ),
    );
    expect(seen).toBeInstanceOf(App);
    expect(seen?.id).toBe(APP);
    const first = seen;
    await act(async () =>
      probeRoot.render(
        createElement(AppProvider, { id: APP, baseUrl: server.url, storage: memoryStorage() }, createElement(Probe)),
      ),
    );
    expect(seen).toBe(first);
    act(() => probeRoot.unmount());

    const orphan = createRoot(document.createElement('div'), { onUncaughtError: () => {} });
    await expect(act(async () => orphan.render(createElement(Probe)))).rejects.toThrow('inside an <AppProvider>');
    act(() => orphan.unmount());
    expect(Credentials.anonymous().providerType).toBe('anon-user');
  });
});
