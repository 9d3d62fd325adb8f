import { GatehouseError, isObjectIdHex, type JsonObject } from '@gatehouse-auth/core';
import type { NewIdentity } from '@gatehouse-auth/storage';
import type { AppSettings, ServerContext } from '../context.js';
import { nameTaken } from './create.js';
import { normalizeEmail } from './identifiers.js';
import { PASSWORD_PROVIDER } from './password-rules.js';

/** A user brought over from another system, as the account core takes it. */
export interface ImportedAccount {
  /** The user's id there (24 hex), kept: tokens, custom data and app data refer to it. */
  id: string;
  /** The account's email (an email/password account's login name); verified, as the other system had it. */
  email?: string | null;
  profile?: JsonObject;
  identities: NewIdentity[];
  disabled?: boolean;
  /** When the account was made there (ms). */
  createdAt: number;
}

/** What importing one account did. */
export interface ImportOutcome {
  /** `imported`, or `unchanged` when a user with that id was already there (importing again is safe). */
  status: 'imported' | 'unchanged';
  /**
   * The account (enabled) logs in with email and password but has none: its password could not come across, so
   * it must set one from an enrollment link (`needsPassword` stays true until it does).
   */
  needsPassword: boolean;
}

/**
 * Creates an account from another system's export (App Services), keeping its id, creation time, identities,
 * email and disabled state — without a password (none can come across), without the sign-up rules and hooks
 * (the account already exists; it moves), and without mail. A user with that id already there is left
 * unchanged. An email another user of the app has is `AccountNameInUse`. Emits `user-created` (origin
 * `import`), so the audit log records it.
 *
 * @example
 * ```ts
 * await importAccount(ctx, app, { id: '5f1f0c2e9d3b1a0012345678', email: 'ada@example.com', createdAt: Date.now(),
 *   identities: [{ providerType: 'local-userpass', providerId: 'local-userpass', subject: '5f1f0c2e9d3b1a0012345679' }] });
 * ```
 */
export async function importAccount(
  ctx: ServerContext,
  app: AppSettings,
  input: ImportedAccount,
): Promise<ImportOutcome> {
  if (!isObjectIdHex(input.id)) throw new GatehouseError('BadRequest', 'the user id must be 24 hexadecimal digits');
  if (input.identities.length === 0) throw new GatehouseError('BadRequest', 'the user has no identity');
  const withPassword = input.identities.some((i) => i.providerType === PASSWORD_PROVIDER);
  const id = input.id.toLowerCase();
  const present = await ctx.storage.getUser(app.id, id);
  if (present)
    return {
      status: 'unchanged',
      needsPassword:
        present.identities.some((i) => i.providerType === PASSWORD_PROVIDER) &&
        !present.disabled &&
        (await ctx.storage.getPasswordHash(app.id, id)) === null,
    };
  const email = input.email ? normalizeEmail(input.email) : null;
  if (withPassword && !email)
    throw new GatehouseError('BadRequest', 'an email/password user needs an email (data.email)');
  try {
    await ctx.storage.createUser({
      id,
      appId: app.id,
      profile: input.profile ?? {},
      emails: email ? [{ address: email, verified: true }] : [],
      identities: input.identities,
      passwordHash: null,
      now: input.createdAt,
    });
  } catch (error) {
    throw nameTaken(error);
  }
  if (input.disabled) await ctx.storage.setUserDisabled(app.id, id, true, ctx.now());
  await ctx.events.emit({
    type: 'user-created',
    appId: app.id,
    userId: id,
    address: null,
    detail: { provider: input.identities[0]?.providerType ?? 'unknown', origin: 'import' },
  });
  return { status: 'imported', needsPassword: withPassword && !input.disabled };
}
