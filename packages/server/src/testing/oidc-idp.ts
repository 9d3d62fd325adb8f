import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback, playing Google in tests: one confidential
 * client, accounts made up on the fly (`<login>@example.com`, verified), and its development login and
 * consent pages, which {@link signInAtIdp} fills in the way a browser would.
 */
export interface TestIdp {
  /** `http://127.0.0.1:<port>`; its endpoints are `/auth`, `/token` and `/jwks`. */
  issuer: string;
  /** The parameters of the latest authorization request. */
  lastAuthorization: URLSearchParams | null;
  close(): Promise<void>;
}

export async function startTestIdp(options: {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Refuse authorization requests without an S256 challenge (as Gatehouse's redirect flow always sends one). */
  pkce: boolean;
  /** A port chosen beforehand (when the redirect URI must name the issuer's port); default a free one. */
  port?: number;
  /** Issue refresh tokens as Google does: when the login asked for `access_type=offline`. */
  offlineAccess?: boolean;
}): Promise<TestIdp> {
  // The issuer must be known before the provider starts: take a free port first.
  const port = options.port ?? (await freeLoopbackPort());
  const issuer = `http://127.0.0.1:${port}`;
  const idp: TestIdp = {
    issuer,
    lastAuthorization: null,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: options.offlineAccess ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, name: `User ${id}` }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    pkce: { required: () => options.pkce },
    features: { devInteractions: { enabled: true } },
    extraParams: ['access_type'],
    issueRefreshToken: async () =>
      options.offlineAccess === true && idp.lastAuthorization?.get('access_type') === 'offline',
    cookies: { keys: ['test-cookie-key'] },
  } as never);
  (
    provider as unknown as {
      use(fn: (ctx: { path: string; query: Record<string, string> }, next: () => Promise<void>) => Promise<void>): void;
    }
  ).use(async (ctx, next) => {
    if (ctx.path === '/auth') idp.lastAuthorization = new URLSearchParams(ctx.query);
    await next();
  });
  const server = provider.listen(port, '127.0.0.1') as unknown as Server;
  await new Promise((r) => server.once('listening', r));
  return idp;
}

/**
 * Follows `url` (an authorization request) through the provider's pages as `login` — or presses its "abort"
 * link — with a cookie jar, until the provider sends the browser to a URL starting with `returnsTo`; returns
 * that URL (with `code` and `state`, or `error`).
 */
export async function signInAtIdp(
  idp: TestIdp,
  url: string,
  login: string | 'abort',
  returnsTo: string,
): Promise<string> {
  const jar = new Map<string, string>();
  const go = async (target: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(new URL(target, idp.issuer), {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, ...v] = (pair as string).split('=');
      jar.set(k as string, v.join('='));
    }
    return res;
  };
  let res = await go(url);
  for (let hop = 0; hop < 10; hop++) {
    const location = res.headers.get('location');
    if (!location) throw new Error(`no redirect (${res.status}): ${(await res.text()).slice(0, 300)}`);
    if (location.startsWith(returnsTo)) return location;
    if (location.includes('/interaction/')) {
      const uid = location.split('/interaction/')[1] as string;
      const page = await (await go(location)).text();
      if (login === 'abort') {
        res = await go(`/interaction/${uid}/abort`);
        continue;
      }
      const body = page.includes('name="login"')
        ? new URLSearchParams({ prompt: 'login', login, password: 'any' })
        : new URLSearchParams({ prompt: 'consent' });
      res = await go(`/interaction/${uid}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    } else {
      res = await go(location);
    }
  }
  throw new Error('too many redirects');
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
