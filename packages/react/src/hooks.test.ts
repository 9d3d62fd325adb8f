// @vitest-environment jsdom
import { App, memoryStorage } from '@gatehouse-auth/client';
import { act, createElement, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { AppProvider, useAuthSnapshot } from './app-provider.js';
import { useUser, useUserId } from './hooks.js';
import { type UseAuth, useAuth } from './use-auth.js';
import { type UsePasskeys, usePasskeys } from './use-passkeys.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The hooks without a server (a `fetch` that answers 503): their state handling alone. */
describe('@gatehouse-auth/react hooks', () => {
  it('useAuth keeps pending, then the error of a refused or misused call, shared by every component', async () => {
    const fetch = async () =>
      new Response(JSON.stringify({ error: 'maintenance', error_code: 'ServiceBusy' }), {
        status: 503,
        headers: { 'content-type': 'application/json' },
      });
    const app = new App({ id: 'hooks', baseUrl: 'https://gatehouse.test', fetch, storage: memoryStorage() });
    let auth: UseAuth | undefined;
    const seen: string[] = [];
    function Probe(): ReactNode {
      auth = useAuth();
      const snapshot = useAuthSnapshot();
      seen.push(`${useUserId()}/${useUser()?.id ?? null}/${snapshot.loggingIn}/${auth.result.state}`);
      return null;
    }
    const root = createRoot(document.createElement('div'));
    await act(async () => root.render(createElement(AppProvider, { app }, createElement(Probe))));
    expect(auth?.result).toEqual({
      state: 'not-started',
      operation: 'none',
      pending: false,
      success: false,
      error: undefined,
    });

    await act(() => (auth as UseAuth).logInWithAnonymous());
    expect(auth?.result).toMatchObject({ state: 'error', operation: 'logInWithAnonymous', pending: false });
    expect(auth?.result.error).toMatchObject({ code: 'ServiceBusy', status: 503 });
    expect(seen).toContain('null/null/true/pending');

    await act(() => (auth as UseAuth).logInWithEmailPassword({ email: '', password: 'x' }));
    expect(auth?.result.error).toBeInstanceOf(TypeError);

    // An external service login: jsdom opens no popup, so the login fails with the browser's refusal.
    (window as { open: unknown }).open = () => null;
    await act(() => (auth as UseAuth).logInWithService('github'));
    expect(auth?.result).toMatchObject({ state: 'error', operation: 'logInWithService' });
    expect(auth?.result.error?.message).toBe('The login popup was blocked by the browser');
    act(() => root.unmount());
  });

  it('usePasskeys keeps the state of passkey operations; they need a signed-in user, listing rejects without', async () => {
    const fetch = async () =>
      new Response(JSON.stringify({ error: 'passkeys are off', error_code: 'AuthProviderNotFound' }), {
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
    const app = new App({ id: 'hooks', baseUrl: 'https://gatehouse.test', fetch, storage: memoryStorage() });
    let passkeys: UsePasskeys | undefined;
    function Probe(): ReactNode {
      passkeys = usePasskeys();
      return null;
    }
    const root = createRoot(document.createElement('div'));
    await act(async () => root.render(createElement(AppProvider, { app }, createElement(Probe))));
    await act(() => (passkeys as UsePasskeys).logInWithPasskey());
    expect(passkeys?.result).toMatchObject({ state: 'error', operation: 'logInWithPasskey' });
    expect(passkeys?.result.error).toMatchObject({ code: 'AuthProviderNotFound', status: 404 });
    await act(() => (passkeys as UsePasskeys).registerPasskey({ name: 'Laptop' }));
    expect(passkeys?.result).toMatchObject({ state: 'error', operation: 'registerPasskey' });
    expect(passkeys?.result.error?.message).toBe('nobody is signed in');
    await expect((passkeys as UsePasskeys).listPasskeys()).rejects.toThrow('nobody is signed in');
    act(() => root.unmount());
  });
});
