import { withHeaders } from './responses.js';

/**
 * CORS for browsers running realm-web or the SDK. Tokens travel in the `Authorization` header,
 * never in cookies, so answering any allowed origin is safe; the origin is echoed (with `Vary: Origin`)
 * rather than `*` so the same answer also works for credentialed requests later.
 */
export interface Cors {
  /** The answer to a preflight, or `null` when the request is not one. */
  preflight(request: Request): Response | null;
  /** Adds CORS headers to a response for an allowed origin. */
  decorate(request: Request, response: Response): Response;
}

/**
 * realm-web's OAuth link request is a `GET …/auth/providers/oauth2-…/login` sent with
 * `credentials: "include"`: its preflight and answer need `Access-Control-Allow-Credentials` (with the exact
 * origin, which is echoed anyway). No cookie carries any authority here, so allowing it grants nothing more.
 */
const OAUTH_LOGIN_PATH = /\/auth\/providers\/oauth2-[a-z]+\/login$/;

function isOAuthLogin(request: Request, method: string | null): boolean {
  return method === 'GET' && OAUTH_LOGIN_PATH.test(new URL(request.url).pathname);
}

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Authorization, Content-Type, Accept, X-Requested-With';

export function createCors(origins: readonly string[]): Cors {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  const allow = (origin: string | null): origin is string => origin !== null && (any || allowed.has(origin));

  return {
    preflight(request) {
      if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) return null;
      const origin = request.headers.get('origin');
      const headers = new Headers({ vary: 'Origin' });
      if (allow(origin)) {
        headers.set('access-control-allow-origin', origin);
        headers.set('access-control-allow-methods', ALLOW_METHODS);
        headers.set('access-control-allow-headers', ALLOW_HEADERS);
        headers.set('access-control-max-age', '86400');
        if (isOAuthLogin(request, request.headers.get('access-control-request-method')))
          headers.set('access-control-allow-credentials', 'true');
      }
      return new Response(null, { status: 204, headers });
    },
    decorate(request, response) {
      const origin = request.headers.get('origin');
      if (!allow(origin)) return response;
      return withHeaders(response, (headers) => {
        headers.set('access-control-allow-origin', origin);
        headers.append('vary', 'Origin');
        // X-Request-Id is set by the Node adapter; exposed so a browser app can show it in an error report.
        headers.set('access-control-expose-headers', 'X-BAAS-Location, Retry-After, X-Request-Id');
        if (isOAuthLogin(request, request.method)) headers.set('access-control-allow-credentials', 'true');
      });
    },
  };
}
