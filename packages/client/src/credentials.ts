import type { ProviderType } from '@gatehouse-auth/core';

/** Payload of {@link Credentials.anonymous}: nothing. */
export type AnonymousPayload = Record<string, never>;
/** Payload of {@link Credentials.emailPassword}; the wire calls the email `username`. */
export type EmailPasswordPayload = { username: string; password: string };
/** Payload of {@link Credentials.apiKey}. */
export type ApiKeyPayload = { key: string };
/** Payload of {@link Credentials.jwt}. */
export type JWTPayload = { token: string };
/** Payload of {@link Credentials.function}: whatever the server's function expects (sent as canonical EJSON). */
export type FunctionPayload = Record<string, unknown>;
/** Payload of an OAuth 2.0 login through a browser redirect. */
export type OAuth2RedirectPayload = { redirectUrl: string };
/** Payload of {@link Credentials.google} with an authorization code. */
export type GoogleAuthCodePayload = { authCode: string };
/** Payload of {@link Credentials.google} with an OpenID Connect ID token (sent as `id_token`). */
export type GoogleIdTokenPayload = { id_token: string };
/** Payload of {@link Credentials.facebook} with a user access token. */
export type FacebookPayload = { accessToken: string };
/** Payload of {@link Credentials.apple} with an ID token. */
export type ApplePayload = { id_token: string };

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${what} must be a non-empty string`);
  return value;
}

/**
 * What a user proves their identity with, passed to `app.logIn()` or `user.linkCredentials()`. The factories
 * and the payloads they build are realm-web 2.0.1's, so code written for realm-web works
 * unchanged; a bad argument throws a `TypeError` at once.
 *
 * @example
 * ```ts
 * const user = await app.logIn(Credentials.emailPassword('ada@example.com', 'correct horse battery staple'));
 * ```
 */
export class Credentials<PayloadType extends Record<string, unknown> = Record<string, unknown>> {
  /**
   * Anonymous login (`anon-user`). With `reuse` (the default) an anonymous user of this app that is still
   * logged in is reused without a login request, as in realm-web.
   *
   * Unlike realm-web 2.0.1, a *logged-out* anonymous user is never reused: realm-web picked it up and then
   * sent `Authorization: Bearer null`, so the call failed. Here a new anonymous user logs in.
   */
  static anonymous(reuse = true): Credentials<AnonymousPayload> {
    return new Credentials('anon-user', 'anon-user', reuse, {});
  }

  /** A user API key (`api-key`), as made by `user.apiKeys.create()`; logs in as the key's owner. */
  static apiKey(key: string): Credentials<ApiKeyPayload> {
    return new Credentials('api-key', 'api-key', false, { key: text(key, 'apiKey(key)') });
  }

  /** Email and password (`local-userpass`). */
  static emailPassword(email: string, password: string): Credentials<EmailPasswordPayload> {
    return new Credentials('local-userpass', 'local-userpass', false, {
      username: text(email, 'emailPassword(email)'),
      password: text(password, 'emailPassword(…, password)'),
    });
  }

  /** A payload for the server's custom authentication function (`custom-function`). */
  static function<P extends FunctionPayload = FunctionPayload>(payload: P): Credentials<P> {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw new TypeError('function(payload) needs an object');
    return new Credentials('custom-function', 'custom-function', false, payload);
  }

  /** A JSON Web Token signed by another service (`custom-token`). */
  static jwt(token: string): Credentials<JWTPayload> {
    return new Credentials('custom-token', 'custom-token', false, { token: text(token, 'jwt(token)') });
  }

  /**
   * The app's hosted sign-in page (`<baseUrl>/app/<id>/login`) in a popup: the person signs in (or signs up)
   * there with email and password, the page returns to `redirectUrl` — one of the app's `oauthRedirectUris`,
   * a page that calls {@link handleAuthRedirect} — and this window gets the session.
   *
   * @example
   * ```ts
   * const user = await app.logIn(Credentials.hostedPage('https://notes.example.com/auth/callback'));
   * ```
   */
  static hostedPage(redirectUrl: string): Credentials<OAuth2RedirectPayload> {
    return new Credentials(HOSTED_PAGE, 'local-userpass', false, {
      redirectUrl: text(redirectUrl, 'hostedPage(redirectUrl)'),
    });
  }

  /**
   * Google (`oauth2-google`): `{ idToken }` (sent as `id_token`), `{ authCode }`, or `{ redirectUrl }` for the
   * browser redirect flow (the page at `redirectUrl` calls {@link handleAuthRedirect}).
   */
  static google(
    payload: { idToken: string } | GoogleAuthCodePayload | OAuth2RedirectPayload,
  ): Credentials<GoogleIdTokenPayload | GoogleAuthCodePayload | OAuth2RedirectPayload> {
    const keys = typeof payload === 'object' && payload !== null ? Object.keys(payload) : [];
    const [key] = keys;
    if (keys.length !== 1 || (key !== 'idToken' && key !== 'authCode' && key !== 'redirectUrl'))
      throw new TypeError('google() needs exactly one of { idToken }, { authCode } or { redirectUrl }');
    const value = text((payload as Record<string, unknown>)[key], `google({ ${key} })`);
    const body = key === 'idToken' ? { id_token: value } : (payload as GoogleAuthCodePayload | OAuth2RedirectPayload);
    return new Credentials('oauth2-google', 'oauth2-google', false, body);
  }

  /** Facebook (`oauth2-facebook`) with a user access token, or a redirect URL (any string with `://`). */
  static facebook(redirectUrlOrAccessToken: string): Credentials<FacebookPayload | OAuth2RedirectPayload> {
    const value = text(redirectUrlOrAccessToken, 'facebook(accessToken)');
    return new Credentials(
      'oauth2-facebook',
      'oauth2-facebook',
      false,
      value.includes('://') ? { redirectUrl: value } : { accessToken: value },
    );
  }

  /** Apple (`oauth2-apple`) with an ID token, or a redirect URL (any string with `://`). */
  static apple(redirectUrlOrIdToken: string): Credentials<ApplePayload | OAuth2RedirectPayload> {
    const value = text(redirectUrlOrIdToken, 'apple(idToken)');
    return new Credentials(
      'oauth2-apple',
      'oauth2-apple',
      false,
      value.includes('://') ? { redirectUrl: value } : { id_token: value },
    );
  }

  /**
   * A credential from an external service login (GitHub, Twitter/X, Google, any OpenID Connect service):
   * Meteor's `{ credentialToken, credentialSecret }`, as `accounts.loginWithGithub()` gets it from the popup or
   * the redirect. Redeemed once (`oauth-credential`); with `user.linkCredentials()` it adds the service to the
   * user.
   */
  static externalService(credential: { credentialToken: string; credentialSecret: string }): Credentials<{
    credentialToken: string;
    credentialSecret: string;
  }> {
    const credentialToken = text(credential?.credentialToken, 'externalService({ credentialToken })');
    const credentialSecret = text(credential?.credentialSecret, 'externalService({ credentialSecret })');
    return new Credentials('oauth-credential', 'oauth-credential', false, { credentialToken, credentialSecret });
  }

  /** The provider's name in the login URL; equal to its type for every provider. */
  readonly providerName: string;
  readonly providerType: ProviderType;
  /** Reuse a logged-in user of the same provider instead of logging in again (anonymous only). */
  readonly reuse: boolean;
  /** The body sent to the server, before `options.device` is added. */
  readonly payload: PayloadType;

  constructor(providerName: string, providerType: ProviderType, reuse: boolean, payload: PayloadType) {
    this.providerName = providerName;
    this.providerType = providerType;
    this.reuse = reuse;
    this.payload = payload;
  }
}

/** The provider name of {@link Credentials.hostedPage}: the login runs on the hosted page, not at an endpoint. */
export const HOSTED_PAGE = 'hosted-page';
