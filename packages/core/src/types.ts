/** Provider types of the App Services protocol; the provider *name* in URLs equals its type. */
export type ProviderType =
  | 'anon-user'
  | 'local-userpass'
  | 'api-key'
  | 'custom-token'
  | 'custom-function'
  | 'oauth2-google'
  | 'oauth2-facebook'
  | 'oauth2-apple'
  /** Gatehouse's extension: a credential from an external service login (Meteor's `login({ oauth })`). */
  | 'oauth-credential'
  /** Gatehouse's extension: a passkey (WebAuthn) sign-in. */
  | 'passkey'
  /** Gatehouse's extension: a passwordless login code mailed to an address. */
  | 'email-code'
  /** Gatehouse's extension: the second step of a login of a user with two-factor on. */
  | 'two-factor';

/** `normal` for app users, `server` for users behind server API keys. */
export type UserType = 'normal' | 'server';

/** A JSON object as stored in `profile`, `custom_data` and provider data. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
