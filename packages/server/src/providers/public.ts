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
  /**
   * An external service (Meteor-style, `/_oauth/<service>`): clients log in with the SDK's
   * `accounts.loginWith(service)`, not with App Services' redirect flow.
   */
  external?: true;
  /**
   * For `local-userpass`: the password rules a sign-up form shows before submitting (the server still checks
   * them), in code points after NFKC normalisation.
   */
  password?: { minLength: number; maxLength: number; rejectCommon: boolean };
  /** For `local-userpass`: how new accounts are confirmed (`auto`, `email`, `function`). */
  confirmation?: 'auto' | 'email' | 'function';
  /** For `local-userpass`: how a forgotten password is reset (`email`: a mailed link; `function`). */
  reset?: 'email' | 'function';
  /** For `local-userpass`: whether clients may create accounts (Meteor's `forbidClientAccountCreation`). */
  signUp?: boolean;
}

/**
 * The app's enabled login methods with public fields only — never secrets (Meteor
 * strips `secret` from its service configurations; here nothing secret is copied in the first place). The
 * login UI, the SDK's `loginServicesConfigured()` and DDP's `meteor.loginServiceConfiguration` read it.
 *
 * @example
 * ```ts
 * publicProviders(app);
 * // [{ type: 'local-userpass', password: { minLength: 8, maxLength: 256, rejectCommon: true },
 * //    confirmation: 'email', reset: 'email', signUp: true },
 * //  { type: 'oauth2-google', service: 'google', clientId: '…' }]
 * ```
 */
export function publicProviders(app: AppSettings): PublicProvider[] {
  return (
    [...credentialProviders]
      // `oauth-credential` redeems external service logins: the services are listed instead (oauth/meteor/public.ts).
      // `two-factor` is the second step of another login, not a way in of its own.
      .filter(([type, provider]) => type !== 'oauth-credential' && type !== 'two-factor' && provider.enabled(app))
      .map(([type]) => ({ type, ...oauthFields(app, type), ...passwordFields(app, type) }))
  );
}

/** What a login form may know of the email/password provider's settings: rules and modes, nothing secret. */
function passwordFields(app: AppSettings, type: string): Omit<PublicProvider, 'type'> {
  const settings = type === 'local-userpass' ? app.providers['local-userpass'] : undefined;
  if (!settings) return {};
  return {
    password: {
      minLength: settings.minPasswordLength,
      maxLength: settings.maxPasswordLength,
      rejectCommon: settings.rejectCommonPasswords,
    },
    confirmation: settings.confirmation,
    reset: settings.reset,
    signUp: !app.accounts.forbidClientAccountCreation,
  };
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
