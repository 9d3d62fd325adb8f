import { utf8 } from '@gatehouse-auth/core';
import type { AppContext, PathCall } from './context.js';
import { type Credentials, HOSTED_PAGE } from './credentials.js';
import { badResponse } from './errors.js';
import { type AuthResponse, generateState, waitForRedirect } from './oauth2.js';
import { API, asObject, readBody } from './transport.js';

/**
 * Logs in (or, with `link`, links to the user whose access token `link` sends) with `credentials`:
 * `POST …/auth/providers/<name>/login[?link=true]` with the payload and `options.device`, or the
 * browser redirect flow for OAuth 2.0 credentials that carry a `redirectUrl`.
 */
export async function authenticate(
  ctx: AppContext,
  credentials: Credentials,
  link?: (call: PathCall) => Promise<Response>,
): Promise<AuthResponse> {
  const path = `${API}/app/${encodeURIComponent(ctx.id)}/auth/providers/${encodeURIComponent(credentials.providerName)}/login`;
  const device = ctx.device();
  const redirectUrl = credentials.payload.redirectUrl;
  if (credentials.providerName === HOSTED_PAGE && typeof redirectUrl === 'string') {
    if (link) throw new TypeError('the hosted sign-in page cannot link credentials');
    const state = generateState();
    const page = `${ctx.app.baseUrl}/app/${encodeURIComponent(ctx.id)}/login`;
    return waitForRedirect(`${page}?redirect=${encodeURIComponent(redirectUrl)}&state=${state}`, state);
  }
  if (credentials.providerType.startsWith('oauth2') && typeof redirectUrl === 'string') {
    const state = generateState();
    const redirect = encodeURIComponent(redirectUrl);
    if (!link) {
      // The device travels in the URL here, its id as a plain hex string.
      const json = JSON.stringify({ ...device, deviceId: device.deviceId?.toString() });
      const location = await ctx.location();
      return waitForRedirect(
        `${location}${path}?state=${state}&redirect=${redirect}&device=${encodeURIComponent(toBase64(json))}`,
        state,
      );
    }
    const response = await link({
      method: 'GET',
      path: `${path}?link=true&state=${state}&redirect=${redirect}&providerRedirectHeader=true`,
      init: { mode: 'cors', credentials: 'include' },
    });
    const url = response.headers.get('x-baas-location');
    if (!url) throw badResponse('missing X-BAAS-Location header');
    return waitForRedirect(url, state);
  }
  const call: PathCall = {
    method: 'POST',
    path: link ? `${path}?link=true` : path,
    body: { ...credentials.payload, options: { device } },
  };
  const body = asObject(await readBody(link ? await link(call) : await ctx.send(call)));
  const { user_id, access_token, refresh_token = null, device_id } = body ?? {};
  if (typeof user_id !== 'string' || typeof access_token !== 'string' || typeof device_id !== 'string')
    throw badResponse("expected 'user_id', 'access_token' and 'device_id'");
  if (refresh_token !== null && typeof refresh_token !== 'string') throw badResponse("bad 'refresh_token'");
  return { userId: user_id, accessToken: access_token, refreshToken: refresh_token, deviceId: device_id };
}

/** Standard base64 (with `+/=`, as realm-web's `device` parameter) of the UTF-8 bytes of `text`. */
function toBase64(text: string): string {
  let binary = '';
  for (const byte of utf8(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
