// @vitest-environment jsdom
import { App, memoryStorage } from '@gatehouse-auth/client';
import { act, createElement, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AppProvider } from './app-provider.js';
import { type UsePasswordless, type UseTwoFactor, usePasswordless, useTwoFactor } from './use-passwordless.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The hooks over a `fetch` that answers as the server does for a user with two-factor on; what they send. */
function fakeServer() {
  const seen: { method: string; path: string; body: unknown }[] = [];
  const answer = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const text = await request.text();
    seen.push({ method: request.method, path, body: text ? JSON.parse(text) : undefined });
    if (path.endsWith('/location'))
      return answer(200, { hostname: 'https://gatehouse.test', ws_hostname: 'wss://gatehouse.test' });
    if (path.endsWith('/auth/providers/email-code/send')) return answer(200, {});
    if (path.endsWith('/auth/providers/email-code/login'))
      return answer(401, {
        error: 'a two-factor code is required',
        error_code: 'TwoFactorRequired',
        challenge: 'c1.secret',
      });
    if (path.endsWith('/auth/providers/two-factor/login'))
      return answer(401, { error: 'invalid two-factor code', error_code: 'TwoFactorInvalid' });
    return answer(404, { error: 'no such route', error_code: 'NotFound' });
  };
  return { seen, app: new App({ id: 'hooks', baseUrl: 'https://gatehouse.test', fetch, storage: memoryStorage() }) };
}

describe('usePasswordless and useTwoFactor', () => {
  it('send a code, sign in with it, and expose the two-factor challenge; the second step sends it back', async () => {
    const { seen, app } = fakeServer();
    let hook: UsePasswordless | undefined;
    function Probe(): ReactNode {
      hook = usePasswordless();
      return null;
    }
    const root = createRoot(document.createElement('div'));
    await act(async () => root.render(createElement(AppProvider, { app }, createElement(Probe))));
    expect(hook?.challenge).toBeUndefined();

    await act(() => (hook as UsePasswordless).sendLoginCode({ email: 'ada@example.com', createUser: false }));
    expect(hook?.result.error).toBeUndefined();
    expect(hook?.result).toMatchObject({ state: 'success', operation: 'sendLoginCode' });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      path: '/api/client/v2.0/app/hooks/auth/providers/email-code/send',
      body: { email: 'ada@example.com', createUser: false },
    });

    await act(() => (hook as UsePasswordless).logInWithEmailCode({ email: 'ada@example.com', code: 'C0FFEE' }));
    expect(hook?.result).toMatchObject({ state: 'error', operation: 'logInWithEmailCode' });
    expect(hook?.result.error).toMatchObject({ code: 'TwoFactorRequired', status: 401 });
    expect(hook?.challenge).toBe('c1.secret');
    expect(seen.at(-1)?.body).toMatchObject({ email: 'ada@example.com', code: 'C0FFEE' });

    await act(() => (hook as UsePasswordless).logInWithTwoFactor({ challenge: 'c1.secret', code: '123456' }));
    expect(seen.at(-1)).toMatchObject({
      path: '/api/client/v2.0/app/hooks/auth/providers/two-factor/login',
      body: { challenge: 'c1.secret', code: '123456' },
    });
    expect(hook?.result.error).toMatchObject({ code: 'TwoFactorInvalid' });
    expect(hook?.challenge).toBeUndefined();
    expect(app.currentUser).toBe(null);
    act(() => root.unmount());
  });

  it('useTwoFactor: nobody signed in is `null` in the browser and loading on the server; its operations need a user', async () => {
    const { app } = fakeServer();
    let hook: UseTwoFactor | undefined;
    function Probe(): ReactNode {
      hook = useTwoFactor();
      return createElement('p', null, hook.status === undefined ? 'loading' : String(hook.status));
    }
    // Server rendering runs no effect and reads no storage: the loading state.
    expect(renderToString(createElement(AppProvider, { app }, createElement(Probe)))).toBe('<p>loading</p>');

    const container = document.createElement('div');
    const root = createRoot(container);
    await act(async () => root.render(createElement(AppProvider, { app }, createElement(Probe))));
    expect(container.textContent).toBe('null');
    await act(() => (hook as UseTwoFactor).start('Notes'));
    expect(hook?.result).toMatchObject({ state: 'error', operation: 'generate2faActivationQrCode' });
    expect(hook?.result.error?.message).toBe('nobody is signed in');
    expect(hook?.activation).toBe(null);
    expect(hook?.recoveryCodes).toEqual([]);
    act(() => root.unmount());
  });
});
