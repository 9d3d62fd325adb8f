import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { defined } from './http.js';
import { oidcService, tokenFields } from './oidc.js';
import { clientSecret, commonSettings } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    clientId: z.string().min(1).max(256),
    secret: clientSecret,
    /** Google's issuer; its discovery document names the endpoints (tests point it at a loopback IdP). */
    issuer: z.url({ protocol: /^https?$/ }).default('https://accounts.google.com'),
  })
  .strict();

type Settings = z.output<typeof settings>;

/**
 * Google (Meteor's `google-oauth`), as the OpenID Connect provider it is: Meteor's options become Google's
 * parameters — `requestOfflineToken` → `access_type=offline` (the refresh token is kept), `forceApprovalPrompt`
 * → `prompt=consent`, `loginHint` → `login_hint` — and the service data has Meteor's field names (`id`,
 * `verified_email`, …) from the checked ID token.
 */
export const google = oidcService<Settings>({
  name: 'google',
  defaultLabel: 'Google',
  label: () => 'Google',
  identityProvider: 'oauth2-google',
  settings,
  requiresStart: false,
  connection: (s) => ({
    issuer: s.issuer,
    clientId: s.clientId,
    secret: s.secret,
    defaultScope: ['profile'],
    requiredScope: ['email'],
  }),
  extraParams(_s, options) {
    return defined({
      access_type:
        options.requestOfflineToken === undefined ? undefined : options.requestOfflineToken ? 'offline' : 'online',
      prompt: options.forceApprovalPrompt ? 'consent' : undefined,
      login_hint: options.loginHint,
    }) as Record<string, string>;
  },
  serviceData(claims, tokens, now) {
    const text = (v: unknown) => (typeof v === 'string' && v.length <= 2048 ? v : undefined);
    return {
      ...(defined({
        email: text(claims.email),
        verified_email: typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined,
        name: text(claims.name),
        given_name: text(claims.given_name),
        family_name: text(claims.family_name),
        picture: text(claims.picture),
        locale: text(claims.locale),
      }) as JsonObject),
      ...tokenFields(tokens, now),
      id: claims.sub as string,
    };
  },
});
