import { createHmac } from 'node:crypto';
import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { accessTokenOf, callServiceJson, defined, expiresAtOf, serviceError, text } from './http.js';
import { clientSecret, commonSettings, endpoint, type OAuth2Service } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    /** The Facebook app id (Meteor's property name for it). */
    appId: z.string().regex(/^\d{1,32}$/, 'expected the numeric Facebook app id'),
    secret: clientSecret,
    /** The login dialog (Meteor: `https://www.facebook.com/v<apiVersion>/dialog/oauth`). */
    dialogUrl: endpoint('https://www.facebook.com/v17.0/dialog/oauth'),
    /** The Graph API, versioned (`/oauth/access_token`, `/me`). */
    graphUrl: endpoint('https://graph.facebook.com/v17.0'),
  })
  .strict();

type Settings = z.output<typeof settings>;

const LABEL = 'Facebook';
// Meteor's whitelist of `/me` fields.
const FIELDS = [
  'id',
  'email',
  'name',
  'first_name',
  'last_name',
  'middle_name',
  'name_format',
  'picture',
  'short_name',
];

/**
 * Facebook (Meteor's `facebook-oauth`): the login dialog, the code exchanged at the Graph API's
 * `oauth/access_token`, then `/me` with `appsecret_proof`.
 */
export const facebook: OAuth2Service<Settings> = {
  name: 'facebook',
  label: LABEL,
  protocol: 'oauth2',
  identityProvider: 'oauth2-facebook',
  clientIdField: 'appId',
  settings,
  requiresStart: false,
  async authorizationUrl(s, request) {
    const url = new URL(s.dialogUrl);
    url.search = new URLSearchParams({
      ...s.loginUrlParameters,
      ...request.options.loginUrlParameters,
      client_id: s.appId,
      redirect_uri: request.redirectUri,
      display: 'popup',
      scope: (request.options.requestPermissions ?? ['email']).join(','),
      state: request.state,
      ...(request.codeChallenge ? { code_challenge: request.codeChallenge, code_challenge_method: 'S256' } : {}),
    }).toString();
    return url;
  },
  async finish(s, answer) {
    const exchange = new URL(`${s.graphUrl}/oauth/access_token`);
    exchange.search = new URLSearchParams({
      client_id: s.appId,
      redirect_uri: answer.redirectUri,
      client_secret: s.secret,
      code: answer.code,
      ...(answer.codeVerifier ? { code_verifier: answer.codeVerifier } : {}),
    }).toString();
    const tokens = await callServiceJson(LABEL, 'token endpoint', exchange);
    const accessToken = accessTokenOf(LABEL, tokens);
    const me = new URL(`${s.graphUrl}/me`);
    me.search = new URLSearchParams({
      access_token: accessToken,
      appsecret_proof: createHmac('sha256', s.secret).update(accessToken).digest('hex'),
      fields: FIELDS.join(','),
    }).toString();
    const identity = await callServiceJson(LABEL, 'user endpoint', me);
    const id = identity.body.id;
    if (!identity.ok || typeof id !== 'string' || !/^\d{1,32}$/.test(id))
      throw serviceError(LABEL, 'the user endpoint did not say who signed in');
    const fields: JsonObject = {};
    for (const field of FIELDS) {
      const value = identity.body[field];
      if (value !== undefined && JSON.stringify(value).length <= 4096) fields[field] = value as JsonObject[string];
    }
    const name = text(identity.body.name);
    return {
      serviceData: defined({
        ...fields,
        id,
        accessToken,
        expiresAt: expiresAtOf(answer.now, tokens.body.expires_in),
      }) as JsonObject & { id: string },
      options: { profile: defined({ name }) },
    };
  },
};
