import { type App, Credentials } from '@gatehouse-auth/client';
import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';
import { loginUiSettings } from '../config.js';

/** What a `gatehouse-login-with` event carries. */
export interface LoginWithDetail {
  /** Meteor's service name: `google`, `facebook`, `apple`. */
  service: string;
  /** `Accounts.ui.config`'s options for the service: `requestPermissions`, `requestOfflineToken`, `forceApprovalPrompt`. */
  options: { requestPermissions?: string[]; requestOfflineToken?: boolean; forceApprovalPrompt?: boolean };
  /** Hand the element the login's promise, so it shows the busy state and the error in words. */
  waitUntil(promise: Promise<unknown>): void;
}

/** `google` → `Google`. */
export function serviceLabel(service: string): string {
  return service.charAt(0).toUpperCase() + service.slice(1);
}

/**
 * `<gatehouse-oauth-buttons>`: one "Sign in with …" button per external service the app has configured
 * (sorted by name), shown once the configuration has arrived — nothing before, nothing if there are none.
 *
 * A press fires the cancelable `gatehouse-login-with` event (see {@link LoginWithDetail}); a page that handles
 * the login itself calls `preventDefault()` (and `detail.waitUntil(promise)`). Otherwise the element signs in
 * with the SDK: `loginWith(service, options)` of the accounts facade when the SDK has it, else App Services'
 * popup flow (`Credentials.google({ redirectUrl })` …) when `oauth-redirect-url` names the page that calls
 * `handleAuthRedirect()` (and is in the app's `oauthRedirectUris`); else it says the service is not set up.
 *
 * Attributes: `app-id`, `base-url`, `oauth-redirect-url`. Events: `gatehouse-login-with`, `gatehouse-signed-in`.
 */
export class GatehouseOAuthButtons extends GatehouseElement {
  static override properties = { redirectUrl: { attribute: 'oauth-redirect-url' } };
  declare redirectUrl: string | undefined;

  protected override view(): unknown {
    const accounts = this.accounts;
    if (!accounts?.loginServicesConfigured()) return nothing;
    const services = accounts
      .loginServiceConfiguration()
      .flatMap((p) => (p.service ? [p.service] : []))
      .sort();
    if (services.length === 0) return nothing;
    return html`<div class="stack" part="oauth" aria-busy=${this.busy ? 'true' : 'false'}>
      ${services.map(
        (service) => html`<button type="button" part="button oauth-button ${service}" data-service=${service}
          @click=${() => this.#logIn(service)}>${this.t('signInWith', { service: serviceLabel(service) })}</button>`,
      )}
      ${this.regions()}
    </div>`;
  }

  #logIn(service: string): void {
    const settings = loginUiSettings();
    const options: LoginWithDetail['options'] = {};
    if (settings.requestPermissions[service]) options.requestPermissions = settings.requestPermissions[service];
    if (settings.requestOfflineToken[service] !== undefined)
      options.requestOfflineToken = settings.requestOfflineToken[service];
    if (settings.forceApprovalPrompt[service] !== undefined)
      options.forceApprovalPrompt = settings.forceApprovalPrompt[service];
    let handled: Promise<unknown> | null = null;
    const detail: LoginWithDetail = { service, options, waitUntil: (promise) => void (handled = promise) };
    const own = this.emit('gatehouse-login-with', detail);
    const app = this.boundApp as App;
    const sdk = this.accounts as unknown as { loginWith?: (s: string, o: object) => Promise<void> };
    if (!own && !handled) return;
    if (own && typeof sdk.loginWith !== 'function' && !this.redirectUrl) {
      this.set({ error: this.t('error.noOAuth', { service: serviceLabel(service) }) });
      return;
    }
    this.run('oauth', async () => {
      if (!own) await handled;
      else if (typeof sdk.loginWith === 'function') await sdk.loginWith(service, options);
      else await app.logIn(credentials(service, this.redirectUrl as string));
      if (this.user) this.emit('gatehouse-signed-in', { user: this.user });
      return undefined;
    });
  }
}

function credentials(service: string, redirectUrl: string): Credentials {
  if (service === 'google') return Credentials.google({ redirectUrl });
  return service === 'facebook' ? Credentials.facebook(redirectUrl) : Credentials.apple(redirectUrl);
}

define('gatehouse-oauth-buttons', GatehouseOAuthButtons);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-oauth-buttons': GatehouseOAuthButtons;
  }
}
