import { importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';
import { emailVerified, verifyIdToken } from '../../providers/oidc-id-token.js';
import { accessTokenOf, callServiceJson, defined, expiresAtOf, serviceError, text } from './http.js';
import { commonSettings, endpoint, type OAuth2Service } from './service.js';

const settings = z
  .object({
    ...commonSettings,
    /** The Services ID (the web client id), e.g. `com.example.web`. */
    clientId: z.string().min(1).max(256),
    /** The Apple developer team id (10 characters). */
    teamId: z.string().regex(/^[A-Z0-9]{10}$/, 'expected the 10-character Apple team id'),
    /** The id of the Sign in with Apple key (10 characters). */
    keyId: z.string().regex(/^[A-Z0-9]{10}$/, 'expected the 10-character key id'),
    /** The key's `.p8` file (a PKCS #8 PEM): it signs the client secret; never sent anywhere. */
    secret: z
      .string()
      .max(4096)
      .refine(
        (v) => /-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/.test(v),
        'expected the .p8 key (PEM)',
      ),
    /** Apple's issuer: `/auth/authorize`, `/auth/token` and `/auth/keys` are under it. */
    issuer: endpoint('https://appleid.apple.com'),
  })
  .strict();

type Settings = z.output<typeof settings>;

const LABEL = 'Apple';

/**
 * Sign in with Apple on the web: the authorize page answers by `form_post` (a POST to `/_oauth/apple`, with the
 * user's name in `user` on the first login only), the code is exchanged at `/auth/token` with a client secret
 * that is a short-lived ES256 JWT signed with the `.p8` key, and the ID token is checked against Apple's keys
 * (issuer, audience, nonce when Gatehouse started the login).
 */
export const apple: OAuth2Service<Settings> = {
  name: 'apple',
  label: LABEL,
  protocol: 'oauth2',
  identityProvider: 'oauth2-apple',
  clientIdField: 'clientId',
  settings,
  requiresStart: false,
  async authorizationUrl(s, request) {
    const url = new URL(`${s.issuer}/auth/authorize`);
    url.search = new URLSearchParams({
      ...s.loginUrlParameters,
      ...request.options.loginUrlParameters,
      response_type: 'code',
      // Apple sends name and email only to a form_post answer.
      response_mode: 'form_post',
      client_id: s.clientId,
      redirect_uri: request.redirectUri,
      scope: (request.options.requestPermissions ?? ['name', 'email']).join(' '),
      state: request.state,
      ...(request.nonce ? { nonce: request.nonce } : {}),
    }).toString();
    return url;
  },
  async finish(s, answer) {
    const { claims, accessToken, idToken, refreshToken, expiresAt } = await exchangeAppleCode(
      s,
      answer.code,
      answer.redirectUri,
      answer.now,
    );
    if (answer.nonce !== undefined && claims.nonce !== answer.nonce)
      throw serviceError(LABEL, 'the ID token was not issued for this login (nonce)');
    // The name comes once, in the form post, never in the ID token.
    let name: string | undefined;
    try {
      const user = JSON.parse(answer.params.get('user') ?? 'null') as {
        name?: { firstName?: unknown; lastName?: unknown };
      } | null;
      name = [text(user?.name?.firstName, 200), text(user?.name?.lastName, 200)].filter(Boolean).join(' ') || undefined;
    } catch {
      name = undefined;
    }
    return {
      serviceData: {
        ...defined({
          email: text(claims.email),
          email_verified: claims.email === undefined ? undefined : emailVerified(claims.email_verified),
          is_private_email: claims.is_private_email === undefined ? undefined : emailVerified(claims.is_private_email),
          accessToken,
          idToken,
          refreshToken,
          expiresAt,
        }),
        id: claims.sub as string,
      },
      options: { profile: defined({ name }) },
    };
  },
};

/** What signs in at Apple: the Services ID, the team, the key (id and `.p8`), the issuer. */
export interface AppleClient {
  clientId: string;
  teamId: string;
  keyId: string;
  /** The `.p8` key (PKCS #8 PEM). */
  secret: string;
  issuer: string;
}

/**
 * Exchanges an authorization code at Apple's `/auth/token` — the client secret a short-lived ES256 JWT signed
 * with the `.p8` key (`iss` team, `sub` Services ID, `aud` Apple) — and checks the ID token against Apple's
 * keys. Shared by the Meteor-style service and App Services' redirect flow for Apple.
 */
export async function exchangeAppleCode(
  s: AppleClient,
  code: string,
  redirectUri: string,
  nowMs: number,
): Promise<{
  claims: import('jose').JWTPayload;
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  expiresAt?: number;
}> {
  const now = Math.floor(nowMs / 1000);
  let clientSecret: string;
  try {
    clientSecret = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: s.keyId })
      .setIssuer(s.teamId)
      .setSubject(s.clientId)
      .setAudience(s.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(await importPKCS8(s.secret, 'ES256'));
  } catch {
    throw serviceError(LABEL, 'the .p8 key could not sign the client secret');
  }
  const tokens = await callServiceJson(LABEL, 'token endpoint', `${s.issuer}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: s.clientId,
      client_secret: clientSecret,
      code,
      grant_type: 'authorization_code',
      redirect_uri: redirectUri,
    }),
  });
  const accessToken = accessTokenOf(LABEL, tokens);
  const idToken = tokens.body.id_token;
  if (typeof idToken !== 'string') throw serviceError(LABEL, 'no ID token in the answer');
  const claims = await verifyIdToken(
    { issuers: [s.issuer], jwksUrl: `${s.issuer}/auth/keys`, audiences: [s.clientId] },
    idToken,
    nowMs,
    LABEL,
  );
  const refreshToken = tokens.body.refresh_token;
  const expiresAt = expiresAtOf(nowMs, tokens.body.expires_in);
  return {
    claims,
    accessToken,
    idToken,
    ...(typeof refreshToken === 'string' ? { refreshToken } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}
