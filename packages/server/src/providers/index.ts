import { oauthCredentialProvider } from '../oauth/meteor/login.js';
import { anonUserProvider } from './anon-user/index.js';
import { apiKeyProvider } from './api-key/index.js';
import { customFunctionProvider } from './custom-function/index.js';
import { customTokenProvider } from './custom-token/index.js';
import { emailCodeProvider } from './email-code/index.js';
import { localUserpassProvider } from './local-userpass/index.js';
import { appleProvider } from './oauth2-apple/index.js';
import { facebookProvider } from './oauth2-facebook/index.js';
import { googleProvider } from './oauth2-google/index.js';
import { passkeyProvider } from './passkey/index.js';
import type { CredentialProvider } from './registry.js';
import { twoFactorProvider } from './two-factor/index.js';

/**
 * Every credential kind Gatehouse knows, by provider type. A provider is served for an app only
 * when the app's configuration enables it.
 */
export const credentialProviders: ReadonlyMap<string, CredentialProvider> = new Map(
  (
    [
      anonUserProvider,
      localUserpassProvider,
      apiKeyProvider,
      customFunctionProvider,
      customTokenProvider,
      googleProvider,
      appleProvider,
      facebookProvider,
      passkeyProvider,
      // Meteor-style external services, redeemed over HTTP (oauth/meteor/login.ts).
      oauthCredentialProvider,
      // Gatehouse's extensions: passwordless by email, and the second step of a two-factor login.
      emailCodeProvider,
      twoFactorProvider,
    ] as CredentialProvider[]
  ).map((p) => [p.type, p]),
);

export { type CredentialProvider, providerNotFound } from './registry.js';
