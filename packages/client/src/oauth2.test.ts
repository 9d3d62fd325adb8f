import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './app.js';
import { Credentials } from './credentials.js';
import { handleAuthRedirect } from './oauth2.js';
import { memoryStorage } from './storage.js';
import { fakeServer, jwt } from './test-server.js';

/** The OAuth 2.0 redirect flow with a stand-in browser: window.open, localStorage, a popup. */
function fakeBrowser() {
  const values = new Map<string, string>();
  const localStorage = {
    getItem: (k: string) => values.get(k) ?? null,
    setItem: (k: string, v: string) => void values.set(k, v),
    removeItem: (k: string) => void values.delete(k),
  };
  const popup = { closed: false, close: vi.fn(() => void (popup.closed = true)), url: '' };
  vi.stubGlobal('localStorage', localStorage);
  vi.stubGlobal(
    'open',
    vi.fn((url: string) => {
      popup.url = url;
      return popup;
    }),
  );
  return { values, localStorage, popup };
}

const access = jwt({ sub: 'aaaaaaaaaaaaaaaaaaaaaaaa', iat: 1, exp: 9_999_999_999 });
const refresh = jwt({ sub: 'aaaaaaaaaaaaaaaaaaaaaaaa', typ: 'refresh', iat: 1, exp: 9_999_999_999 });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('OAuth 2.0 redirect login', () => {
  it('opens the login URL (state, redirect, device in realm-web’s order) and finishes when the redirect page reports', async () => {
    const { localStorage, popup } = fakeBrowser();
    const server = fakeServer();
    const app = new App({
      id: 'oauth-app',
      baseUrl: 'https://gatehouse.test',
      fetch: server.fetch,
      storage: memoryStorage(),
    });
    const login = app.logIn(Credentials.google({ redirectUrl: 'https://app.test/cb?x=1' }));
    await vi.waitFor(() => expect(popup.url).not.toBe(''));
    const url = new URL(popup.url);
    expect(url.origin + url.pathname).toBe(
      'https://gatehouse.test/api/client/v2.0/app/oauth-app/auth/providers/oauth2-google/login',
    );
    expect([...url.searchParams.keys()]).toEqual(['state', 'redirect', 'device']);
    const state = url.searchParams.get('state') as string;
    expect(state).toMatch(/^[a-z]{12}$/);
    expect(url.searchParams.get('redirect')).toBe('https://app.test/cb?x=1');
    expect(JSON.parse(atob(url.searchParams.get('device') as string))).toMatchObject({ platform: 'node' });

    // The redirect page (another window of the same origin) hands over the result.
    handleAuthRedirect(
      {
        hash: `#_baas_client_app_id=oauth-app&_baas_state=${state}&_baas_ua=${encodeURIComponent(`${access}$${refresh}$aaaaaaaaaaaaaaaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbbbbbb`)}`,
      },
      localStorage,
    );
    const user = await login;
    expect(user.id).toBe('aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(user.accessToken).toBe(access);
    expect(user.refreshToken).toBe(refresh);
    expect(popup.close).toHaveBeenCalled();
    expect(localStorage.getItem(`realm-web:oauth2:state(${state}):result`)).toBeNull();
  });

  it('Credentials.hostedPage opens the hosted sign-in page and takes the session it hands back', async () => {
    const { localStorage, popup } = fakeBrowser();
    const app = new App({
      id: 'oauth-app',
      baseUrl: 'https://gatehouse.test/',
      fetch: fakeServer().fetch,
      storage: memoryStorage(),
    });
    const credentials = Credentials.hostedPage('https://app.test/cb');
    expect([credentials.providerName, credentials.providerType]).toEqual(['hosted-page', 'local-userpass']);
    expect(() => Credentials.hostedPage('')).toThrow(TypeError);
    const login = app.logIn(credentials);
    await vi.waitFor(() => expect(popup.url).not.toBe(''));
    const url = new URL(popup.url);
    expect(url.origin + url.pathname).toBe('https://gatehouse.test/app/oauth-app/login');
    expect([...url.searchParams.keys()]).toEqual(['redirect', 'state']);
    expect(url.searchParams.get('redirect')).toBe('https://app.test/cb');
    const state = url.searchParams.get('state') as string;
    handleAuthRedirect(
      {
        hash: `#_baas_client_app_id=oauth-app&_baas_state=${state}&_baas_ua=${encodeURIComponent(`${access}$${refresh}$aaaaaaaaaaaaaaaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbbbbbb`)}`,
      },
      localStorage,
    );
    const user = await login;
    expect([user.id, user.providerType, user.refreshToken]).toEqual([
      'aaaaaaaaaaaaaaaaaaaaaaaa',
      'local-userpass',
      refresh,
    ]);
    await expect(user.linkCredentials(Credentials.hostedPage('https://app.test/cb'))).rejects.toThrow(
      'the hosted sign-in page cannot link credentials',
    );
  });

  it('rejects with the server’s error, or when the popup is closed', async () => {
    const { localStorage, popup } = fakeBrowser();
    const app = new App({
      id: 'oauth-app',
      baseUrl: 'https://gatehouse.test',
      fetch: fakeServer().fetch,
      storage: memoryStorage(),
    });
    const login = app.logIn(Credentials.apple('https://app.test/cb'));
    await vi.waitFor(() => expect(popup.url).not.toBe(''));
    const state = new URL(popup.url).searchParams.get('state');
    handleAuthRedirect(
      { hash: `#_baas_state=${state}&_baas_error=${encodeURIComponent('access denied')}` },
      localStorage,
    );
    await expect(login).rejects.toMatchObject({ code: 'AuthError', message: 'access denied' });

    popup.url = '';
    popup.closed = false;
    const again = app.logIn(Credentials.facebook('https://app.test/cb'));
    await vi.waitFor(() => expect(popup.url).not.toBe(''));
    popup.closed = true;
    await expect(again).rejects.toMatchObject({ message: 'Window closed' });
  });

  it('links through the X-BAAS-Location header with the user’s access token', async () => {
    const { localStorage, popup } = fakeBrowser();
    const server = fakeServer();
    const app = new App({
      id: 'oauth-app',
      baseUrl: 'https://gatehouse.test',
      fetch: server.fetch,
      storage: memoryStorage(),
    });
    const user = await app.logIn(Credentials.anonymous());
    server.answer(
      'GET /api/client/v2.0/app/oauth-app/auth/providers/oauth2-google/login',
      () => new Response(null, { status: 200, headers: { 'x-baas-location': 'https://idp.test/authorize' } }),
    );
    const link = user.linkCredentials(Credentials.google({ redirectUrl: 'https://app.test/cb' }));
    await vi.waitFor(() => expect(popup.url).toBe('https://idp.test/authorize'));
    const request = server.calls.find((c) => c.url.includes('oauth2-google'));
    const query = new URL(request?.url as string).searchParams;
    expect([...query.keys()]).toEqual(['link', 'state', 'redirect', 'providerRedirectHeader']);
    expect(request?.headers.Authorization).toBe(`Bearer ${user.accessToken}`);
    const newAccess = jwt({ sub: user.id, iat: 2, exp: 9_999_999_999, n: 2 });
    handleAuthRedirect(
      {
        hash: `#_baas_state=${query.get('state')}&_baas_link=ok&_baas_ua=${encodeURIComponent(`${newAccess}$$${user.id}$x`)}`,
      },
      localStorage,
    );
    await link;
    expect(user.accessToken).toBe(newAccess);
  });

  it('handleAuthRedirect never throws', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(() => handleAuthRedirect({ hash: '#_baas_error=nope' }, undefined)).not.toThrow();
    expect(() => handleAuthRedirect({ hash: '#_baas_state=s&_baas_ua=%E0%A4%A' }, undefined)).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('a blocked popup rejects instead of waiting forever (realm-web waited)', async () => {
    fakeBrowser();
    vi.stubGlobal('open', () => null);
    const app = new App({
      id: 'oauth-app',
      baseUrl: 'https://gatehouse.test',
      fetch: fakeServer().fetch,
      storage: memoryStorage(),
    });
    await expect(app.logIn(Credentials.google({ redirectUrl: 'https://app.test/cb' }))).rejects.toThrow(
      'popup blocked',
    );
  });

  it('outside a browser the redirect flow is refused', async () => {
    const app = new App({
      id: 'oauth-app',
      baseUrl: 'https://gatehouse.test',
      fetch: fakeServer().fetch,
      storage: memoryStorage(),
    });
    await expect(app.logIn(Credentials.google({ redirectUrl: 'https://app.test/cb' }))).rejects.toThrow(
      'need a browser',
    );
  });
});
