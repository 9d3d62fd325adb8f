import { GatehouseError, randomSecret } from '@gatehouse-auth/core';

/**
 * Logins with external services (GitHub, Google, Twitter/X, …) through Gatehouse's Meteor-style flow
 * (`/_oauth/<service>`), from the browser: Gatehouse starts the login (PKCE, nonce, or Twitter's request
 * token), the service signs the person in, and the result comes back as Meteor's credential
 * (`credentialToken` + `credentialSecret`) — by `postMessage` from the popup, or in the URL fragment of the app
 * page a redirect login returns to — which the SDK then redeems over HTTP. Kept small: it ships in every
 * browser bundle of the SDK.
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

// biome-ignore lint/suspicious/noExplicitAny: the browser's window, reached without DOM typings
const w = globalThis as any;
const fail = (message: string) => new GatehouseError('AuthError', message);

/**
 * Starts a login at Gatehouse (`/app/<id>/_oauth/<service>?requestTokenAndRedirect=true`, Meteor's state with a
 * fresh credential token): a popup that resolves with the credential, or (redirect) the page sent away.
 */
export function startExternalLogin(
  baseUrl: string,
  appId: string,
  service: string,
  options: ExternalLoginOptions = {},
): Promise<ExternalCredential> | null {
  const { loginStyle = 'popup', redirectUrl = w.location?.href } = options;
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(service) || (loginStyle !== 'popup' && loginStyle !== 'redirect'))
    throw new TypeError(`invalid service or login style: ${service}, ${loginStyle}`);
  const token = randomSecret();
  const state = JSON.stringify({ loginStyle, credentialToken: token, isCordova: false, redirectUrl });
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/app/${encodeURIComponent(appId)}/_oauth/${service}`);
  const { requestPermissions: scopes, loginUrlParameters: extra, ...rest } = options;
  for (const [key, value] of Object.entries({
    requestTokenAndRedirect: true,
    handBack: 'sdk',
    state: btoa(String.fromCharCode(...new TextEncoder().encode(state))),
    requestPermissions: scopes?.join(' '),
    requestOfflineToken: rest.requestOfflineToken,
    forceApprovalPrompt: rest.forceApprovalPrompt,
    loginHint: rest.loginHint,
    loginUrlParameters: extra && JSON.stringify(extra),
  }))
    if (value !== undefined) url.searchParams.set(key, String(value));
  if (loginStyle === 'redirect') {
    w.location.assign(url.toString());
    return null;
  }
  // Opened at once, in the click that called this: browsers block popups opened later.
  const popup = w.open?.(url.toString(), 'Login', 'width=650,height=600');
  if (!popup || popup.closed) throw new GatehouseError('BadRequest', 'The login popup was blocked by the browser');
  return new Promise((resolve, reject) => {
    let closedAt = 0;
    const done = () => {
      clearInterval(timer);
      w.removeEventListener('message', listener);
    };
    // Only Gatehouse's last page, for this login's token, counts.
    const listener = ({ origin, data }: { origin: string; data: Record<string, unknown> | null }) => {
      if (origin !== url.origin || data?.type !== 'gatehouse:oauth' || data.credentialToken !== token) return;
      done();
      if (typeof data.credentialSecret === 'string')
        resolve({ credentialToken: token, credentialSecret: data.credentialSecret });
      else {
        popup.close();
        reject(fail(String(data.error ?? 'the login failed')));
      }
    };
    w.addEventListener('message', listener);
    // Closing the popup before the end cancels the login (a late message still counts for half a second).
    const timer = setInterval(() => {
      if (!popup.closed) return;
      closedAt ||= Date.now();
      if (Date.now() - closedAt >= 500) {
        done();
        reject(fail('Login cancelled: the login window was closed'));
      }
    }, 100);
  });
}

/**
 * The result a redirect login brought back in the URL fragment, removed from the address bar; `null` when the
 * page was not opened by one.
 */
export function takeExternalRedirectResult(): ExternalCredential | { error: string } | null {
  const hash: string = w.location?.hash ?? '';
  if (!hash.includes('gatehouse_')) return null;
  const params = new URLSearchParams(hash.slice(1));
  const credentialToken = params.get('gatehouse_credential_token');
  const credentialSecret = params.get('gatehouse_credential_secret');
  const error = params.get('gatehouse_oauth_error');
  if (error === null && !(credentialToken && credentialSecret)) return null;
  w.history?.replaceState(null, '', w.location.href.split('#')[0]);
  return error !== null ? { error } : ({ credentialToken, credentialSecret } as ExternalCredential);
}
