import type { AppSettings } from '../context.js';
import { credentialProviders } from './index.js';

/** One login method of an app as anyone may see it: its type and, for OAuth, the public client id only. */
export interface PublicProvider {
  type: string;
  /** Meteor's service name for OAuth providers (`google`, `facebook`, `apple`). */
  service?: string;
  /** The OAuth client id (Facebook: the app id) — public by design, shown to browsers anyway. */
  clientId?: string;
  /** An external service's configured login style (`popup` or `redirect`). */
  loginStyle?: 'popup' | 'redirect';
}

/**
 * The app's enabled login methods with public fields only — never secrets (spec meteor-accounts §1.2: Meteor
 * strips `secret` from its service configurations; here nothing secret is copied in the first place). The
 * login UI, the SDK's `loginServicesConfigured()` and DDP's `meteor.loginServiceConfiguration` read it.
 *
 * @example
 * ```ts
 * publicProviders(app); // [{ type: 'local-userpass' }, { type: 'oauth2-google', service: 'google', clientId: '…' }]
 * ```
 */
export function publicProviders(app: AppSettings): PublicProvider[] {
  return (
    [...credentialProviders]
      // `oauth-credential` redeems external service logins: the services are listed instead (oauth/meteor/public.ts).
      .filter(([type, provider]) => type !== 'oauth-credential' && provider.enabled(app))
      .map(([type]) => ({ type, ...oauthFields(app, type) }))
  );
}

function oauthFields(app: AppSettings, type: string): Omit<PublicProvider, 'type'> {
  if (type === 'oauth2-google') {
    const google = app.providers['oauth2-google'];
    const clientId = Array.isArray(google?.clientId) ? google.clientId[0] : google?.clientId;
    return { service: 'google', ...(clientId ? { clientId } : {}) };
  }
  if (type === 'oauth2-facebook') {
    const appId = app.providers['oauth2-facebook']?.appId;
    return { service: 'facebook', ...(appId ? { clientId: appId } : {}) };
  }
  if (type === 'oauth2-apple') {
    const clientId = app.providers['oauth2-apple']?.clientIds[0];
    return { service: 'apple', ...(clientId ? { clientId } : {}) };
  }
  return {};
}
