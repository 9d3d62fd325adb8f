import { GatehouseError, isGatehouseError, type JsonObject } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';

/**
 * Meteor's account hooks, from the config module's `hooks`, applied by the account core to every account
 * creation and login — HTTP, DDP, OAuth and the server API alike (docs/hooks.md). A hook that throws refuses
 * with its message; it never crashes the server. Each call is bounded in time.
 */

/**
 * Who is creating an account: a client signing up with a password (`signup`), an anonymous login, a first
 * login with an outside identity (`external`: OAuth, custom JWT, custom function), or the operator and server
 * code (`server`). The sign-up rules differ by origin (see {@link prepareNewUser}).
 */
export type AccountOrigin = 'signup' | 'anonymous' | 'external' | 'server';

/** The user as hooks see it: Meteor's document shape (`_id`), never services or password hashes. */
export interface HookUser {
  _id: string;
  username?: string;
  emails: { address: string; verified: boolean }[];
  profile: JsonObject;
  createdAt: Date;
}

/** Meteor's login attempt object. */
export interface LoginAttempt {
  /** `password`, `resume`, or the provider type (`anon-user`, `oauth2-google`, …). */
  type: string;
  allowed: boolean;
  error?: { error: string; reason: string };
  user?: HookUser;
  /** `login` (DDP and HTTP logins alike) or `createUser`. */
  methodName: string;
  connection: { clientAddress: string | null; httpHeaders: { 'user-agent'?: string } };
  /** The Gatehouse app the attempt is for. */
  appId: string;
}

const HOOK_TIMEOUT_MS = 10_000;

type Hook = (...args: never[]) => unknown;

function list(value: Hook | Hook[] | undefined): Hook[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

async function call(name: string, fn: Hook, args: unknown[]): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(() => (fn as (...a: unknown[]) => unknown)(...args)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hook ${name} timed out`)), HOOK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The refusal a hook's exception becomes: its own message, as Meteor passes a thrown error through. */
function refusal(error: unknown, fallback: string): GatehouseError {
  if (isGatehouseError(error)) return error;
  const message = error instanceof Error && error.message ? error.message.slice(0, 500) : fallback;
  return new GatehouseError('Forbidden', message);
}

export function hookUser(user: Pick<UserRecord, 'id' | 'username' | 'emails' | 'profile' | 'createdAt'>): HookUser {
  return {
    _id: user.id,
    ...(user.username === null ? {} : { username: user.username }),
    emails: user.emails.map((e) => ({ address: e.address, verified: e.verified })),
    profile: structuredClone(user.profile),
    createdAt: new Date(user.createdAt),
  };
}

/**
 * The user as login hooks see it, cut by the app's `defaultFieldSelector` (Meteor applies it to
 * `attempt.user` and the `onLogout` user): `_id` always; with 1s only those fields, with 0s all but those.
 */
export function selectHookUserFields(app: AppSettings | undefined, user: HookUser): HookUser {
  const selector = app?.accounts.defaultFieldSelector;
  if (!selector || Object.keys(selector).length === 0) return user;
  const include = Object.values(selector)[0] === 1;
  const out: Record<string, unknown> = { _id: user._id };
  for (const [key, value] of Object.entries(user)) {
    if (key === '_id') continue;
    const named = key in selector;
    if (include ? named : !named) out[key] = value;
  }
  return out as unknown as HookUser;
}

/**
 * Runs the app's sign-up rules, then `onCreateUser(options, user)`, then every `validateNewUser(user)` for a
 * user about to be created, and returns the profile to store. `onCreateUser` may change the profile (Meteor's
 * default copies `options.profile`); a falsy validation refuses with `User validation failed`. `options` is
 * what the client sent (Meteor passes any extra fields of `createUser` through to the hook).
 */
export async function prepareNewUser(
  ctx: ServerContext,
  app: AppSettings,
  options: Record<string, unknown>,
  user: HookUser,
  origin: AccountOrigin,
): Promise<JsonObject> {
  await checkSignup(app, user, origin);
  let candidate = user;
  const onCreateUser = ctx.config.hooks.onCreateUser as Hook | undefined;
  if (onCreateUser) {
    let result: unknown;
    try {
      result = await call('onCreateUser', onCreateUser, [structuredClone(options), structuredClone(candidate)]);
    } catch (error) {
      throw refusal(error, 'User validation failed');
    }
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      ctx.logger.error({ hook: 'onCreateUser' }, 'onCreateUser must return the user document');
      throw new GatehouseError('Forbidden', 'User validation failed');
    }
    const profile = (result as { profile?: unknown }).profile;
    candidate = {
      ...candidate,
      profile:
        profile && typeof profile === 'object' && !Array.isArray(profile)
          ? (JSON.parse(JSON.stringify(profile)) as JsonObject)
          : {},
    };
    if (JSON.stringify(candidate.profile).length > 16_384)
      throw new GatehouseError('Forbidden', 'User validation failed');
  }
  for (const validate of list(ctx.config.hooks.validateNewUser as Hook | Hook[] | undefined)) {
    let ok: unknown;
    try {
      ok = await call('validateNewUser', validate, [structuredClone(candidate)]);
    } catch (error) {
      throw refusal(error, 'User validation failed');
    }
    if (!ok) throw new GatehouseError('Forbidden', 'User validation failed');
  }
  return candidate.profile;
}

/**
 * The app's sign-up rules (Meteor's `forbidClientAccountCreation` and `restrictCreationByEmailDomain`),
 * checked before the hooks, as Meteor's first built-in `validateNewUser` does. `forbidClientAccountCreation`
 * stops password sign-ups by clients only (as Meteor's `createUser` method); the email-domain rule applies to
 * every account that has an address to check — sign-ups, the operator's, and first logins with an outside
 * identity (whose address is the one the provider gave) — and refuses such an account without an address.
 * Anonymous users have no address and are not sign-ups.
 */
async function checkSignup(app: AppSettings, user: HookUser, origin: AccountOrigin): Promise<void> {
  const { forbidClientAccountCreation, restrictCreationByEmailDomain: rule } = app.accounts;
  if (forbidClientAccountCreation && origin === 'signup') throw new GatehouseError('Forbidden', 'Signups forbidden');
  if (rule === undefined || origin === 'anonymous') return;
  const addresses = user.emails.map((e) => e.address);
  if (typeof rule === 'string') {
    const suffix = `@${rule.toLowerCase()}`;
    if (!addresses.some((a) => a.toLowerCase().endsWith(suffix)))
      throw new GatehouseError('Forbidden', `@${rule} email required`);
    return;
  }
  for (const address of addresses) {
    try {
      if (await call('restrictCreationByEmailDomain', rule as Hook, [address])) return;
    } catch (error) {
      throw refusal(error, "Email doesn't match the criteria.");
    }
  }
  throw new GatehouseError('Forbidden', "Email doesn't match the criteria.");
}

/** The user a refused login was for, kept beside the error so the hooks can see it without any client doing so. */
const usersOfFailures = new WeakMap<object, UserRecord>();

/**
 * Marks `error` (a wrong password) as a failed login of `user`: `validateLoginAttempt` and `onLoginFailure`
 * then get `attempt.user`, as Meteor's do. Nothing of it reaches the client.
 */
export function failedLoginUser<E extends object>(error: E, user: UserRecord): E {
  usersOfFailures.set(error, user);
  return error;
}

/**
 * One login attempt through the hooks: `run` proves the user (or throws the refusal); every
 * `validateLoginAttempt` may then refuse it (falsy → `Login forbidden`, a throw → its message, the last one
 * winning); `complete` runs only for an allowed attempt; `onLogin` or `onLoginFailure` hear the outcome.
 */
export async function attemptLogin<T>(
  ctx: ServerContext,
  app: AppSettings,
  attemptBase: { type: string; methodName: string; info: RequestInfo },
  run: () => Promise<UserRecord>,
  complete: (user: UserRecord) => Promise<T>,
): Promise<T> {
  const hooks = ctx.config.hooks;
  const validators = list(hooks.validateLoginAttempt as Hook | Hook[] | undefined);
  const attempt: LoginAttempt = {
    type: attemptBase.type,
    allowed: false,
    methodName: attemptBase.methodName,
    connection: {
      clientAddress: attemptBase.info.address,
      httpHeaders: attemptBase.info.userAgent ? { 'user-agent': attemptBase.info.userAgent } : {},
    },
    appId: app.id,
  };
  let refused: unknown;
  let user: UserRecord | undefined;
  try {
    user = await run();
    attempt.allowed = true;
    attempt.user = selectHookUserFields(app, hookUser(user));
  } catch (error) {
    refused = error;
    attempt.error = describe(error);
    const failedUser = error !== null && typeof error === 'object' ? usersOfFailures.get(error) : undefined;
    if (failedUser) attempt.user = selectHookUserFields(app, hookUser(failedUser));
  }
  for (const validate of validators) {
    try {
      if (!(await call('validateLoginAttempt', validate, [structuredClone(attempt)])) && attempt.allowed) {
        attempt.allowed = false;
        refused ??= new GatehouseError('Forbidden', 'Login forbidden');
      }
    } catch (error) {
      attempt.allowed = false;
      refused = refusal(error, 'Login forbidden');
    }
    if (!attempt.allowed && refused !== undefined) attempt.error = describe(refused);
  }
  if (!attempt.allowed || user === undefined) {
    await notify(ctx, 'onLoginFailure', attempt);
    throw refused ?? new GatehouseError('Forbidden', 'Login forbidden');
  }
  const result = await complete(user);
  await notify(ctx, 'onLogin', attempt);
  return result;
}

/** `onLogout({ user })` after a session ended by its owner. */
export async function notifyLogout(
  ctx: ServerContext,
  user: UserRecord | null,
  info: RequestInfo | null,
): Promise<void> {
  for (const hook of list(ctx.config.hooks.onLogout as Hook | Hook[] | undefined)) {
    try {
      await call('onLogout', hook, [
        {
          user: user ? selectHookUserFields(ctx.config.apps.get(user.appId), hookUser(user)) : undefined,
          connection: { clientAddress: info?.address ?? null },
        },
      ]);
    } catch (error) {
      ctx.logger.warn({ hook: 'onLogout', err: String(error) }, 'hook threw; ignored');
    }
  }
}

async function notify(ctx: ServerContext, name: 'onLogin' | 'onLoginFailure', attempt: LoginAttempt): Promise<void> {
  for (const hook of list(ctx.config.hooks[name] as Hook | Hook[] | undefined)) {
    try {
      await call(name, hook, [structuredClone(attempt)]);
    } catch (error) {
      // Meteor logs and ignores exceptions from these callbacks.
      ctx.logger.warn({ hook: name, err: String(error) }, 'hook threw; ignored');
    }
  }
}

function describe(error: unknown): { error: string; reason: string } {
  if (isGatehouseError(error)) return { error: error.code, reason: error.message };
  if (error && typeof error === 'object' && 'reason' in error && 'error' in error) {
    const e = error as { error: unknown; reason: unknown };
    return { error: String(e.error), reason: String(e.reason) };
  }
  return { error: 'Error', reason: error instanceof Error ? error.message : String(error) };
}

/**
 * The user as the `customData` hook sees it: App Services' user object (`id`, `type`, `identities`,
 * `custom_data` as `customData`) merged with the Meteor-style fields the other hooks get (`_id`, `emails`,
 * `profile`, `username`, `createdAt`). Copies: the hook cannot change the stored user.
 */
export interface CustomDataUser extends HookUser {
  id: string;
  appId: string;
  type: UserRecord['type'];
  identities: { id: string; providerType: string; providerId: string }[];
  /** The stored custom data (set with `gatehouse users set-custom-data`). */
  customData: JsonObject;
}

function customDataUser(user: UserRecord, app: AppSettings): CustomDataUser {
  return {
    ...hookUser(user),
    id: user.id,
    appId: app.id,
    type: user.type,
    identities: user.identities.map((i) => ({ id: i.id, providerType: i.providerType, providerId: i.providerId })),
    customData: structuredClone(user.customData),
  };
}

/** Largest custom-data object a hook may return (it travels in every access token). */
const MAX_CUSTOM_DATA_BYTES = 16_384;

/**
 * The custom user data an access token carries (`user_data`): what the config module's
 * `customData(user)` hook returns — called at every login and refresh, so `refreshCustomData()` sees
 * changes — or, without a hook, the stored `custom_data`. A failing hook, or one returning something that is
 * not a JSON object of at most 16 KiB, is logged and the stored data is used: a refresh never fails for it.
 */
export async function customDataOf(
  ctx: ServerContext,
  app: AppSettings,
  user: Pick<UserRecord, 'id' | 'customData'>,
): Promise<JsonObject> {
  const hook = ctx.config.hooks.customData as Hook | undefined;
  if (!hook) return user.customData;
  try {
    const full = 'emails' in user ? (user as UserRecord) : await ctx.storage.getUser(app.id, user.id);
    if (!full) return user.customData;
    const result = await call('customData', hook, [customDataUser(full, app)]);
    const json = result === null || typeof result !== 'object' || Array.isArray(result) ? null : JSON.stringify(result);
    if (json === null || json.length > MAX_CUSTOM_DATA_BYTES)
      throw new Error('customData must return a JSON object of at most 16 KiB');
    return JSON.parse(json) as JsonObject;
  } catch (error) {
    ctx.logger.warn({ hook: 'customData', err: String(error) }, 'customData hook failed; using the stored custom data');
    return user.customData;
  }
}
