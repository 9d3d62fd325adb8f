import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT } from 'jose';

/**
 * Small loopback stand-ins for the external services that have no open-source server to run: GitHub,
 * Facebook, Meetup, Weibo, Meteor developer accounts and Twitter/X. Each answers in its service's documented
 * shapes — its login page (a consent page with Allow and Deny), token endpoint and user endpoint — and checks
 * what the real one checks: the client secret, the redirect URI, single-use codes, PKCE when a challenge was
 * sent, Facebook's `appsecret_proof`, and for Twitter real OAuth 1.0a signatures (verified with `oauth-sign`,
 * an implementation independent of the one Gatehouse signs with), timestamps and nonces.
 */
export interface ServiceStandIns {
  /** `http://127.0.0.1:<port>`; each service lives under `/<service>`. */
  url: string;
  /** Settings for Gatehouse's `services.<name>` pointing at the stand-in (with `clientId`/`secret`). */
  settings: Record<StandInService, Record<string, string>>;
  /** Knobs a test turns: a failing token endpoint, a slow user endpoint. */
  behaviour: { failTokenEndpoint: boolean; slowUserEndpointMs: number };
  /** The login page parameters each service saw last. */
  lastAuthorize: Partial<Record<StandInService, URLSearchParams>>;
  close(): Promise<void>;
}

export type StandInService = 'github' | 'facebook' | 'meetup' | 'weibo' | 'meteor-developer' | 'twitter' | 'apple';

export const STAND_IN_CLIENT = {
  github: { clientId: 'gh-client', secret: 'gh-secret' },
  facebook: { appId: '1234567890', secret: 'fb-app-secret' },
  meetup: { clientId: 'meetup-client', secret: 'meetup-secret' },
  weibo: { clientId: 'weibo-client', secret: 'weibo-secret' },
  'meteor-developer': { clientId: 'mdg-client', secret: 'mdg-secret' },
  twitter: { consumerKey: 'tw-consumer-key', secret: 'tw-consumer-secret' },
  apple: { clientId: 'com.example.web', teamId: 'TEAM123456', keyId: 'KEY1234567', secret: '' },
} as const;

/** A person's account at every stand-in, from a login name (`ada` → GitHub id 1000 + …). */
function person(login: string) {
  const n = Number.parseInt(createHash('sha256').update(login).digest('hex').slice(0, 6), 16);
  return {
    login,
    numericId: 100_000 + n,
    name: `${login[0]?.toUpperCase()}${login.slice(1)} Example`,
    email: `${login}@example.com`,
  };
}

interface Grant {
  service: StandInService;
  login: string;
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  nonce?: string;
}

const random = () => randomBytes(18).toString('base64url');

export async function startServiceStandIns(): Promise<ServiceStandIns> {
  const oauthSign = createRequire(import.meta.url)('oauth-sign') as {
    hmacsign(
      method: string,
      base: string,
      params: Record<string, string>,
      consumerSecret: string,
      tokenSecret?: string,
    ): string;
  };
  const behaviour = { failTokenEndpoint: false, slowUserEndpointMs: 0 };
  // Apple: the developer's Sign in with Apple key (its .p8 goes into Gatehouse's settings; the stand-in checks
  // client secrets with the public half), and Apple's own key that signs ID tokens (published at /auth/keys).
  const developerKey = await generateKeyPair('ES256', { extractable: true });
  const appleKey = await generateKeyPair('RS256', { extractable: true });
  const appleJwk = { ...(await exportJWK(appleKey.publicKey)), kid: 'apple-1', alg: 'RS256', use: 'sig' };
  const lastAuthorize: ServiceStandIns['lastAuthorize'] = {};
  const consents = new Map<string, { grant: Grant; state: string | null; deny: string }>();
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, { service: StandInService; login: string }>();
  // Twitter: request tokens → { secret, callback, verifier, login }; access tokens → { secret, login }.
  const requestTokens = new Map<string, { secret: string; callback: string; verifier?: string; login?: string }>();
  const accessTokens = new Map<string, { secret: string; login: string }>();
  const nonces = new Set<string>();
  let base = '';

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(302, { location });
    res.end();
  };
  const consentPage = (res: ServerResponse, label: string, id: string) =>
    send(
      res,
      200,
      `<!doctype html><title>${label}</title><h1>${label}: sign in</h1>
<p>An app asks to know who you are.</p>
<p><a id="allow" href="/consent/${id}/allow?login=ada">Allow</a> <a id="deny" href="/consent/${id}/deny">Deny</a></p>`,
      'text/html; charset=utf-8',
    );
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const slowly = async () => {
    if (behaviour.slowUserEndpointMs > 0) await new Promise((r) => setTimeout(r, behaviour.slowUserEndpointMs));
  };

  /** An OAuth 2 login page: checks the client and redirect URI, then asks for consent. */
  const authorize = (service: StandInService, label: string, url: URL, res: ServerResponse) => {
    const q = url.searchParams;
    lastAuthorize[service] = q;
    const clientId = q.get('client_id') ?? '';
    const expected = STAND_IN_CLIENT[service] as { clientId?: string; appId?: string };
    if (clientId !== (expected.clientId ?? expected.appId)) return send(res, 400, { error: 'unknown client' });
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!/^https?:\/\/[^/]+((\/app\/[^/]+)?\/_oauth\/[a-z-]+|\/api\/client\/v2\.0\/auth\/callback)$/.test(redirectUri))
      return send(res, 400, { error: 'redirect_uri_mismatch' });
    const id = random();
    const state = q.get('state');
    const back = new URL(redirectUri);
    if (state !== null) back.searchParams.set('state', state);
    back.searchParams.set('error', 'access_denied');
    consents.set(id, {
      grant: {
        service,
        login: 'ada',
        clientId,
        redirectUri,
        ...(q.get('code_challenge') ? { codeChallenge: q.get('code_challenge') as string } : {}),
        ...(q.get('nonce') ? { nonce: q.get('nonce') as string } : {}),
      },
      state,
      deny: back.toString(),
    });
    consentPage(res, label, id);
  };

  /** A code exchange: the client secret, the redirect URI, one use, and the PKCE verifier if a challenge came. */
  const exchange = (
    service: StandInService,
    p: URLSearchParams,
  ): { ok: true; token: string } | { ok: false; error: string } => {
    if (behaviour.failTokenEndpoint) return { ok: false, error: 'server_error' };
    const client = STAND_IN_CLIENT[service] as { clientId?: string; appId?: string; secret: string };
    const grant = codes.get(p.get('code') ?? '');
    codes.delete(p.get('code') ?? '');
    if (!grant || grant.service !== service) return { ok: false, error: 'invalid_grant' };
    if (p.get('client_id') !== (client.clientId ?? client.appId) || p.get('client_secret') !== client.secret)
      return { ok: false, error: 'invalid_client' };
    if (p.get('redirect_uri') !== grant.redirectUri) return { ok: false, error: 'redirect_uri_mismatch' };
    if (grant.codeChallenge !== undefined) {
      const verifier = p.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge)
        return { ok: false, error: 'invalid_grant' };
    }
    const token = `${service}-token-${random()}`;
    tokens.set(token, { service, login: grant.login });
    return { ok: true, token };
  };
  const tokenOwner = (service: StandInService, token: string | null | undefined) => {
    const found = token ? tokens.get(token) : undefined;
    return found?.service === service ? person(found.login) : null;
  };

  /** Twitter: the Authorization header's parameters and the signature check (RFC 5849 §3.4). */
  const verifyOAuth1 = (req: IncomingMessage, url: URL, body: URLSearchParams, tokenSecret: string | undefined) => {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('OAuth ')) return null;
    const oauth: Record<string, string> = {};
    for (const part of header.slice(6).split(/,\s*/)) {
      const m = /^([\w]+)="([^"]*)"$/.exec(part.trim());
      if (m) oauth[decodeURIComponent(m[1] as string)] = decodeURIComponent(m[2] as string);
    }
    const { oauth_signature: signature, ...rest } = oauth;
    if (rest.oauth_consumer_key !== STAND_IN_CLIENT.twitter.consumerKey || rest.oauth_signature_method !== 'HMAC-SHA1')
      return null;
    const age = Math.abs(Date.now() / 1000 - Number(rest.oauth_timestamp));
    if (!(age < 300) || !rest.oauth_nonce || nonces.has(rest.oauth_nonce)) return null;
    nonces.add(rest.oauth_nonce);
    const params: Record<string, string> = { ...rest };
    for (const [k, v] of url.searchParams) params[k] = v;
    for (const [k, v] of body) params[k] = v;
    const expected = oauthSign.hmacsign(
      req.method as string,
      `${base}${url.pathname}`,
      params,
      STAND_IN_CLIENT.twitter.secret,
      tokenSecret,
    );
    return expected === signature ? rest : null;
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, { error: String(error) }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const text = req.method === 'POST' ? await readBody(req) : '';
    const form = new URLSearchParams(text);

    // The consent page's answers (every OAuth 2 service).
    const consent = /^\/consent\/([\w-]+)\/(allow|deny)$/.exec(path);
    if (consent) {
      const entry = consents.get(consent[1] as string);
      consents.delete(consent[1] as string);
      if (!entry) return send(res, 400, { error: 'unknown consent' });
      if (consent[2] === 'deny') return redirect(res, entry.deny);
      const code = random();
      codes.set(code, { ...entry.grant, login: url.searchParams.get('login') ?? 'ada' });
      if (entry.grant.service === 'apple') {
        // Apple answers with a page that posts the form to the redirect URI (response_mode=form_post).
        const who = person(url.searchParams.get('login') ?? 'ada');
        const fields = {
          code,
          ...(entry.state !== null ? { state: entry.state } : {}),
          user: JSON.stringify({ name: { firstName: who.name.split(' ')[0], lastName: 'Example' }, email: who.email }),
        };
        const inputs = Object.entries(fields)
          .map(
            ([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`,
          )
          .join('');
        return send(
          res,
          200,
          `<!doctype html><title>Apple</title><form id="form_post" method="post" action="${entry.grant.redirectUri}">${inputs}</form>
<script>document.getElementById('form_post').submit();</script>`,
          'text/html; charset=utf-8',
        );
      }
      const back = new URL(entry.grant.redirectUri);
      back.searchParams.set('code', code);
      if (entry.state !== null) back.searchParams.set('state', entry.state);
      return redirect(res, back.toString());
    }

    // ---- GitHub ---------------------------------------------------------------------------------------
    if (path === '/github/login/oauth/authorize') return authorize('github', 'GitHub', url, res);
    if (path === '/github/login/oauth/access_token' && req.method === 'POST') {
      const result = exchange('github', form);
      // GitHub answers 200 with an error object (documented), JSON when asked for it.
      return send(
        res,
        200,
        result.ok
          ? { access_token: result.token, token_type: 'bearer', scope: 'user:email' }
          : {
              error: result.error === 'invalid_grant' ? 'bad_verification_code' : result.error,
            },
      );
    }
    if (path === '/github/api/user' || path === '/github/api/user/emails') {
      await slowly();
      const who = tokenOwner('github', /^token (.+)$/.exec(req.headers.authorization ?? '')?.[1]);
      if (!who) return send(res, 401, { message: 'Bad credentials' });
      if (path.endsWith('/emails'))
        return send(res, 200, [
          { email: who.email, primary: true, verified: true, visibility: 'private' },
          { email: `${who.login}@users.noreply.github.com`, primary: false, verified: true, visibility: null },
        ]);
      return send(res, 200, {
        login: who.login,
        id: who.numericId,
        avatar_url: `https://avatars.example/${who.login}`,
        name: who.name,
        company: null,
        blog: '',
        location: 'London',
        email: null,
        bio: null,
      });
    }

    // ---- Facebook -------------------------------------------------------------------------------------
    if (path === '/facebook/dialog/oauth') return authorize('facebook', 'Facebook', url, res);
    if (path === '/facebook/graph/oauth/access_token') {
      const result = exchange('facebook', url.searchParams);
      return result.ok
        ? send(res, 200, { access_token: result.token, token_type: 'bearer', expires_in: 5183944 })
        : send(res, 400, { error: { message: result.error, type: 'OAuthException', code: 100 } });
    }
    if (path === '/facebook/graph/me') {
      await slowly();
      const token = url.searchParams.get('access_token') ?? '';
      const who = tokenOwner('facebook', token);
      const proof = createHmac('sha256', STAND_IN_CLIENT.facebook.secret).update(token).digest('hex');
      if (!who || url.searchParams.get('appsecret_proof') !== proof)
        return send(res, 400, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
      return send(res, 200, {
        id: String(who.numericId),
        name: who.name,
        email: who.email,
        first_name: who.name.split(' ')[0],
        last_name: 'Example',
        picture: { data: { url: `https://graph.example/${who.login}.jpg` } },
      });
    }

    // ---- Meetup ---------------------------------------------------------------------------------------
    if (path === '/meetup/oauth2/authorize') return authorize('meetup', 'Meetup', url, res);
    if (path === '/meetup/oauth2/access' && req.method === 'POST') {
      if (form.get('grant_type') !== 'authorization_code') return send(res, 400, { error: 'unsupported_grant_type' });
      const result = exchange('meetup', form);
      return result.ok
        ? send(res, 200, {
            access_token: result.token,
            refresh_token: random(),
            token_type: 'bearer',
            expires_in: 3600,
          })
        : send(res, 400, { error: result.error });
    }
    if (path === '/meetup/api/2/members' && req.method === 'POST') {
      await slowly();
      const who = tokenOwner('meetup', form.get('access_token'));
      if (!who || form.get('member_id') !== 'self') return send(res, 401, { problem: 'unauthorized' });
      return send(res, 200, {
        results: [
          {
            id: who.numericId,
            name: who.name,
            lang: 'en_US',
            link: `https://www.meetup.com/members/${who.numericId}`,
            photo: { photo_link: `https://photos.example/${who.login}.jpeg` },
            country: 'gb',
            city: 'London',
          },
        ],
        meta: { count: 1 },
      });
    }

    // ---- Weibo ----------------------------------------------------------------------------------------
    if (path === '/weibo/oauth2/authorize') return authorize('weibo', 'Weibo', url, res);
    if (path === '/weibo/oauth2/access_token' && req.method === 'POST') {
      const result = exchange('weibo', url.searchParams);
      if (!result.ok) return send(res, 400, { error: result.error, error_code: 21325 });
      const who = person(tokens.get(result.token)?.login ?? 'ada');
      return send(res, 200, {
        access_token: result.token,
        expires_in: 157679999,
        remind_in: '157679999',
        uid: String(who.numericId),
      });
    }
    if (path === '/weibo/2/users/show.json') {
      await slowly();
      const who = tokenOwner('weibo', url.searchParams.get('access_token'));
      if (!who || url.searchParams.get('uid') !== String(who.numericId))
        return send(res, 400, { error: 'invalid_access_token', error_code: 21332 });
      return send(res, 200, {
        id: who.numericId,
        idstr: String(who.numericId),
        screen_name: `${who.login}_weibo`,
        name: who.name,
      });
    }

    // ---- Meteor developer accounts ---------------------------------------------------------------------
    if (path === '/meteor-developer/oauth2/authorize') return authorize('meteor-developer', 'Meteor', url, res);
    if (path === '/meteor-developer/oauth2/token' && req.method === 'POST') {
      const result = exchange('meteor-developer', form);
      return result.ok
        ? send(res, 200, { access_token: result.token, refresh_token: `mdg-refresh-${random()}`, expires_in: 3600 })
        : send(res, 400, { error: result.error });
    }
    if (path === '/meteor-developer/api/v1/identity') {
      await slowly();
      const who = tokenOwner('meteor-developer', /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]);
      if (!who) return send(res, 401, { error: 'invalid_token' });
      return send(res, 200, {
        id: `mdg${who.numericId}`,
        username: who.login,
        emails: [{ address: who.email, primary: true, verified: true }],
      });
    }

    // ---- Apple --------------------------------------------------------------------------------------------
    if (path === '/apple/auth/authorize') {
      if (url.searchParams.get('response_mode') !== 'form_post') return send(res, 400, { error: 'invalid_request' });
      return authorize('apple', 'Apple', url, res);
    }
    if (path === '/apple/auth/keys') return send(res, 200, { keys: [appleJwk] });
    if (path === '/apple/auth/token' && req.method === 'POST') {
      if (behaviour.failTokenEndpoint) return send(res, 500, { error: 'server_error' });
      // The client secret is a JWT the developer's key signed: team id, Services ID, Apple's audience.
      try {
        await jwtVerify(form.get('client_secret') ?? '', developerKey.publicKey, {
          issuer: STAND_IN_CLIENT.apple.teamId,
          subject: STAND_IN_CLIENT.apple.clientId,
          audience: `${base}/apple`,
          algorithms: ['ES256'],
        });
      } catch {
        return send(res, 400, { error: 'invalid_client' });
      }
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (grant?.service !== 'apple' || form.get('redirect_uri') !== grant.redirectUri)
        return send(res, 400, { error: 'invalid_grant' });
      const who = person(grant.login);
      const token = `apple-token-${random()}`;
      tokens.set(token, { service: 'apple', login: grant.login });
      const idToken = await new SignJWT({
        email: who.email,
        email_verified: 'true',
        is_private_email: 'false',
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'apple-1' })
        .setIssuer(`${base}/apple`)
        .setAudience(STAND_IN_CLIENT.apple.clientId)
        .setSubject(`000${who.numericId}.${createHash('sha256').update(who.login).digest('hex').slice(0, 32)}.0001`)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(appleKey.privateKey);
      return send(res, 200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: `apple-refresh-${random()}`,
        id_token: idToken,
      });
    }

    // ---- Twitter / X (OAuth 1.0a) ------------------------------------------------------------------------
    if (path === '/twitter/oauth/request_token' && req.method === 'POST') {
      const oauth = verifyOAuth1(req, url, form, undefined);
      if (!oauth?.oauth_callback)
        return send(res, 401, { errors: [{ code: 32, message: 'Could not authenticate you.' }] });
      const token = random();
      requestTokens.set(token, { secret: random(), callback: oauth.oauth_callback });
      const entry = requestTokens.get(token) as { secret: string };
      return send(
        res,
        200,
        `oauth_token=${token}&oauth_token_secret=${entry.secret}&oauth_callback_confirmed=true`,
        'text/html; charset=utf-8',
      );
    }
    if (path === '/twitter/oauth/authenticate') {
      const token = url.searchParams.get('oauth_token') ?? '';
      const entry = requestTokens.get(token);
      if (!entry) return send(res, 400, 'Invalid request token.', 'text/plain');
      lastAuthorize.twitter = url.searchParams;
      const id = random();
      const deny = new URL(entry.callback);
      deny.searchParams.set('denied', token);
      consents.set(id, {
        grant: { service: 'twitter', login: 'ada', clientId: '', redirectUri: entry.callback },
        state: null,
        deny: deny.toString(),
      });
      return send(
        res,
        200,
        `<!doctype html><title>X</title><h1>Authorize app?</h1>
<p><a id="allow" href="/twitter/approve/${token}?login=ada">Authorize app</a> <a id="deny" href="${deny.toString().replace(/&/g, '&amp;')}">Cancel</a></p>`,
        'text/html; charset=utf-8',
      );
    }
    const approve = /^\/twitter\/approve\/([\w-]+)$/.exec(path);
    if (approve) {
      const entry = requestTokens.get(approve[1] as string);
      if (!entry) return send(res, 400, 'Invalid request token.', 'text/plain');
      entry.verifier = random();
      entry.login = url.searchParams.get('login') ?? 'ada';
      const back = new URL(entry.callback);
      back.searchParams.set('oauth_token', approve[1] as string);
      back.searchParams.set('oauth_verifier', entry.verifier);
      return redirect(res, back.toString());
    }
    if (path === '/twitter/oauth/access_token' && req.method === 'POST') {
      if (behaviour.failTokenEndpoint) return send(res, 503, 'Over capacity', 'text/plain');
      const claimed = /oauth_token="([^"]+)"/.exec(req.headers.authorization ?? '')?.[1];
      const entry = claimed ? requestTokens.get(decodeURIComponent(claimed)) : undefined;
      const oauth = entry ? verifyOAuth1(req, url, form, entry.secret) : null;
      if (!entry || !oauth || !entry.verifier || oauth.oauth_verifier !== entry.verifier)
        return send(res, 401, 'Invalid request token', 'text/plain');
      requestTokens.delete(oauth.oauth_token as string);
      const who = person(entry.login ?? 'ada');
      const token = `${who.numericId}-${random()}`;
      accessTokens.set(token, { secret: random(), login: who.login });
      const secret = (accessTokens.get(token) as { secret: string }).secret;
      return send(
        res,
        200,
        `oauth_token=${token}&oauth_token_secret=${secret}&user_id=${who.numericId}&screen_name=${who.login}`,
        'text/html; charset=utf-8',
      );
    }
    if (path === '/twitter/1.1/account/verify_credentials.json') {
      await slowly();
      const claimed = /oauth_token="([^"]+)"/.exec(req.headers.authorization ?? '')?.[1];
      const entry = claimed ? accessTokens.get(decodeURIComponent(claimed)) : undefined;
      if (!entry || !verifyOAuth1(req, url, form, entry.secret))
        return send(res, 401, { errors: [{ code: 32, message: 'Could not authenticate you.' }] });
      const who = person(entry.login);
      return send(res, 200, {
        id: who.numericId,
        id_str: String(who.numericId),
        name: who.name,
        screen_name: who.login,
        lang: null,
        profile_image_url: `http://pbs.example/${who.login}.png`,
        profile_image_url_https: `https://pbs.example/${who.login}.png`,
        ...(url.searchParams.get('include_email') === 'true' ? { email: who.email } : {}),
      });
    }
    send(res, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settings: ServiceStandIns['settings'] = {
    github: { ...STAND_IN_CLIENT.github, loginUrl: `${base}/github`, apiUrl: `${base}/github/api` },
    facebook: {
      ...STAND_IN_CLIENT.facebook,
      dialogUrl: `${base}/facebook/dialog/oauth`,
      graphUrl: `${base}/facebook/graph`,
    },
    meetup: { ...STAND_IN_CLIENT.meetup, loginUrl: `${base}/meetup`, apiUrl: `${base}/meetup/api` },
    weibo: { ...STAND_IN_CLIENT.weibo, apiUrl: `${base}/weibo` },
    'meteor-developer': { ...STAND_IN_CLIENT['meteor-developer'], developerAccountsServer: `${base}/meteor-developer` },
    twitter: { ...STAND_IN_CLIENT.twitter, apiUrl: `${base}/twitter` },
    apple: { ...STAND_IN_CLIENT.apple, secret: await exportPKCS8(developerKey.privateKey), issuer: `${base}/apple` },
  };
  return {
    url: base,
    settings,
    behaviour,
    lastAuthorize,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The numeric id a stand-in gives a login (GitHub's `id`, Twitter's `id_str`, …). */
export function standInUserId(login: string): number {
  return person(login).numericId;
}
