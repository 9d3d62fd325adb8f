import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { accessTokenOf, callServiceJson, defined, expiresAtOf, serviceError, text } from './http.js';
import { clientSecret, commonSettings, endpoint, type OAuth2Service } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    clientId: z.string().min(1).max(256),
    secret: clientSecret,
    /** Where `/oauth2/authorize` and `/oauth2/access` are. */
    loginUrl: endpoint('https://secure.meetup.com'),
    /** The API (`/2/members`). */
    apiUrl: endpoint('https://api.meetup.com'),
  })
  .strict();

type Settings = z.output<typeof settings>;

const LABEL = 'Meetup';

/**
 * Meetup (Meteor's `meetup-oauth`): `/oauth2/authorize`, the code exchanged at `/oauth2/access`, then the
 * member record from `POST /2/members` (`member_id=self`).
 */
export const meetup: OAuth2Service<Settings> = {
  name: 'meetup',
  label: LABEL,
  protocol: 'oauth2',
  identityProvider: 'oauth2-meetup',
  clientIdField: 'clientId',
  settings,
  requiresStart: false,
  async authorizationUrl(s, request) {
    const url = new URL(`${s.loginUrl}/oauth2/authorize`);
    url.search = new URLSearchParams({
      ...s.loginUrlParameters,
      ...request.options.loginUrlParameters,
      client_id: s.clientId,
      response_type: 'code',
      scope: (request.options.requestPermissions ?? []).join(' '),
      redirect_uri: request.redirectUri,
      state: request.state,
    }).toString();
    return url;
  },
  async finish(s, answer) {
    const tokens = await callServiceJson(LABEL, 'token endpoint', `${s.loginUrl}/oauth2/access`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        code: answer.code,
        client_id: s.clientId,
        client_secret: s.secret,
        grant_type: 'authorization_code',
        redirect_uri: answer.redirectUri,
        state: answer.params.get('state') ?? '',
      }),
    });
    const accessToken = accessTokenOf(LABEL, tokens);
    const members = await callServiceJson(LABEL, 'user endpoint', `${s.apiUrl}/2/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ member_id: 'self', access_token: accessToken }),
    });
    const results = members.body.results;
    const member = Array.isArray(results) ? (results[0] as Record<string, unknown> | undefined) : undefined;
    const id = member?.id;
    if (!members.ok || !member || (typeof id !== 'number' && typeof id !== 'string'))
      throw serviceError(LABEL, 'the user endpoint did not say who signed in');
    const name = text(member.name);
    const keep = (v: unknown) =>
      v !== undefined && JSON.stringify(v).length <= 4096 ? (v as JsonObject[string]) : undefined;
    return {
      serviceData: defined({
        id: String(id),
        name,
        lang: keep(member.lang),
        link: keep(member.link),
        photo: keep(member.photo),
        country: keep(member.country),
        city: keep(member.city),
        accessToken,
        expiresAt: expiresAtOf(answer.now, tokens.body.expires_in),
      }) as JsonObject & { id: string },
      options: { profile: defined({ name }) },
    };
  },
};
