import { GatehouseError } from '@gatehouse-auth/core';
import type { WebStorageLike } from './storage.js';

/** Tokens and ids of a login or link, however they arrived. */
export interface AuthResponse {
  userId: string;
  accessToken: string;
  refreshToken: string | null;
  deviceId: string;
}

type Browser = {
  open?: (url: string) => { closed: boolean; close(): void } | null;
  localStorage?: WebStorageLike;
  location?: { hash: string };
};

// The key realm-web 2.0.1's browser build used, so a redirect page still calling realm-web's
// handleAuthRedirect() hands its result to this SDK too.
const resultKey = (state: string) => `realm-web:oauth2:state(${state}):result`;

/** 12 random lowercase letters, as realm-web's `state`. */
export function generateState(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => String.fromCharCode(97 + (b % 26))).join('');
}

/**
 * Opens `url` in a popup and waits until the redirect page (same origin) has called
 * {@link handleAuthRedirect}, then closes the popup and returns the tokens.
 */
export function waitForRedirect(url: string, state: string): Promise<AuthResponse> {
  const browser = globalThis as Browser;
  const { localStorage } = browser;
  if (!browser.open || !localStorage)
    throw new GatehouseError('BadRequest', 'OAuth 2.0 redirects need a browser window');
  const popup = browser.open(url);
  // realm-web waited forever when the popup was blocked.
  if (!popup) throw new GatehouseError('BadRequest', 'the browser did not open the login window (popup blocked?)');
  return new Promise((resolve, reject) => {
    // Polling: the storage event does not fire in every browser for same-tab writes, and window events
    // cannot be observed across origins.
    const timer = setInterval(() => {
      const raw = localStorage.getItem(resultKey(state));
      if (raw) {
        clearInterval(timer);
        localStorage.removeItem(resultKey(state));
        try {
          popup.close();
        } catch {
          // A popup we may not close stays open; the login still succeeded.
        }
        const result = JSON.parse(raw) as { userAuth?: string; error?: string };
        const parts = (result.userAuth ?? '').split('$');
        if (parts.length === 4) {
          const [accessToken, refreshToken, userId, deviceId] = parts as [string, string, string, string];
          resolve({ accessToken, refreshToken: refreshToken || null, userId, deviceId });
        } else reject(new GatehouseError('AuthError', result.error ?? 'the OAuth 2.0 redirect carried no tokens'));
      } else if (popup.closed) {
        clearInterval(timer);
        reject(new GatehouseError('AuthError', 'Window closed'));
      }
    }, 100);
  });
}

const FIELDS: Record<string, string> = {
  _baas_client_app_id: 'appId',
  _baas_ua: 'userAuth',
  _baas_link: 'link',
  _baas_error: 'error',
  _baas_state: 'state',
};

/**
 * Call this on the page the OAuth 2.0 provider redirects back to (the `redirectUrl` of
 * `Credentials.google({ redirectUrl })` and friends): it hands the result in the URL fragment to the
 * window that started the login, which closes this one. It never throws.
 *
 * @example
 * ```ts
 * // auth/callback.html
 * import { handleAuthRedirect } from '@gatehouse-auth/client';
 * handleAuthRedirect();
 * ```
 */
export function handleAuthRedirect(
  location: { hash: string } | undefined = (globalThis as Browser).location,
  storage: WebStorageLike | undefined = (globalThis as Browser).localStorage,
): void {
  const result: Record<string, string> = {};
  for (const pair of (location?.hash ?? '').replace(/^#/, '').split('&')) {
    const [key = '', value = ''] = pair.split('=');
    const field = FIELDS[key];
    if (field && value) {
      try {
        result[field] = decodeURIComponent(value);
      } catch {
        // A malformed escape leaves that field out.
      }
    }
  }
  if (result.state && storage) storage.setItem(resultKey(result.state), JSON.stringify(result));
  else console.warn(`Failed to handle OAuth 2.0 redirect${result.error ? `: ${result.error}` : ''}`);
}
