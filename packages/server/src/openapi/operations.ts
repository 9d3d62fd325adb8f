import { z } from 'zod';
import { credentialProviders } from '../providers/index.js';
import { changePasswordSchema } from '../routes/account.js';
import { nameSchema } from '../routes/api-keys.js';
import { passkeySchemas } from '../routes/passkeys.js';
import { secondFactorSchemas } from '../routes/second-factors.js';
import { userpassSchemas } from '../routes/userpass.js';
import type { Answer, Operation } from './document.js';

// ---- Answers (the routes shape them; these describe them) ---------------------------------------------------

const location = z.object({
  deployment_model: z.literal('GLOBAL'),
  location: z.string(),
  hostname: z.string().describe('`publicUrl`, without a trailing slash.'),
  ws_hostname: z.string(),
});
const loggedIn = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  user_id: z.string(),
  device_id: z.string(),
});
const linked = z.object({ access_token: z.string(), user_id: z.string(), device_id: z.string() });
const profile = z.object({
  user_id: z.string(),
  domain_id: z.string().describe('The app id.'),
  identities: z.array(
    z.object({
      id: z.string(),
      provider_type: z.string(),
      provider_id: z.string(),
      provider_data: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  data: z.record(z.string(), z.unknown()).describe('The profile, with `email` when the user has one.'),
  type: z.enum(['normal', 'server']),
});
const apiKey = z.object({ _id: z.string(), name: z.string(), disabled: z.boolean() });
const newApiKey = apiKey.extend({ key: z.string().describe('Shown only in this answer.') });
const meteorUser = z.object({
  _id: z.string(),
  username: z.string().optional(),
  emails: z.array(z.object({ address: z.string(), verified: z.boolean() })),
  profile: z.record(z.string(), z.unknown()),
  createdAt: z.number().describe('Milliseconds since 1970.'),
});
const session = z.object({
  id: z.string(),
  device_id: z.string().nullable(),
  provider_type: z.string(),
  kind: z.string(),
  created_at: z.number(),
  last_used_at: z.number(),
  expires_at: z.number(),
  current: z.boolean(),
});
const publicProvider = z.looseObject({
  type: z.string(),
  service: z.string().optional(),
  clientId: z.string().optional(),
});
const passkey = z.object({
  id: z.string(),
  name: z.string(),
  credentialId: z.string().describe('The WebAuthn credential id, base64url.'),
  transports: z.array(z.string()),
  deviceType: z.string().describe('`singleDevice` or `multiDevice` (synced).'),
  backedUp: z.boolean(),
  createdAt: z.number().describe('Milliseconds since 1970.'),
  lastUsedAt: z.number().nullable(),
});
const webauthnOptions = (what: string) => z.object({ options: z.record(z.string(), z.unknown()).describe(what) });
const empty = z.object({}).strict();
const status = (value: string) => z.object({ status: z.literal(value) });

const ok = (json: z.ZodType, description = 'OK'): Answer => ({ description, json });
const noContent: Answer = { description: 'Done; no body.' };
const page = (description: string): Answer => ({ description, content: 'html' });
const redirect = (description: string): Answer => ({ description, headers: { location: 'Where to go next.' } });
const script = (description: string): Answer => ({ description, content: 'javascript' });

const CLIENT = '/api/client/v2.0';
const APP = `${CLIENT}/app/:appId`;
const USERPASS = `${APP}/auth/providers/local-userpass`;

/** Health checks, the published keys and this document. */
const health: Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tag: 'Health',
    auth: 'none',
    responses: { 200: ok(status('ok')) },
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the database answers',
    tag: 'Health',
    auth: 'none',
    responses: {
      200: ok(status('ready')),
      503: ok(errorLike(status('unavailable')), 'The database does not answer.'),
    },
  },
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    summary: 'The public keys that verify access tokens',
    tag: 'Health',
    auth: 'none',
    responses: {
      200: ok(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), 'A JWK Set (cached 5 minutes).'),
    },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'Health',
    auth: 'none',
    responses: { 200: ok(z.record(z.string(), z.unknown()), 'The OpenAPI 3.1 document of every route.') },
  },
];

function errorLike<S extends z.ZodObject>(schema: S) {
  return schema.extend({ error: z.string(), error_code: z.string() });
}

/** Routes 1–22 of the App Services client API, as realm-web and the Realm SDKs call them. */
const clientApi: Operation[] = [
  {
    method: 'get',
    path: `${APP}/location`,
    summary: 'Where the app is served (route 1)',
    tag: 'App Services client API',
    auth: 'none',
    responses: { 200: ok(location) },
  },
  {
    method: 'post',
    path: `${APP}/auth/providers/:provider/login`,
    summary: 'Log in, or link a credential to the caller with `?link=true` (routes 2–3)',
    description:
      'The body is the credential of `{provider}`; clients may add `provider` (a string) and `options` (e.g. `{ "device": { "deviceId": … } }`), which are taken off before the credential is checked. With `?link=true` and the caller’s access token, the credential is added to the caller and the answer has no refresh token.',
    tag: 'App Services client API',
    auth: 'none',
    optionalAccess: true,
    query: { link: 'Present: link the credential to the user of the access token in `Authorization`.' },
    bodies: Object.fromEntries([...credentialProviders.values()].map((p) => [p.type, p.schema])),
    responses: { 200: ok(z.union([loggedIn, linked]), 'The tokens (a link: no refresh token).') },
  },
  {
    method: 'get',
    path: `${APP}/auth/providers/:provider/login`,
    summary: 'Start an OAuth2 redirect login at Google, Facebook or Apple (routes 21–22)',
    tag: 'App Services client API',
    auth: 'none',
    optionalAccess: true,
    query: {
      state: 'The client’s state, returned in the final redirect.',
      redirect: 'Where to send the browser at the end; must be in the app’s `oauthRedirectUris`.',
      device: 'The device information (base64 JSON).',
      link: 'Present: link to the user of the access token in `Authorization`.',
      providerRedirectHeader: '`true`: answer 200 with `X-BAAS-Location` instead of a redirect.',
    },
    responses: {
      200: {
        description: 'With `providerRedirectHeader=true`.',
        json: empty,
        headers: { 'x-baas-location': 'The IdP URL.' },
      },
      302: redirect('To the identity provider.'),
    },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/callback`,
    summary: 'The identity provider’s return of a redirect login',
    tag: 'App Services client API',
    auth: 'none',
    query: { code: 'The authorization code.', state: 'The state of the login.' },
    responses: {
      200: page('For a link: a page asking the person to confirm it.'),
      302: redirect('To the app page, with the outcome in the fragment (`_baas_client_app_id`, `_baas_ua`, …).'),
    },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/callback`,
    summary: 'The same, answered by `form_post` (Apple)',
    tag: 'App Services client API',
    auth: 'none',
    form: { code: 'The authorization code.', state: 'The state of the login.', user: 'Apple’s first-login name.' },
    responses: { 200: page('For a link: the confirmation page.'), 302: redirect('To the app page.') },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/callback/confirm`,
    summary: 'The link confirmation page’s form',
    tag: 'App Services client API',
    auth: 'none',
    form: { state: 'The pending link.', confirm: '`yes` to link; anything else cancels.' },
    responses: { 302: redirect('To the app page (`_baas_link=ok` or `_baas_error`).') },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/profile`,
    summary: 'The caller’s profile (route 4)',
    tag: 'App Services client API',
    auth: 'access',
    responses: { 200: ok(profile) },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/session`,
    summary: 'A new access token for the session of the refresh token (route 5)',
    tag: 'App Services client API',
    auth: 'refresh',
    responses: { 201: ok(z.object({ access_token: z.string() }), 'Created.') },
  },
  {
    method: 'delete',
    path: `${CLIENT}/auth/session`,
    summary: 'Log out: end the session of the refresh token (route 6)',
    tag: 'App Services client API',
    auth: 'refresh',
    responses: { 204: noContent },
  },
  {
    method: 'delete',
    path: `${CLIENT}/auth/delete`,
    summary: 'Delete the calling user (route 7)',
    tag: 'App Services client API',
    auth: 'access',
    responses: { 204: noContent },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/api_keys`,
    summary: 'Create an API key of the caller (route 8)',
    tag: 'App Services client API',
    auth: 'refresh',
    body: nameSchema,
    responses: { 201: ok(newApiKey, 'Created; the key is shown only here.') },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/api_keys`,
    summary: 'The caller’s API keys (route 9)',
    tag: 'App Services client API',
    auth: 'refresh',
    responses: { 200: ok(z.array(apiKey)) },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/api_keys/:keyId`,
    summary: 'One of the caller’s API keys (route 10)',
    tag: 'App Services client API',
    auth: 'refresh',
    responses: { 200: ok(apiKey) },
  },
  {
    method: 'delete',
    path: `${CLIENT}/auth/api_keys/:keyId`,
    summary: 'Delete one of the caller’s API keys (route 11)',
    tag: 'App Services client API',
    auth: 'refresh',
    responses: { 204: noContent },
  },
  ...(['enable', 'disable'] as const).map(
    (action): Operation => ({
      method: 'put',
      path: `${CLIENT}/auth/api_keys/:keyId/${action}`,
      summary: `${action === 'enable' ? 'Enable' : 'Disable'} one of the caller’s API keys (route ${action === 'enable' ? 12 : 13})`,
      tag: 'App Services client API',
      auth: 'refresh',
      responses: { 204: noContent },
    }),
  ),
  ...(
    [
      ['/register', 'Sign up with an email (or username) and password (route 14)', userpassSchemas.register, 201],
      ['/confirm', 'Confirm an email with the mailed token (route 15)', userpassSchemas.token, 200],
      ['/confirm/send', 'Mail the confirmation again (route 16)', userpassSchemas.email, 200],
      ['/confirm/call', 'Run the custom confirmation function again (route 17)', userpassSchemas.email, 200],
      ['/reset/send', 'Mail a password reset link (route 18)', userpassSchemas.email, 200],
      ['/reset', 'Set a new password with the mailed token (route 19)', userpassSchemas.reset, 200],
      ['/reset/call', 'Reset the password through the reset function (route 20)', userpassSchemas.resetCall, 200],
    ] as const
  ).map(
    ([suffix, summary, body, code]): Operation => ({
      method: 'post',
      path: `${USERPASS}${suffix}`,
      summary,
      tag: 'App Services client API',
      auth: 'none',
      body,
      responses: { [code]: ok(empty, code === 201 ? 'Created.' : 'Done.') },
    }),
  ),
];

/** Gatehouse's extensions under the same prefix (App Services had none). */
const extensions: Operation[] = [
  {
    method: 'get',
    path: `${APP}/auth/providers`,
    summary: 'The app’s login methods, public fields only',
    tag: 'Extensions',
    auth: 'none',
    responses: { 200: ok(z.object({ providers: z.array(publicProvider) })) },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/user`,
    summary: 'The caller’s Meteor user document',
    tag: 'Extensions',
    auth: 'access',
    responses: { 200: ok(meteorUser) },
  },
  {
    method: 'patch',
    path: `${CLIENT}/auth/user`,
    summary: 'Edit the caller’s own `profile` with a Mongo modifier (`$set`/`$unset`/`$inc` on `profile…`)',
    tag: 'Extensions',
    auth: 'access',
    body: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .describe('e.g. `{ "$set": { "profile.name": "Ada" } }`'),
    responses: { 200: ok(meteorUser, 'The document after the edit.') },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/sessions`,
    summary: 'The caller’s live sessions, newest first',
    tag: 'Extensions',
    auth: 'access',
    responses: { 200: ok(z.array(session)) },
  },
  {
    method: 'delete',
    path: `${CLIENT}/auth/sessions/:sessionId`,
    summary: 'End one of the caller’s sessions',
    tag: 'Extensions',
    auth: 'access',
    responses: { 204: noContent },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/sessions/logout-others`,
    summary: 'End every session of the caller but this one',
    tag: 'Extensions',
    auth: 'access',
    responses: { 200: ok(z.object({ revoked: z.number().int() })) },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/password`,
    summary: 'Change the caller’s password (other sessions end)',
    tag: 'Extensions',
    auth: 'access',
    body: changePasswordSchema,
    responses: { 204: noContent },
  },
  {
    method: 'post',
    path: `${APP}/auth/providers/passkey/options`,
    summary: 'Passkey sign-in options (then the `passkey` login with `{ response }`)',
    description: 'A single-use challenge and an empty `allowCredentials`: the browser offers any passkey of the site.',
    tag: 'Extensions',
    auth: 'none',
    responses: { 200: ok(webauthnOptions('For `navigator.credentials.get()` (`startAuthentication`).')) },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/passkeys/options`,
    summary: 'Passkey registration options for the caller',
    tag: 'Extensions',
    auth: 'access',
    responses: { 200: ok(webauthnOptions('For `navigator.credentials.create()` (`startRegistration`).')) },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/passkeys`,
    summary: 'Register a passkey on the caller (the browser’s answer to the registration options)',
    tag: 'Extensions',
    auth: 'access',
    body: passkeySchemas.register,
    responses: { 201: ok(passkey, 'The new passkey.') },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/passkeys`,
    summary: 'The caller’s passkeys, oldest first',
    tag: 'Extensions',
    auth: 'access',
    responses: { 200: ok(z.object({ passkeys: z.array(passkey) })) },
  },
  {
    method: 'patch',
    path: `${CLIENT}/auth/passkeys/:passkeyId`,
    summary: 'Rename one of the caller’s passkeys',
    tag: 'Extensions',
    auth: 'access',
    body: passkeySchemas.rename,
    responses: { 204: noContent },
  },
  {
    method: 'delete',
    path: `${CLIENT}/auth/passkeys/:passkeyId`,
    summary: 'Remove one of the caller’s passkeys',
    tag: 'Extensions',
    auth: 'access',
    responses: { 204: noContent },
  },
  {
    method: 'post',
    path: `${APP}/auth/providers/email-code/send`,
    summary: 'Mail a passwordless login code and link (then log in with provider `email-code`)',
    description:
      'Makes a user for an address without one unless `createUser` is false (then 404 `UserNotFound`, or `{}` when the app sets `preventAccountEnumeration`). Needs `accounts.passwordless`.',
    tag: 'Extensions',
    auth: 'none',
    body: secondFactorSchemas.send,
    responses: { 200: ok(empty) },
  },
  {
    method: 'get',
    path: `${CLIENT}/auth/two-factor`,
    summary: 'Whether the caller has two-factor sign-in on, and how many recovery codes are left',
    tag: 'Extensions',
    auth: 'access',
    responses: { 200: ok(z.object({ enabled: z.boolean(), recoveryCodesLeft: z.number().int() })) },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/two-factor/activation`,
    summary: 'A new pending TOTP secret and its QR code (409 `TwoFactorEnabled` while it is on)',
    tag: 'Extensions',
    auth: 'access',
    body: secondFactorSchemas.activation,
    responses: {
      200: ok(
        z.object({
          svg: z.string().describe('The QR code of `uri`, as SVG.'),
          secret: z.string().describe('Base32.'),
          uri: z.string().describe('`otpauth://totp/…`'),
        }),
      ),
    },
  },
  {
    method: 'post',
    path: `${CLIENT}/auth/two-factor/enable`,
    summary: 'Turn two-factor on with a first code (a wrong one: 401 `TwoFactorInvalid`, it stays off)',
    tag: 'Extensions',
    auth: 'access',
    body: secondFactorSchemas.enable,
    responses: { 200: ok(z.object({ recoveryCodes: z.array(z.string()).describe('Ten, shown only here.') })) },
  },
  {
    method: 'delete',
    path: `${CLIENT}/auth/two-factor`,
    summary: 'Turn two-factor off; the secret and recovery codes are forgotten',
    tag: 'Extensions',
    auth: 'access',
    responses: { 204: noContent },
  },
];

/** Meteor's external-service callbacks and the pages email links land on (HTML, for browsers). */
const pages: Operation[] = [
  ...['/_oauth/:service', '/_oauth/:service/', '/app/:appId/_oauth/:service', '/app/:appId/_oauth/:service/'].flatMap(
    (path): Operation[] =>
      (['get', 'post'] as const).map((method) => ({
        method,
        path,
        summary: `Meteor external service ${path.startsWith('/app') ? 'of an app' : 'of the first app'}: start (\`requestTokenAndRedirect\`) or finish a login`,
        tag: 'Pages',
        auth: 'none',
        ...(method === 'get'
          ? {
              query: {
                requestTokenAndRedirect: 'Start a login.',
                state: 'The login’s state.',
                code: 'The service’s code.',
              },
            }
          : { form: { state: 'The login’s state.', code: 'The service’s code (a form or JSON body).' } }),
        responses: { 200: page('The page that hands the credential to the opener.'), 302: redirect('To the service.') },
      })),
  ),
  {
    method: 'get',
    path: '/app/:appId/login',
    summary: 'The hosted sign-in page',
    description:
      'Sign in, sign up or ask for a reset link with the login UI\'s elements, then back to `redirect` with the session in the fragment, as the OAuth redirect flow does (docs/ui.md, "Hosted pages"). With `loginToken` (a passwordless mail\'s link, when the app set no `loginTokenUrl`) it shows that code instead and signs nobody in.',
    tag: 'Pages',
    auth: 'none',
    query: {
      redirect: "Where to return: one of the app's `oauthRedirectUris`, exactly.",
      state: 'Handed back as `_baas_state` (1 to 64 letters, digits, `-`, `_`).',
      lang: 'The language (else `Accept-Language`; else English).',
      loginToken: "A passwordless mail's code, to show.",
      selector: 'The address that code went to.',
    },
    responses: {
      200: page('The sign-in page, or the passwordless code.'),
      400: page('A `redirect` missing or not on the list: the refusal, and no redirect.'),
    },
  },
  {
    method: 'get',
    path: '/ui/gatehouse-ui.js',
    summary: "The login UI's browser bundle (`@gatehouse-auth/ui`), for any page",
    tag: 'Pages',
    auth: 'none',
    responses: { 200: script('One ES module with every element and language; gzipped when accepted.') },
  },
  {
    method: 'get',
    path: '/ui/hosted.js',
    summary: "The hosted pages' script",
    tag: 'Pages',
    auth: 'none',
    responses: { 200: script('The script of the hosted pages.') },
  },
  ...(['confirm', 'reset'] as const).flatMap((kind): Operation[] => [
    {
      method: 'get',
      path: `/app/:appId/${kind}`,
      summary: kind === 'confirm' ? 'The page of a confirmation link' : 'The page of a password reset link',
      description:
        'The login UI\'s element (a plain form without JavaScript), with "send a new link". Opening the page spends nothing (mail scanners prefetch links): its button does.',
      tag: 'Pages',
      auth: 'none',
      query: { token: 'The mailed token.', tokenId: 'The mailed token id.', lang: 'The language.' },
      responses: { 200: page('The page with its form.') },
    },
    {
      method: 'post',
      path: `/app/:appId/${kind}`,
      summary: kind === 'confirm' ? 'Confirm the email' : 'Set the new password',
      tag: 'Pages',
      auth: 'none',
      form:
        kind === 'confirm'
          ? { token: 'The mailed token.', tokenId: 'The mailed token id.' }
          : {
              token: 'The mailed token.',
              tokenId: 'The mailed token id.',
              password: 'The new password.',
              confirm: 'It again.',
            },
      responses: { 200: page('Done, or what went wrong.') },
    },
  ]),
];

/** Only with `dangerouslyEnableDevPages` (development). */
export const devOperations: Operation[] = [
  {
    method: 'get',
    path: '/',
    summary: 'The demo page (development only)',
    tag: 'Development',
    auth: 'none',
    responses: { 200: page('The demo page.') },
  },
  {
    method: 'get',
    path: '/dev/demo.js',
    summary: "The demo page's script (development only)",
    tag: 'Development',
    auth: 'none',
    responses: { 200: script('The script of the demo page.') },
  },
  {
    method: 'get',
    path: '/dev/outbox',
    summary: 'The mail outbox (development only)',
    tag: 'Development',
    auth: 'none',
    responses: { 200: page('The mails sent.') },
  },
  {
    method: 'get',
    path: '/dev/outbox.json',
    summary: 'The mail outbox as JSON (development only)',
    tag: 'Development',
    auth: 'none',
    responses: { 200: ok(z.array(z.record(z.string(), z.unknown()))) },
  },
];

/**
 * Every operation of the HTTP API, in the order of the reference (the development pages only when they are
 * mounted). `httpRoutes` serves the document of this list, and a module that mounts more routes there (the
 * admin API) appends its operations to the list beside its `router.route(…)` call — and to
 * `referenceDocument()` for the reference page. `openapi.test.ts` fails while the list and the mounted routes
 * differ.
 */
export function allOperations(options: { devPages: boolean }): Operation[] {
  return [...health, ...clientApi, ...extensions, ...pages, ...(options.devPages ? devOperations : [])];
}
