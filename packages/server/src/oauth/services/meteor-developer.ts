import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { accessTokenOf, callServiceJson, defined, expiresAtOf, serviceError } from './http.js';
import { clientSecret, commonSettings, endpoint, type OAuth2Service } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    clientId: z.string().min(1).max(256),
    secret: clientSecret,
    /** Meteor's `developerAccountsServer`: `/oauth2/authorize`, `/oauth2/token`, `/api/v1/identity`. */
    developerAccountsServer: endpoint('https://www.meteor.com'),
  })
  .strict();

type Settings = z.output<typeof settings>;

const LABEL = 'Meteor developer accounts';

/**
 * Meteor developer accounts (Meteor's `meteor-developer-oauth`): `/oauth2/authorize`, the code exchanged at
 * `/oauth2/token`, then `GET /api/v1/identity` with the bearer token; the identity's fields are the service
 * data.
 */
export const meteorDeveloper: OAuth2Service<Settings> = {
  name: 'meteor-developer',
  label: LABEL,
  protocol: 'oauth2',
  identityProvider: 'oauth2-meteor-developer',
  clientIdField: 'clientId',
  settings,
  requiresStart: false,
  async authorizationUrl(s, request) {
    const url = new URL(`${s.developerAccountsServer}/oauth2/authorize`);
    url.search = new URLSearchParams({
      ...s.loginUrlParameters,
      ...request.options.loginUrlParameters,
      state: request.state,
      response_type: 'code',
      client_id: s.clientId,
      ...(request.options.loginHint ? { user_email: request.options.loginHint } : {}),
      redirect_uri: request.redirectUri,
    }).toString();
    return url;
  },
  async finish(s, answer) {
    const tokens = await callServiceJson(LABEL, 'token endpoint', `${s.developerAccountsServer}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: answer.code,
        client_id: s.clientId,
        client_secret: s.secret,
        redirect_uri: answer.redirectUri,
      }),
    });
    const accessToken = accessTokenOf(LABEL, tokens);
    const identity = await callServiceJson(LABEL, 'user endpoint', `${s.developerAccountsServer}/api/v1/identity`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const id = identity.body.id;
    if (!identity.ok || (typeof id !== 'string' && typeof id !== 'number'))
      throw serviceError(LABEL, 'the identity endpoint did not say who signed in');
    const fields: JsonObject = {};
    for (const [key, value] of Object.entries(identity.body).slice(0, 50))
      if (JSON.stringify(value ?? null).length <= 4096) fields[key] = value as JsonObject[string];
    const refreshToken = tokens.body.refresh_token;
    const username = typeof identity.body.username === 'string' ? identity.body.username : undefined;
    return {
      serviceData: defined({
        ...fields,
        id: String(id),
        accessToken,
        expiresAt: expiresAtOf(answer.now, tokens.body.expires_in),
        // Sent on the first authorization only: kept then, never overwritten by its absence later.
        refreshToken: typeof refreshToken === 'string' ? refreshToken : undefined,
      }) as JsonObject & { id: string },
      // Meteor uses the username as the name (its accounts had no display name).
      options: { profile: defined({ name: username }) },
    };
  },
};
