import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { accessTokenOf, callServiceJson, defined, expiresAtOf, serviceError, text } from './http.js';
import { clientSecret, commonSettings, endpoint, type OAuth2Service } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    clientId: z.string().min(1).max(256),
    secret: clientSecret,
    /** Where `/oauth2/authorize`, `/oauth2/access_token` and `/2/users/show.json` are. */
    apiUrl: endpoint('https://api.weibo.com'),
  })
  .strict();

type Settings = z.output<typeof settings>;

const LABEL = 'Weibo';

/**
 * Weibo (Meteor's `weibo-oauth`): `/oauth2/authorize`, the code exchanged at `/oauth2/access_token` (which
 * also names the user, `uid`), then `/2/users/show.json`.
 */
export const weibo: OAuth2Service<Settings> = {
  name: 'weibo',
  label: LABEL,
  protocol: 'oauth2',
  identityProvider: 'oauth2-weibo',
  clientIdField: 'clientId',
  settings,
  requiresStart: false,
  async authorizationUrl(s, request) {
    const url = new URL(`${s.apiUrl}/oauth2/authorize`);
    url.search = new URLSearchParams({
      ...s.loginUrlParameters,
      ...request.options.loginUrlParameters,
      response_type: 'code',
      client_id: s.clientId,
      redirect_uri: request.redirectUri,
      state: request.state,
      ...(request.options.requestPermissions ? { scope: request.options.requestPermissions.join(',') } : {}),
    }).toString();
    return url;
  },
  async finish(s, answer) {
    const exchange = new URL(`${s.apiUrl}/oauth2/access_token`);
    exchange.search = new URLSearchParams({
      code: answer.code,
      client_id: s.clientId,
      client_secret: s.secret,
      redirect_uri: answer.redirectUri,
      grant_type: 'authorization_code',
    }).toString();
    const tokens = await callServiceJson(LABEL, 'token endpoint', exchange, { method: 'POST' });
    const accessToken = accessTokenOf(LABEL, tokens);
    // Weibo's APIs take the uid as a number or a string; Meteor insists both spell the same integer.
    const uid = String(tokens.body.uid ?? '');
    if (!/^\d{1,20}$/.test(uid)) throw serviceError(LABEL, "the token endpoint's uid is not an integer");
    const show = new URL(`${s.apiUrl}/2/users/show.json`);
    show.search = new URLSearchParams({ access_token: accessToken, uid }).toString();
    const identity = await callServiceJson(LABEL, 'user endpoint', show);
    if (!identity.ok) throw serviceError(LABEL, 'the user endpoint refused the token');
    const screenName = text(identity.body.screen_name);
    return {
      serviceData: defined({
        id: uid,
        accessToken,
        screenName,
        expiresAt: expiresAtOf(answer.now, tokens.body.expires_in),
      }) as JsonObject & { id: string },
      options: { profile: defined({ name: screenName }) },
    };
  },
};
