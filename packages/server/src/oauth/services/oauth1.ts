import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { callService, serviceError } from './http.js';
import type { OAuth1Token } from './service.js';

/**
 * OAuth 1.0a requests (RFC 5849), signed HMAC-SHA1 by the `oauth-1.0a` library: the protocol parameters —
 * `oauth_callback` and `oauth_verifier` too — travel in the `Authorization` header, other parameters in the
 * query (GET) or a form body (POST), and all of them are covered by the signature.
 */
export interface OAuth1Client {
  /** A signed request; `oauthParams` are extra `oauth_*` protocol parameters. */
  call(
    method: 'GET' | 'POST',
    url: string,
    options?: { token?: OAuth1Token; oauthParams?: Record<string, string>; params?: Record<string, string> },
  ): Promise<{ status: number; ok: boolean; text: string; contentType: string }>;
}

export function oauth1Client(label: string, consumer: { key: string; secret: string }): OAuth1Client {
  const signer = new OAuth({
    consumer,
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  return {
    async call(method, url, options = {}) {
      const target = new URL(url);
      const params = { ...options.params };
      if (method === 'GET') for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      const request = {
        url: target.toString(),
        method,
        data: { ...(method === 'POST' ? params : {}), ...options.oauthParams },
      };
      const token = options.token ? { key: options.token.token, secret: options.token.secret } : undefined;
      const authorized = signer.authorize(request, token);
      const header = signer.toHeader({ ...authorized, ...options.oauthParams });
      return callService(label, `${new URL(url).pathname} endpoint`, target, {
        method,
        headers: {
          authorization: header.Authorization,
          ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(method === 'POST' ? { body: new URLSearchParams(params).toString() } : {}),
      });
    },
  };
}

/** A form-encoded token answer (`oauth_token=…&oauth_token_secret=…`) or a refusal. */
export function tokenAnswer(
  label: string,
  answer: { ok: boolean; text: string; status: number },
  step: string,
): URLSearchParams {
  if (!answer.ok) throw serviceError(label, `the ${step} was refused (HTTP ${answer.status})`);
  const form = new URLSearchParams(answer.text);
  const token = form.get('oauth_token');
  const secret = form.get('oauth_token_secret');
  if (!token || !secret || token.length > 1024 || secret.length > 1024)
    throw serviceError(label, `the ${step} answer carries no token`);
  return form;
}
