import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { defined, serviceError, text } from './http.js';
import { commonSettings, endpoint, type OAuth1Service } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    /** The app's API key (Meteor's `consumerKey`). */
    consumerKey: z.string().min(1).max(256),
    /** The API key secret. */
    secret: z.string().min(1, 'the consumer secret is required').max(4096),
    /** Where `/oauth/request_token`, `/oauth/authenticate`, `/oauth/access_token` and `/1.1/…` are. */
    apiUrl: endpoint('https://api.twitter.com'),
  })
  .strict();

type Settings = z.output<typeof settings>;

const LABEL = 'Twitter';
// Meteor's `Twitter.whitelistedFields`.
const FIELDS = ['profile_image_url', 'profile_image_url_https', 'lang', 'email', 'name'];

/**
 * Twitter / X (Meteor's `twitter-oauth`), OAuth 1.0a: a request token, the authenticate page, the access
 * token, then `GET /1.1/account/verify_credentials.json?include_email=true`, every call signed.
 */
export const twitter: OAuth1Service<Settings> = {
  name: 'twitter',
  label: LABEL,
  protocol: 'oauth1',
  identityProvider: 'oauth1-twitter',
  clientIdField: 'consumerKey',
  settings,
  authenticateParams: ['force_login', 'screen_name'],
  endpoints: (s) => ({
    requestToken: `${s.apiUrl}/oauth/request_token`,
    authenticate: `${s.apiUrl}/oauth/authenticate`,
    accessToken: `${s.apiUrl}/oauth/access_token`,
  }),
  async identify(s, signedGet, token) {
    const identity = (await signedGet(`${s.apiUrl}/1.1/account/verify_credentials.json?include_email=true`)) as Record<
      string,
      unknown
    >;
    const id = identity.id_str;
    if (typeof id !== 'string' || !/^\d{1,20}$/.test(id))
      throw serviceError(LABEL, 'the user endpoint did not say who signed in');
    const fields: JsonObject = {};
    for (const field of FIELDS) {
      const value = text(identity[field]);
      if (value) fields[field] = value;
    }
    return {
      serviceData: defined({
        id,
        screenName: text(identity.screen_name),
        accessToken: token.token,
        accessTokenSecret: token.secret,
        ...fields,
      }) as JsonObject & { id: string },
      options: { profile: defined({ name: text(identity.name) }) },
    };
  },
};
