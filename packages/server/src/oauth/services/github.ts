import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';
import { accessTokenOf, callService, callServiceJson, defined, serviceError, text } from './http.js';
import { clientSecret, commonSettings, endpoint, type OAuth2Service } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    clientId: z.string().min(1).max(256),
    secret: clientSecret,
    /** github.com, or a GitHub Enterprise server: where the login page and token endpoint are. */
    loginUrl: endpoint('https://github.com'),
    /** The REST API (`/user`, `/user/emails`). */
    apiUrl: endpoint('https://api.github.com'),
  })
  .strict();

type Settings = z.output<typeof settings>;

const LABEL = 'GitHub';

/**
 * GitHub (Meteor's `github-oauth`): the OAuth app's authorize page, the code exchanged at
 * `/login/oauth/access_token`, then `GET /user` and `GET /user/emails` with the token.
 */
export const github: OAuth2Service<Settings> = {
  name: 'github',
  label: LABEL,
  protocol: 'oauth2',
  identityProvider: 'oauth2-github',
  clientIdField: 'clientId',
  settings,
  requiresStart: false,
  async authorizationUrl(s, request) {
    const url = new URL(`${s.loginUrl}/login/oauth/authorize`);
    const scope = request.options.requestPermissions ?? ['user:email'];
    url.search = new URLSearchParams({
      ...s.loginUrlParameters,
      ...request.options.loginUrlParameters,
      client_id: s.clientId,
      scope: scope.join(' '),
      redirect_uri: request.redirectUri,
      state: request.state,
      ...(request.options.loginHint ? { login: request.options.loginHint } : {}),
      ...(request.codeChallenge ? { code_challenge: request.codeChallenge, code_challenge_method: 'S256' } : {}),
    }).toString();
    return url;
  },
  async finish(s, answer) {
    const exchange = await callServiceJson(LABEL, 'token endpoint', `${s.loginUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Gatehouse' },
      body: new URLSearchParams({
        client_id: s.clientId,
        client_secret: s.secret,
        code: answer.code,
        redirect_uri: answer.redirectUri,
        ...(answer.codeVerifier ? { code_verifier: answer.codeVerifier } : {}),
      }),
    });
    const accessToken = accessTokenOf(LABEL, exchange);
    const headers = { authorization: `token ${accessToken}`, 'user-agent': 'Gatehouse' };
    const user = await callServiceJson(LABEL, 'user endpoint', `${s.apiUrl}/user`, { headers });
    const identity = user.body;
    const id = identity.id;
    if (!user.ok || (typeof id !== 'number' && typeof id !== 'string'))
      throw serviceError(LABEL, 'the user endpoint did not say who signed in');
    // Meteor reads the addresses too, and falls back to the primary one when the profile's is private.
    const emails = await listEmails(s, headers);
    const primary = emails.find((e) => e.primary === true);
    const name = text(identity.name);
    return {
      serviceData: defined({
        id: String(id),
        accessToken,
        email: text(identity.email) ?? (typeof primary?.email === 'string' ? primary.email : ''),
        username: text(identity.login),
        name,
        avatar: text(identity.avatar_url),
        company: text(identity.company),
        blog: text(identity.blog),
        location: text(identity.location),
        bio: text(identity.bio),
        emails,
      }) as JsonObject & { id: string },
      options: { profile: defined({ name }) },
    };
  },
};

/** `GET /user/emails` (an array); Meteor keeps `[]` when it fails, so does this. */
async function listEmails(s: Settings, headers: Record<string, string>): Promise<JsonObject[]> {
  try {
    const answer = await callService(LABEL, 'emails endpoint', `${s.apiUrl}/user/emails`, {
      headers: { ...headers, accept: 'application/json' },
    });
    const list: unknown = answer.ok ? JSON.parse(answer.text) : [];
    if (!Array.isArray(list)) return [];
    return list.slice(0, 50).flatMap((e: unknown) => {
      if (!e || typeof e !== 'object') return [];
      const { email, primary, verified, visibility } = e as Record<string, unknown>;
      if (typeof email !== 'string' || email.length > 320) return [];
      return [
        defined({
          email,
          primary: primary === true,
          verified: verified === true,
          visibility: typeof visibility === 'string' ? visibility : undefined,
        }) as JsonObject,
      ];
    });
  } catch {
    return [];
  }
}
