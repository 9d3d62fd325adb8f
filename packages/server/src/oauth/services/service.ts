import type { JsonObject } from '@gatehouse-auth/core';
import { z } from 'zod';

/**
 * One external service a user can log in with, Meteor-style (`Meteor.loginWithGithub()` and friends): what
 * goes to the service's login page, and how its answer becomes Meteor's `services.<name>` data. The flow
 * around it — state, pending credentials, popup and redirect, user creation — is the same for every service
 * (`../meteor/`). Adding a service is adding one of these (see docs/external-services.md, "Adding a service").
 */
export type ExternalService = OAuth2Service | OAuth1Service;

interface ServiceBase<S extends ServiceSettings = ServiceSettings> {
  /** Meteor's service name, the `<name>` of `/_oauth/<name>` and `services.<name>`: `github`. */
  readonly name: string;
  /** For people: `GitHub`. */
  readonly label: string;
  /**
   * The identity provider type the user's identity is stored under (`oauth2-github`). Google, Facebook and Apple
   * use the App Services provider names, so one Google account is one user whichever protocol it came in by.
   */
  readonly identityProvider: string;
  /** The service's settings: Meteor's own property names (`clientId` | `appId` | `consumerKey`, `secret`, …). */
  readonly settings: z.ZodType<S>;
  /** The setting that names the client (shown publicly): `clientId`, `appId` or `consumerKey`. */
  readonly clientIdField: 'clientId' | 'appId' | 'consumerKey';
}

/** Options of `loginWith<Service>()` that reach the service (Meteor's names). */
export interface LoginOptions {
  requestPermissions?: string[];
  requestOfflineToken?: boolean;
  forceApprovalPrompt?: boolean;
  loginHint?: string;
  loginUrlParameters?: Record<string, string>;
}

export interface OAuth2Service<S extends ServiceSettings = ServiceSettings> extends ServiceBase<S> {
  readonly protocol: 'oauth2';
  /**
   * Whether a login must have been started by Gatehouse (`?requestTokenAndRedirect=true`), which sends a PKCE
   * challenge and a nonce. Services a Meteor client sends straight to the provider must not require it.
   */
  readonly requiresStart: boolean;
  /** The provider's login page for this request. */
  authorizationUrl(settings: S, request: AuthorizationRequest): Promise<URL>;
  /** Exchanges the code and reads the user: Meteor's `serviceData` (with `id`) and `options`. */
  finish(settings: S, answer: CodeAnswer): Promise<ServiceOutcome>;
}

export interface OAuth1Service<S extends ServiceSettings = ServiceSettings> extends ServiceBase<S> {
  readonly protocol: 'oauth1';
  /** The service's OAuth 1.0a endpoints. */
  endpoints(settings: S): { requestToken: string; authenticate: string; accessToken: string };
  /** Query parameters passed from the start request to the authenticate page (Twitter: `force_login`, …). */
  readonly authenticateParams: readonly string[];
  /** Reads the user with the access token (`signedGet` signs each request). */
  identify(settings: S, signedGet: (url: string) => Promise<unknown>, token: OAuth1Token): Promise<ServiceOutcome>;
}

export interface OAuth1Token {
  token: string;
  secret: string;
}

export interface AuthorizationRequest {
  /** `<rootUrl>/_oauth/<name>`. */
  redirectUri: string;
  state: string;
  options: LoginOptions;
  /** Sent when Gatehouse started the login: the S256 challenge of the verifier it keeps. */
  codeChallenge?: string;
  nonce?: string;
}

export interface CodeAnswer {
  /** The callback's parameters (query or form post). */
  params: URLSearchParams;
  code: string;
  redirectUri: string;
  /** The PKCE verifier and nonce, when Gatehouse started the login. */
  codeVerifier?: string;
  nonce?: string;
  now: number;
}

/** What a service says about the user: Meteor's `{ serviceData, options }`. */
export interface ServiceOutcome {
  /** `services.<name>`: `id` (a string) plus the service's fields and tokens. */
  serviceData: JsonObject & { id: string };
  /** Options for a new user (Meteor: `{ profile: { name } }`). */
  options: { profile?: JsonObject };
}

/** Settings every service has (Meteor's service configuration document, less `service`). */
export const commonSettings = {
  /** `popup` (default) or `redirect`, when the login call does not say. */
  loginStyle: z.enum(['popup', 'redirect']).optional(),
  /** Extra parameters for the service's login page (Meteor: Google only). */
  loginUrlParameters: z.record(z.string(), z.string().max(1000)).optional(),
};

export interface ServiceSettings {
  loginStyle?: 'popup' | 'redirect' | undefined;
  loginUrlParameters?: Record<string, string> | undefined;
  /** The client secret: sent to the service only, never shown. */
  secret: string;
  [key: string]: unknown;
}

/** Fields of `serviceData` that are secrets: kept encrypted at rest, never shown. */
export const SECRET_SERVICE_FIELDS = ['accessToken', 'refreshToken', 'idToken', 'accessTokenSecret'] as const;

/** Settings fields never shown (the publication and `GET …/auth/providers` leave them out). */
export const SECRET_SETTINGS_FIELDS = ['secret', 'privateKey'] as const;

/** An http(s) URL setting with a default (the real service's; tests point them at loopback stand-ins). */
export const endpoint = (fallback: string) =>
  z
    .url({ protocol: /^https?$/ })
    .default(fallback)
    .transform((v) => v.replace(/\/+$/, ''));

export const clientSecret = z.string().min(1, 'the client secret is required').max(4096);
