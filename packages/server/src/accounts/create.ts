import { GatehouseError, type JsonObject, objectId } from '@gatehouse-auth/core';
import { isStorageConflictError, type NewIdentity, type UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { requestFacts } from '../events/index.js';
import { type AccountOrigin, prepareNewUser } from './hooks.js';
import { normalizeEmail, normalizeUsername } from './identifiers.js';
import { countNewAccount } from './limits.js';
import { hashNewPassword, type PasswordInput } from './password-rules.js';

/** Largest `profile` a client may give a new account. */
export const MAX_PROFILE_BYTES = 16_384;

/** What a new account starts with. Everything is checked and normalised here. */
export interface NewAccount {
  username?: string | null;
  email?: string | null;
  /** Whether the address is already proven (an OAuth provider vouching for it, the operator saying so). */
  emailVerified?: boolean;
  /** A password to check against the app's policy and hash; `null`/absent: no password. */
  password?: PasswordInput | null;
  profile?: JsonObject;
  /** The identity the account is created for (email/password, anonymous, an outside provider). */
  identity: NewIdentity;
  /** The rest of what the client sent (Meteor's `createUser` options): `onCreateUser` sees it, nothing stores it. */
  options?: Record<string, unknown>;
  /**
   * An external service's data (`{ github: { id, accessToken, … } }`) for the hooks' `user.services`, as
   * Meteor's `onCreateUser` sees it; stored by the caller with the identity, not here.
   */
  services?: Record<string, JsonObject>;
}

/**
 * Creates an account — the one place users come into being, whatever the front: HTTP registration, DDP
 * `createUser`, anonymous and first federated logins, the server API and the CLI. In order: the per-address
 * budget for new accounts (client-made ones), names normalised, the password checked against the app's policy
 * and hashed (before any lookup, so a taken name costs as much time as a new one), the sign-up rules and the
 * `onCreateUser` / `validateNewUser` hooks, then one storage transaction. A name already taken is
 * `AccountNameInUse` with `details.taken` (`email` or `username`); nothing is left behind.
 *
 * @example
 * ```ts
 * const user = await createAccount(ctx, app, {
 *   email: 'ann@example.com', password: 'a long passphrase',
 *   identity: { providerType: 'local-userpass', providerId: 'local-userpass', subject: objectId() },
 * }, 'signup', info);
 * ```
 */
export async function createAccount(
  ctx: ServerContext,
  app: AppSettings,
  input: NewAccount,
  origin: AccountOrigin,
  info: RequestInfo | null,
): Promise<UserRecord> {
  if (origin === 'signup' || origin === 'anonymous') await countNewAccount(ctx, info?.address ?? null);
  // An empty name is a name given and refused, not a name left out.
  const username = input.username == null ? null : normalizeUsername(input.username);
  const email = input.email == null ? null : normalizeEmail(input.email);
  const given = input.profile ?? {};
  if (JSON.stringify(given).length > MAX_PROFILE_BYTES)
    throw new GatehouseError('BadRequest', 'profile is larger than 16 KiB');
  const passwordHash =
    input.password === undefined || input.password === null ? null : await hashNewPassword(ctx, app, input.password);
  const now = ctx.now();
  const id = objectId(now);
  const emails = email ? [{ address: email, verified: input.emailVerified === true }] : [];
  const profile = await prepareNewUser(
    ctx,
    app,
    { ...input.options, ...(username ? { username } : {}), ...(email ? { email } : {}), profile: given },
    {
      _id: id,
      ...(username ? { username } : {}),
      emails,
      profile: given,
      createdAt: new Date(now),
      ...(input.services ? { services: structuredClone(input.services) } : {}),
    },
    origin,
  );
  let user: UserRecord;
  try {
    user = await ctx.storage.createUser({
      id,
      appId: app.id,
      username,
      profile,
      emails,
      identities: [input.identity],
      passwordHash,
      now,
    });
  } catch (error) {
    throw nameTaken(error);
  }
  await ctx.events.emit({
    type: 'user-created',
    appId: app.id,
    userId: user.id,
    ...requestFacts(info),
    detail: { provider: input.identity.providerType, origin },
  });
  return user;
}

/** A storage conflict on a name as the account error; anything else unchanged. */
export function nameTaken(error: unknown): unknown {
  if (isStorageConflictError(error) && (error.target === 'email' || error.target === 'username'))
    return new GatehouseError('AccountNameInUse', 'name already in use', { details: { taken: error.target } });
  return error;
}
