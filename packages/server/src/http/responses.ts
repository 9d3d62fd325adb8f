/**
 * JSON responses exactly as App Services clients need them (spec §4.1): `Content-Type: application/json`
 * with no charset parameter (realm-core compares the header for equality), and empty successes as 204 with
 * no content type at all.
 */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set('content-type', 'application/json');
  response.headers.set('x-content-type-options', 'nosniff');
  // Answers of an auth API carry tokens and account data: no cache keeps them, unless a route says otherwise.
  if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store');
  return response;
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
