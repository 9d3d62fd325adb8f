import { GatehouseError } from '@gatehouse-auth/core';

/**
 * Logins with external services (GitHub, Google, Twitter/X, …) through Gatehouse's Meteor-style flow
 * (`/_oauth/<service>`), from the browser: Gatehouse starts the login (PKCE, nonce, or Twitter's request
 * token), the service signs the person in, and the result comes back as Meteor's credential
 * (`credentialToken` + `credentialSecret`) — by `postMessage` from the popup, or in the URL fragment of the app
 * page a redirect login returns to — which the SDK then redeems over HTTP.
 */

/** Meteor's `loginWith<Service>(options)`. */
export interface ExternalLoginOptions {
  /** Scopes to ask for (`['user:email']`, `['openid', 'email']`). */
  requestPermissions?: string[];
  /** Google: ask for a refresh token (`access_type=offline`); it is kept on the server. */
  requestOfflineToken?: boolean;
  /** Google: always show the consent screen. */
  forceApprovalPrompt?: boolean;
  /** An email (or account id) the service pre-fills. */
  loginHint?: string;
  /** Extra parameters for the service's login page. */
  loginUrlParameters?: Record<string, string>;
  /** `popup` (default) or `redirect`: the whole page goes to the service and comes back. */
  loginStyle?: 'popup' | 'redirect';
  /**
   * The app page to return to (redirect), or whose origin receives the popup's result (popup); it must be on
   * the app's `oauthRedirectUris` (or, for a popup, share an origin with one). Default: the current page.
   */
  redirectUrl?: string;
}

/** A redeemable credential: what Meteor's client passes to `login({ oauth })`. */
export interface ExternalCredential {
  credentialToken: string;
  credentialSecret: string;
}

type BrowserWindow = {
  open?: (url: string, name?: string, features?: string) => { closed: boolean; close(): void } | null;
  location?: { href: string; hash: string; assign(url: string): void };
  history?: { replaceState(data: unknown, unused: string, url?: string): void };
  addEventListener?: (type: 'message', listener: (event: { origin: string; data: unknown }) => void) => void;
  removeEventListener?: (type: 'message', listener: (event: { origin: string; data: unknown }) => void) => void;
};

const browser = () => globalThis as unknown as BrowserWindow;

/** Meteor's `Random.secret()`: 43 characters of `[A-Za-z0-9_-]`. */
function credentialToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Meteor's state: standard base64 of `{ loginStyle, credentialToken, isCordova, redirectUrl }`. */
function stateOf(loginStyle: 'popup' | 'redirect', token: string, redirectUrl: string): string {
  const json = JSON.stringify({ loginStyle, credentialToken: token, isCordova: false, redirectUrl });
  const bytes = new TextEncoder().encode(json);
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

/** The URL that starts a login at Gatehouse (`/app/<id>/_oauth/<service>?requestTokenAndRedirect=true`). */
export function externalLoginUrl(
  baseUrl: string,
  appId: string,
  service: string,
  token: string,
  loginStyle: 'popup' | 'redirect',
  redirectUrl: string,
  options: ExternalLoginOptions,
): string {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(service)) throw new TypeError(`invalid service name: ${service}`);
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/app/${encodeURIComponent(appId)}/_oauth/${service}`);
  const params = url.searchParams;
  params.set('requestTokenAndRedirect', 'true');
  params.set('handBack', 'sdk');
  params.set('state', stateOf(loginStyle, token, redirectUrl));
  if (options.requestPermissions) params.set('requestPermissions', options.requestPermissions.join(' '));
  if (options.requestOfflineToken !== undefined) params.set('requestOfflineToken', String(options.requestOfflineToken));
  if (options.forceApprovalPrompt !== undefined) params.set('forceApprovalPrompt', String(options.forceApprovalPrompt));
  if (options.loginHint !== undefined) params.set('loginHint', options.loginHint);
  if (options.loginUrlParameters) params.set('loginUrlParameters', JSON.stringify(options.loginUrlParameters));
  return url.toString();
}

/** Checks the options and settles the style and the page to return to. */
export function prepareExternalLogin(options: ExternalLoginOptions = {}): {
  token: string;
  loginStyle: 'popup' | 'redirect';
  redirectUrl: string;
} {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const loginStyle = options.loginStyle ?? 'popup';
  if (loginStyle !== 'popup' && loginStyle !== 'redirect') throw new TypeError(`Invalid login style: ${loginStyle}`);
  const redirectUrl = options.redirectUrl ?? browser().location?.href;
  if (!redirectUrl) throw new TypeError('redirectUrl is needed outside a browser page');
  return { token: credentialToken(), loginStyle, redirectUrl };
}

/** How long after the popup closed a late message is still awaited. */
const CLOSE_GRACE_MS = 500;

/**
 * Opens the login popup and waits for its result: the credential posted by Gatehouse's last page (only a
 * message from Gatehouse's origin, for this login's token, counts). Closing the popup first cancels the login.
 */
export function waitForExternalPopup(url: string, gatehouseOrigin: string, token: string): Promise<ExternalCredential> {
  const w = browser();
  if (!w.open || !w.addEventListener || !w.removeEventListener)
    throw new GatehouseError('BadRequest', 'a popup login needs a browser window');
  const popup = w.open(url, 'Login', 'width=650,height=600');
  if (!popup || popup.closed) throw new GatehouseError('BadRequest', 'The login popup was blocked by the browser');
  return new Promise((resolve, reject) => {
    let closedAt: number | null = null;
    const finish = () => {
      clearInterval(timer);
      w.removeEventListener?.('message', listener);
    };
    const listener = (event: { origin: string; data: unknown }) => {
      if (event.origin !== gatehouseOrigin) return;
      const data = event.data as {
        type?: unknown;
        credentialToken?: unknown;
        credentialSecret?: unknown;
        error?: unknown;
      };
      if (data?.type !== 'gatehouse:oauth' || data.credentialToken !== token) return;
      finish();
      if (typeof data.credentialSecret === 'string')
        resolve({ credentialToken: token, credentialSecret: data.credentialSecret });
      else {
        try {
          popup.close();
        } catch {
          // A popup we may not close stays open.
        }
        reject(new GatehouseError('AuthError', typeof data.error === 'string' ? data.error : 'the login failed'));
      }
    };
    w.addEventListener?.('message', listener);
    const timer = setInterval(() => {
      if (!popup.closed) return;
      closedAt ??= Date.now();
      if (Date.now() - closedAt >= CLOSE_GRACE_MS) {
        finish();
        reject(new GatehouseError('AuthError', 'Login cancelled: the login window was closed'));
      }
    }, 100);
  });
}

/**
 * The result a redirect login brought back in the URL fragment, removed from the address bar; `null` when the
 * page was not opened by one.
 */
export function takeExternalRedirectResult(): ExternalCredential | { error: string } | null {
  const w = browser();
  const hash = w.location?.hash ?? '';
  if (!/(^#|&)gatehouse_(credential_token|oauth_error)=/.test(hash)) return null;
  const params = new URLSearchParams(hash.slice(1));
  const clean = (w.location?.href ?? '').split('#')[0] ?? '';
  try {
    w.history?.replaceState(null, '', clean);
  } catch {
    // Leaving the fragment is harmless: the credential works once.
  }
  const error = params.get('gatehouse_oauth_error');
  if (error !== null) return { error };
  const credentialToken = params.get('gatehouse_credential_token');
  const credentialSecret = params.get('gatehouse_credential_secret');
  return credentialToken && credentialSecret ? { credentialToken, credentialSecret } : null;
}

/** Sends the whole page to the login (redirect style); the app continues when the page comes back. */
export function goToExternalLogin(url: string): void {
  const location = browser().location;
  if (!location) throw new GatehouseError('BadRequest', 'a redirect login needs a browser window');
  location.assign(url);
}
