/**
 * JSON responses exactly as App Services clients need them: `Content-Type: application/json`
 * with no charset parameter (realm-core compares the header for equality), and empty successes as 204 with
 * no content type at all.
 */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  const all = new Headers(headers);
  all.set('content-type', 'application/json');
  all.set('x-content-type-options', 'nosniff');
  // Answers of an auth API carry tokens and account data: no cache keeps them, unless a route says otherwise.
  if (!all.has('cache-control')) all.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers: all });
}

/**
 * The same response with headers changed by `edit`. A new response rather than an edited one: headers set on
 * a built response are lost by some `Response` implementations (`@hono/node-server` installs one whose headers
 * revert when its body is read), so Gatehouse never edits a response in place.
 */
export function withHeaders(response: Response, edit: (headers: Headers) => void): Response {
  const headers = new Headers(response.headers);
  edit(headers);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** 204 No Content, without a content type (realm-web returns `null` for it). */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** An HTML page with headers that keep tokens in its URL from leaking (no referrer, no caching). */
export function html(body: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    },
  });
}
