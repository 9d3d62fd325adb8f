import {
  fromBase64Url,
  GatehouseError,
  isGatehouseError,
  objectId,
  parseDuration,
  randomBytes,
  sha256,
  toBase64Url,
  utf8,
} from '@gatehouse-auth/core';
import {
  isStorageConflictError,
  type PasskeyRecord,
  type UserRecord,
  type WebauthnChallengePurpose,
} from '@gatehouse-auth/storage';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { failedLoginUser } from './hooks.js';
import { attemptLimits } from './limits.js';
import { refuseLogin } from './login.js';

/**
 * The WebAuthn library, loaded on first use: it and its dependencies take ~16 MB of memory in every process,
 * and most apps do not turn passkeys on.
 */
let webauthnLibrary: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (webauthnLibrary ??= import('@simplewebauthn/server'));

/** The provider type passkey sessions are recorded with, and the name of the provider in URLs. */
export const PASSKEY_PROVIDER = 'passkey';

/** Why a WebAuthn response was refused: in the error's `details.reason` and the `login-failed` event. */
export type PasskeyFailure =
  | 'malformed'
  | 'type'
  | 'challenge'
  | 'origin'
  | 'rp-id'
  | 'unknown-credential'
  | 'signature'
  | 'user-verification'
  | 'counter'
  | 'credential-in-use';

/** A passkey as its owner (and the CLI) sees it: never the public key. */
export interface PasskeyInfo {
  id: string;
  name: string;
  credentialId: string;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The app's WebAuthn settings with every default applied. */
export interface PasskeySettings {
  rpId: string;
  rpName: string;
  origins: string[];
  userVerification: 'required' | 'preferred';
  challengeLifetimeMs: number;
  maxPasskeysPerUser: number;
}

/**
 * The app's passkey settings, or `AuthProviderNotFound` when the app has passkeys off. The rp id defaults to
 * the host of `publicUrl`; the origins to those of `publicUrl`, the app's configured `rootUrl`, and the
 * `corsOrigins` whose host is the rp id or under it (a browser refuses any other origin for that rp id anyway).
 */
export function passkeySettings(ctx: ServerContext, app: AppSettings): PasskeySettings {
  const configured = app.providers.passkey;
  if (!configured?.enabled)
    throw new GatehouseError('AuthProviderNotFound', `authentication via '${PASSKEY_PROVIDER}' is unsupported`);
  const rpId = configured.rpId ?? new URL(ctx.config.publicUrl).hostname;
  const within = (origin: string) => {
    const host = safeHost(origin);
    return host !== null && (host === rpId || host.endsWith(`.${rpId}`));
  };
  const origins =
    configured.origins ??
    [
      ...new Set([
        new URL(ctx.config.publicUrl).origin,
        ...(app.rootUrlConfigured ? [new URL(app.rootUrl).origin] : []),
        ...ctx.config.corsOrigins.filter((o) => o !== '*').map((o) => o.replace(/\/+$/, '')),
      ]),
    ].filter(within);
  return {
    rpId,
    rpName: configured.rpName ?? app.name,
    origins,
    userVerification: configured.userVerification,
    challengeLifetimeMs: parseDuration(configured.challengeLifetime) as number,
    maxPasskeysPerUser: configured.maxPasskeysPerUser,
  };
}

/**
 * Registration, step 1: the options a signed-in user's browser passes to `navigator.credentials.create()`
 * (`startRegistration` of `@simplewebauthn/browser`). The challenge is stored as its hash, for this user only,
 * for `challengeLifetime`. Asks for a discoverable credential (a passkey the browser can offer without a user
 * name) and excludes the user's existing passkeys, so one authenticator is not registered twice.
 *
 * @example
 * ```ts
 * const options = await passkeyRegistrationOptions(ctx, app, user);
 * ```
 */
export async function passkeyRegistrationOptions(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const settings = passkeySettings(ctx, app);
  if (user.type === 'server') throw new GatehouseError('Forbidden', 'server users cannot have passkeys');
  const existing = await ctx.storage.listPasskeys(app.id, user.id);
  if (existing.length >= settings.maxPasskeysPerUser)
    throw new GatehouseError('InvalidParameter', `at most ${settings.maxPasskeysPerUser} passkeys per user`);
  const challenge = await issueChallenge(ctx, app, settings, 'registration', user.id);
  const name = user.username ?? user.emails[0]?.address ?? user.id;
  return (await webauthn()).generateRegistrationOptions({
    rpName: settings.rpName,
    rpID: settings.rpId,
    userName: name,
    userDisplayName: name,
    // The user handle the authenticator stores and returns at sign-in: the user id, nothing personal.
    userID: utf8(user.id),
    challenge,
    timeout: settings.challengeLifetimeMs,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
    authenticatorSelection: { residentKey: 'required', userVerification: settings.userVerification },
  });
}

/**
 * Registration, step 2: checks the browser's answer — this user's unanswered challenge (consumed, whatever the
 * outcome), an allowed origin, the rp id, user presence (and verification when `required`) — and stores the
 * passkey under `name` (default: "Passkey"). Refusals are `PasskeyRejected` with the reason in `details`.
 *
 * @example
 * ```ts
 * const passkey = await registerPasskey(ctx, app, user, { response, name: 'Laptop' }, info);
 * ```
 */
export async function registerPasskey(
  ctx: ServerContext,
  app: AppSettings,
  user: UserRecord,
  input: { response: RegistrationResponseJSON; name?: string | undefined },
  info: RequestInfo,
): Promise<PasskeyInfo> {
  const settings = passkeySettings(ctx, app);
  if (user.type === 'server') throw new GatehouseError('Forbidden', 'server users cannot have passkeys');
  const challenge = await takeChallenge(ctx, app, settings, input.response, 'registration', user.id);
  let verified: Awaited<ReturnType<typeof import('@simplewebauthn/server').verifyRegistrationResponse>>;
  try {
    verified = await (await webauthn()).verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      requireUserVerification: settings.userVerification === 'required',
    });
  } catch (error) {
    throw rejected(failureOf(error));
  }
  if (!verified.verified) throw rejected('signature');
  const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
  try {
    const stored = await ctx.storage.createPasskey({
      id: objectId(ctx.now()),
      appId: app.id,
      userId: user.id,
      credentialId: credential.id,
      publicKey: toBase64Url(credential.publicKey),
      counter: credential.counter,
      transports: (credential.transports ?? input.response.response.transports ?? []).slice(0, 10),
      name: input.name?.trim() || 'Passkey',
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      now: ctx.now(),
    });
    await ctx.events.emit({
      type: 'passkey-added',
      appId: app.id,
      userId: user.id,
      address: info.address,
      detail: { passkeyId: stored.id },
    });
    return passkeyInfo(stored);
  } catch (error) {
    if (isStorageConflictError(error) && error.target === 'passkey') throw rejected('credential-in-use');
    throw error;
  }
}

/**
 * Sign-in, step 1: options for `navigator.credentials.get()` with an empty `allowCredentials`, so the browser
 * offers every passkey it has for the rp id (also as autofill: conditional UI). The challenge is stored as its
 * hash for `challengeLifetime`. Anyone may ask; the per-address budget for failures applies when it is
 * answered.
 */
export async function passkeyAuthenticationOptions(
  ctx: ServerContext,
  app: AppSettings,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const settings = passkeySettings(ctx, app);
  const challenge = await issueChallenge(ctx, app, settings, 'authentication', null);
  return (await webauthn()).generateAuthenticationOptions({
    rpID: settings.rpId,
    challenge,
    timeout: settings.challengeLifetimeMs,
    allowCredentials: [],
    userVerification: settings.userVerification,
  });
}

/**
 * Sign-in, step 2: proves a user by a passkey's answer to one of the app's unanswered sign-in challenges. In
 * order: the failed-attempt limits of the address; the challenge (consumed whatever the outcome); the origin;
 * the passkey by credential id, and the limits of its user; the signature over the rp id, user presence (and
 * verification when `required`); the signature counter, which must grow when the authenticator keeps one — a
 * lower or equal counter is a cloned authenticator and refused — and is moved atomically, so of two clones
 * presenting the same counter only one gets in. A failure counts on the limits and is announced as
 * `login-failed`; the refusal is `PasskeyRejected` with the reason in `details`. Called inside `logIn`.
 */
export async function verifyPasskeyLogin(
  ctx: ServerContext,
  app: AppSettings,
  response: AuthenticationResponseJSON,
  info: RequestInfo,
): Promise<UserRecord> {
  const settings = passkeySettings(ctx, app);
  const addressLimits = attemptLimits(ctx, app, null, info.address);
  await addressLimits.check();
  const fail = async (reason: PasskeyFailure, user: UserRecord | null): Promise<never> => {
    await (user ? attemptLimits(ctx, app, `user:${user.id}`, info.address) : addressLimits).failed();
    const refusal = { userId: user?.id ?? null, provider: PASSKEY_PROVIDER, reason, info };
    const error = await refuseLogin(ctx, app, refusal, rejected(reason));
    throw user ? failedLoginUser(error, user) : error;
  };

  let challenge: string;
  try {
    challenge = await takeChallenge(ctx, app, settings, response, 'authentication', null);
  } catch (error) {
    if (!isGatehouseError(error) || error.code !== 'PasskeyRejected') throw error;
    return fail(error.details?.reason as PasskeyFailure, null);
  }
  const passkey = await ctx.storage.findPasskeyByCredentialId(app.id, response.id);
  const user = passkey ? await ctx.storage.getUser(app.id, passkey.userId) : null;
  if (!passkey || !user) return fail('unknown-credential', null);
  const limits = attemptLimits(ctx, app, `user:${user.id}`, info.address);
  await limits.check();
  // The user handle, when the authenticator returns one, must name the passkey's owner.
  const handle = response.response.userHandle;
  if (handle !== undefined && handle !== '' && decodeUtf8(handle) !== user.id) return fail('signature', user);

  let verified: Awaited<ReturnType<typeof import('@simplewebauthn/server').verifyAuthenticationResponse>>;
  try {
    verified = await (await webauthn()).verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      credential: {
        id: passkey.credentialId,
        publicKey: fromBase64Url(passkey.publicKey) as Uint8Array<ArrayBuffer>,
        counter: passkey.counter,
        transports: transportsOf(passkey),
      },
      requireUserVerification: settings.userVerification === 'required',
    });
  } catch (error) {
    return fail(failureOf(error), user);
  }
  if (!verified.verified) return fail('signature', user);
  const moved = await ctx.storage.usePasskey(
    app.id,
    passkey.id,
    passkey.counter,
    verified.authenticationInfo.newCounter,
    ctx.now(),
  );
  if (!moved) return fail('counter', user);
  await limits.succeeded();
  return user;
}

/** The user's passkeys, oldest first, without their public keys. */
export async function listPasskeys(ctx: ServerContext, user: UserRecord): Promise<PasskeyInfo[]> {
  return (await ctx.storage.listPasskeys(user.appId, user.id)).map(passkeyInfo);
}

/** Renames one of the user's passkeys; `PasskeyNotFound` if the user has no such passkey. */
export async function renamePasskey(
  ctx: ServerContext,
  user: UserRecord,
  passkeyId: string,
  name: string,
  info: RequestInfo,
): Promise<void> {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100)
    throw new GatehouseError('InvalidParameter', 'a passkey name has 1 to 100 characters');
  if (!(await ctx.storage.renamePasskey(user.appId, user.id, passkeyId, trimmed))) throw passkeyNotFound();
  await ctx.events.emit({
    type: 'passkey-renamed',
    appId: user.appId,
    userId: user.id,
    address: info.address,
    detail: { passkeyId },
  });
}

/**
 * Removes one of the user's passkeys (the user, or an administrator for them); `PasskeyNotFound` if the user
 * has no such passkey. Sessions it started stay: they are ended like any other.
 */
export async function removePasskey(
  ctx: ServerContext,
  user: UserRecord,
  passkeyId: string,
  info: RequestInfo,
): Promise<void> {
  if (!(await ctx.storage.deletePasskey(user.appId, user.id, passkeyId))) throw passkeyNotFound();
  await ctx.events.emit({
    type: 'passkey-removed',
    appId: user.appId,
    userId: user.id,
    address: info.address,
    detail: { passkeyId },
  });
}

/** Removes every passkey of a user (an administrator's reset, for a lost device); returns how many. */
export async function removeAllPasskeys(ctx: ServerContext, user: UserRecord, info: RequestInfo): Promise<number> {
  const count = await ctx.storage.deleteUserPasskeys(user.appId, user.id);
  if (count > 0)
    await ctx.events.emit({
      type: 'passkey-removed',
      appId: user.appId,
      userId: user.id,
      address: info.address,
      detail: { all: true, count },
    });
  return count;
}

/**
 * A new random challenge, stored as the hash of its base64url form (what the browser echoes in the client
 * data). Returned as bytes: the library encodes those as they are, while a string would be encoded again.
 */
async function issueChallenge(
  ctx: ServerContext,
  app: AppSettings,
  settings: PasskeySettings,
  purpose: WebauthnChallengePurpose,
  userId: string | null,
): Promise<Uint8Array<ArrayBuffer>> {
  const challenge = randomBytes(32) as Uint8Array<ArrayBuffer>;
  const now = ctx.now();
  await ctx.storage.createWebauthnChallenge({
    id: objectId(now),
    appId: app.id,
    userId,
    purpose,
    challengeHash: await sha256(toBase64Url(challenge)),
    now,
    expiresAt: now + settings.challengeLifetimeMs,
  });
  return challenge;
}

/**
 * Reads the client data the browser signed, and consumes the challenge it names: one of this app's unanswered
 * challenges of `purpose` (and of `userId`, for a registration). Checks the type and the origin here too, so
 * each refusal has its own reason; the library checks both again.
 */
async function takeChallenge(
  ctx: ServerContext,
  app: AppSettings,
  settings: PasskeySettings,
  response: RegistrationResponseJSON | AuthenticationResponseJSON,
  purpose: WebauthnChallengePurpose,
  userId: string | null,
): Promise<string> {
  const clientData = parseClientData(response.response.clientDataJSON);
  if (!clientData) throw rejected('malformed');
  if (clientData.type !== (purpose === 'registration' ? 'webauthn.create' : 'webauthn.get')) throw rejected('type');
  const consumed = await ctx.storage.consumeWebauthnChallenge({
    appId: app.id,
    purpose,
    challengeHash: await sha256(clientData.challenge),
    userId,
    now: ctx.now(),
  });
  if (!consumed) throw rejected('challenge');
  if (!settings.origins.includes(clientData.origin)) throw rejected('origin');
  return clientData.challenge;
}

function parseClientData(encoded: string): { type: string; challenge: string; origin: string } | null {
  const bytes = fromBase64Url(encoded);
  if (!bytes) return null;
  try {
    const data = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const { type, challenge, origin } = data;
    if (typeof type !== 'string' || typeof challenge !== 'string' || typeof origin !== 'string') return null;
    return { type, challenge, origin };
  } catch {
    return null;
  }
}

/** The reason behind one of the library's refusals (it throws plain errors with messages). */
function failureOf(error: unknown): PasskeyFailure {
  const message = error instanceof Error ? error.message : '';
  if (/RP ID/i.test(message)) return 'rp-id';
  if (/origin/i.test(message)) return 'origin';
  if (/challenge/i.test(message)) return 'challenge';
  if (/counter/i.test(message)) return 'counter';
  if (/user verif/i.test(message) || /user (could not be verified|was not present)/i.test(message))
    return 'user-verification';
  if (/type/i.test(message)) return 'type';
  return 'signature';
}

function rejected(reason: PasskeyFailure): GatehouseError {
  const text: Record<PasskeyFailure, string> = {
    malformed: 'malformed passkey response',
    type: 'passkey response of the wrong type',
    challenge: 'passkey response for an unknown, expired or used challenge',
    origin: 'passkey response from an origin this app does not allow',
    'rp-id': 'passkey response for another relying party',
    'unknown-credential': 'unknown passkey',
    signature: 'passkey signature invalid',
    'user-verification': 'passkey response without user verification',
    counter: 'passkey signature counter did not increase (cloned authenticator?)',
    'credential-in-use': 'this passkey is already registered',
  };
  return new GatehouseError('PasskeyRejected', text[reason], { details: { reason } });
}

function passkeyNotFound(): GatehouseError {
  return new GatehouseError('PasskeyNotFound', 'passkey not found');
}

function passkeyInfo(p: PasskeyRecord): PasskeyInfo {
  return {
    id: p.id,
    name: p.name,
    credentialId: p.credentialId,
    transports: p.transports,
    deviceType: p.deviceType,
    backedUp: p.backedUp,
    createdAt: p.createdAt,
    lastUsedAt: p.lastUsedAt,
  };
}

function transportsOf(p: PasskeyRecord): AuthenticatorTransportFuture[] {
  return p.transports as AuthenticatorTransportFuture[];
}

function decodeUtf8(base64url: string): string | null {
  const bytes = fromBase64Url(base64url);
  return bytes ? new TextDecoder().decode(bytes) : null;
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).hostname;
  } catch {
    return null;
  }
}
