import { objectId, toBase64Url, utf8 } from '@gatehouse-auth/core';
import type { FetchFunction } from './transport.js';

/**
 * A scripted stand-in for the App Services API, for the unit tests beside the code: it answers the location,
 * login, profile and session routes with unsigned JWTs (a client never verifies its tokens) and records every
 * request. The real server is exercised by the tests in `test/client`.
 */
export interface FakeServer {
  fetch: FetchFunction;
  calls: { method: string; url: string; headers: Record<string, string>; body: unknown }[];
  /** Server time in seconds since the epoch, as put in `iat`/`exp`. */
  now: number;
  /** Overrides the answer to `METHOD /path` (path after the host, without the query). */
  answer(route: string, respond: (body: unknown, headers: Record<string, string>) => Response): void;
}

export function jwt(payload: Record<string, unknown>): string {
  const part = (value: unknown) => toBase64Url(utf8(JSON.stringify(value)));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.sig`;
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function fakeServer(origin = 'https://gatehouse.test'): FakeServer {
  const userId = objectId();
  const deviceId = objectId();
  const routes = new Map<string, (body: unknown, headers: Record<string, string>) => Response>();
  const server: FakeServer = {
    calls: [],
    now: Math.floor(Date.now() / 1000),
    answer: (route, respond) => void routes.set(route, respond),
    fetch: async (input, init = {}) => {
      const url = new URL(input);
      const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      server.calls.push({ method: init.method ?? 'GET', url: input, headers, body });
      const route = `${init.method ?? 'GET'} ${url.pathname}`;
      const custom = routes.get(route);
      if (custom) return custom(body, headers);
      const access = () =>
        jwt({ sub: userId, typ: 'access', iat: server.now, exp: server.now + 1800, baas_device_id: deviceId });
      if (route.endsWith('/location')) return json({ hostname: origin, ws_hostname: origin.replace('http', 'ws') });
      if (route.endsWith('/login'))
        return json({
          access_token: access(),
          refresh_token: jwt({ sub: userId, typ: 'refresh', iat: server.now, exp: server.now + 86400 }),
          user_id: userId,
          device_id: deviceId,
        });
      if (route.endsWith('/auth/profile'))
        return json({
          user_id: userId,
          type: 'normal',
          identities: [{ id: 'x', provider_type: 'anon-user' }],
          data: { first_name: 'Ada', picture: 'https://x/p.png', n: { $numberInt: '5' } },
        });
      if (route === 'POST /api/client/v2.0/auth/session') return json({ access_token: access() }, 201);
      return new Response(null, { status: 204 });
    },
  };
  return server;
}
