/**
 * `@gatehouse-auth/client/passkeys`: passkeys (WebAuthn) for Gatehouse apps — register one on the signed-in
 * user, sign in with one (also as browser autofill: conditional UI), list, rename and remove them. A separate
 * entry point, so apps without passkeys do not download the WebAuthn code; `@simplewebauthn/browser` itself is
 * loaded on first use.
 *
 * @example
 * ```ts
 * import { logInWithPasskey, registerPasskey } from '@gatehouse-auth/client/passkeys';
 *
 * await registerPasskey(app.currentUser!, { name: 'Laptop' });
 * const user = await logInWithPasskey(app);
 * ```
 */
// Only the app's context at run time (and types): this entry shares almost nothing with the main one, so a
// bundler that splits it off (the login UI loads it on demand) moves no SDK code into a shared chunk.
import type { App } from './app.js';
import { contexts } from './context.js';
import type { User } from './user.js';

const AUTH = '/api/client/v2.0/auth';

/** One of the user's passkeys, as `listPasskeys()` returns it (never its key). */
export interface PasskeyInfo {
  /** The passkey's id, for {@link renamePasskey} and {@link removePasskey}. */
  id: string;
  name: string;
  /** The WebAuthn credential id (base64url). */
  credentialId: string;
  /** How the authenticator can be reached (`internal`, `hybrid`, `usb`, …). */
  transports: string[];
  /** `multiDevice` for a synced passkey, `singleDevice` for one bound to its authenticator. */
  deviceType: string;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Options of {@link logInWithPasskey}. */
export interface PasskeyLoginOptions {
  /**
   * Conditional UI: wait for the person to pick a passkey from the browser's autofill of an input with
   * `autocomplete="username webauthn"`, instead of opening the passkey dialog. Call it when the sign-in form
   * appears; it resolves when a passkey is picked (and cancels with the next WebAuthn call).
   */
  useBrowserAutofill?: boolean;
  /**
   * With `useBrowserAutofill`, first check that the page has an `<input autocomplete="… webauthn">` (default:
   * true). Pass `false` when the input is inside a shadow root, where the check cannot see it.
   */
  verifyBrowserAutofillInput?: boolean;
}

type Browser = typeof import('@simplewebauthn/browser');
let browser: Promise<Browser> | undefined;
/** `@simplewebauthn/browser`, loaded once, on first use. */
function webauthn(): Promise<Browser> {
  browser ??= import('@simplewebauthn/browser');
  return browser;
}

/** Whether this browser can use passkeys at all (a secure context with WebAuthn). */
export function browserSupportsPasskeys(): boolean {
  return typeof globalThis.PublicKeyCredential === 'function' && globalThis.isSecureContext !== false;
}

/** Whether this browser offers passkeys in autofill (conditional UI). */
export async function browserSupportsPasskeyAutofill(): Promise<boolean> {
  return browserSupportsPasskeys() && (await webauthn()).browserSupportsWebAuthnAutofill();
}

/**
 * Signs in with a passkey: asks the server for a challenge, lets the browser sign it with a passkey the person
 * picks (any passkey of this site: no user name needed), and logs in with the answer like any other
 * credential — the user becomes `app.currentUser`.
 *
 * @throws ServerError `PasskeyRejected` (401) when the server refuses the answer; the browser's
 *   `WebAuthnError` / `NotAllowedError` when the person cancels.
 */
export async function logInWithPasskey(app: App, options: PasskeyLoginOptions = {}): Promise<User> {
  const request = await optionsFrom(
    contextOf(app).request({
      method: 'POST',
      path: `/api/client/v2.0/app/${encodeURIComponent(app.id)}/auth/providers/passkey/options`,
    }),
  );
  const { startAuthentication } = await webauthn();
  const response = await startAuthentication({
    optionsJSON: request as never,
    useBrowserAutofill: options.useBrowserAutofill === true,
    verifyBrowserAutofillInput: options.verifyBrowserAutofillInput !== false,
  });
  // The app's own `Credentials` class (`App.Credentials`), so `logIn` knows it.
  const { Credentials } = app.constructor as typeof App;
  return app.logIn(new Credentials('passkey', 'passkey', false, { response: response as never }));
}

/**
 * Registers a new passkey on the signed-in `user`: the server's options, the browser's dialog, the server's
 * check. Resolves with the new passkey.
 *
 * @throws ServerError `PasskeyRejected` when the server refuses the answer; the browser's errors when the person
 *   cancels or the authenticator already holds a passkey of this user (`InvalidStateError`).
 */
export async function registerPasskey(user: User, options: { name?: string } = {}): Promise<PasskeyInfo> {
  const creation = await optionsFrom(call(user, 'POST', `${AUTH}/passkeys/options`));
  const { startRegistration } = await webauthn();
  const response = await startRegistration({ optionsJSON: creation as never });
  const body = { response, ...(options.name ? { name: options.name } : {}) };
  return passkeyInfo(await call(user, 'POST', `${AUTH}/passkeys`, body));
}

/** The user's passkeys, oldest first. */
export async function listPasskeys(user: User): Promise<PasskeyInfo[]> {
  const body = (await call(user, 'GET', `${AUTH}/passkeys`)) as { passkeys?: unknown } | null;
  if (!Array.isArray(body?.passkeys)) throw new TypeError('expected a list of passkeys');
  return body.passkeys.map(passkeyInfo);
}

/** Renames one of the user's passkeys (1 to 100 characters). */
export async function renamePasskey(user: User, passkeyId: string, name: string): Promise<void> {
  await call(user, 'PATCH', path(passkeyId), { name });
}

/** Removes one of the user's passkeys; it signs in no more. */
export async function removePasskey(user: User, passkeyId: string): Promise<void> {
  await call(user, 'DELETE', path(passkeyId));
}

function path(passkeyId: string): string {
  if (typeof passkeyId !== 'string' || passkeyId === '') throw new TypeError('a passkey id must be a non-empty string');
  return `${AUTH}/passkeys/${encodeURIComponent(passkeyId)}`;
}

/** A request with the user's access token (refreshed first when it is about to expire). */
async function call(user: User, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
  const ctx = contextOf(user.app);
  return ctx.request({ method, path, body, token: await user.getAccessToken() });
}

async function optionsFrom(answer: Promise<unknown>): Promise<Record<string, unknown>> {
  const options = ((await answer) as { options?: unknown } | null)?.options;
  if (typeof options !== 'object' || options === null) throw new TypeError('expected passkey options');
  return options as Record<string, unknown>;
}

function contextOf(app: App) {
  const ctx = contexts.get(app);
  if (!ctx) throw new TypeError('expected an App of @gatehouse-auth/client');
  return ctx;
}

function passkeyInfo(raw: unknown): PasskeyInfo {
  const p = (raw ?? {}) as Record<string, unknown>;
  if (typeof p.id !== 'string') throw new TypeError('expected a passkey');
  return {
    id: p.id,
    name: String(p.name),
    credentialId: String(p.credentialId),
    transports: Array.isArray(p.transports) ? p.transports.map(String) : [],
    deviceType: String(p.deviceType),
    backedUp: p.backedUp === true,
    createdAt: new Date(Number(p.createdAt)),
    lastUsedAt: p.lastUsedAt === null || p.lastUsedAt === undefined ? null : new Date(Number(p.lastUsedAt)),
  };
}
