import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObjectIdHex, type JsonObject } from '@gatehouse-auth/core';
import type { NewIdentity } from '@gatehouse-auth/storage';
import { z } from 'zod';
import type { ImportedAccount } from '../accounts/import.js';

/**
 * Reading an Atlas App Services app export (what `appservices pull` or the UI's export writes): the app's id
 * and name, its authentication providers (`auth/providers.json`, or one file per provider under
 * `auth_providers/` in older exports) and its custom user data mapping (`auth/custom_user_data.json`); and a
 * users export (the Admin API's user list). Secrets are never in an export: settings that need one are
 * reported, for the operator to add. See docs/migrating-from-app-services.md.
 */

/** One provider of `auth/providers.json`. */
const providerEntry = z.looseObject({
  name: z.string().optional(),
  type: z.string(),
  disabled: z.boolean().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  secret_config: z.record(z.string(), z.unknown()).optional(),
  metadata_fields: z
    .array(z.looseObject({ name: z.string(), required: z.boolean().optional(), field_name: z.string().optional() }))
    .optional(),
  redirect_uris: z.array(z.string()).optional(),
});
type ProviderEntry = z.infer<typeof providerEntry>;

const customUserData = z.looseObject({
  enabled: z.boolean().optional(),
  mongo_service_name: z.string().optional(),
  database_name: z.string().optional(),
  collection_name: z.string().optional(),
  user_id_field: z.string().optional(),
  on_user_creation_function_name: z.string().optional(),
});

const rootConfig = z.looseObject({
  app_id: z.string().optional(),
  client_app_id: z.string().optional(),
  name: z.string().optional(),
});

/** What an export says about authentication. */
export interface AppServicesExport {
  /** The client app id (`myapp-abcde`), when the export names it. */
  appId: string | null;
  name: string | null;
  providers: ProviderEntry[];
  customUserData: z.infer<typeof customUserData> | null;
}

/** A problem with the export: which file and what. */
export class ExportError extends Error {}

function readJson<S extends z.ZodType>(path: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ExportError(`${path}: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExportError(`${path}: ${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Reads the auth part of an export directory. Throws {@link ExportError} naming the file that is wrong. */
export function readAppServicesExport(dir: string): AppServicesExport {
  if (!existsSync(dir)) throw new ExportError(`${dir}: no such directory`);
  let appId: string | null = null;
  let name: string | null = null;
  for (const file of ['realm_config.json', 'root_config.json', 'config.json']) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const root = readJson(path, rootConfig);
    appId = root.app_id ?? root.client_app_id ?? null;
    name = root.name ?? null;
    break;
  }
  const providers: ProviderEntry[] = [];
  const current = join(dir, 'auth', 'providers.json');
  const legacy = join(dir, 'auth_providers');
  if (existsSync(current)) providers.push(...Object.values(readJson(current, z.record(z.string(), providerEntry))));
  else if (existsSync(legacy))
    for (const file of readdirSync(legacy)
      .filter((f) => f.endsWith('.json'))
      .sort())
      providers.push(readJson(join(legacy, file), providerEntry));
  else throw new ExportError(`${dir}: neither auth/providers.json nor auth_providers/ — is this an app export?`);
  const cud = join(dir, 'auth', 'custom_user_data.json');
  return {
    appId,
    name,
    providers,
    customUserData: existsSync(cud) ? readJson(cud, customUserData) : null,
  };
}

/** The Gatehouse settings of one app made from an export, and what could not come across. */
export interface ImportedSettings {
  /** `apps.<id>.providers` entries, by provider type. */
  providers: Record<string, JsonObject>;
  /** `apps.<id>.oauthRedirectUris`: the OAuth providers' `redirect_uris`. */
  oauthRedirectUris: string[];
  /** What the operator must still do, one sentence each. */
  notes: string[];
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Gatehouse provider settings from an export's providers. A provider whose settings need a secret the export
 * does not hold (a custom JWT's signing key, Facebook's app secret) is left out with a note; functions (a
 * confirmation, reset or login function) are JavaScript Gatehouse cannot take from the export: the provider
 * falls back to mail, or is written disabled, with a note saying what to port.
 */
export function settingsFromExport(exported: AppServicesExport): ImportedSettings {
  const providers: Record<string, JsonObject> = {};
  const redirects = new Set<string>();
  const notes: string[] = [];
  for (const p of exported.providers) {
    const enabled = p.disabled !== true;
    const config = p.config ?? {};
    for (const uri of p.redirect_uris ?? []) redirects.add(uri);
    switch (p.type) {
      case 'anon-user':
      case 'api-key':
        providers[p.type] = { enabled };
        break;
      case 'local-userpass': {
        const out: JsonObject = { enabled };
        if (config.autoConfirm === true) out.confirmation = 'auto';
        else {
          out.confirmation = 'email';
          if (config.runConfirmationFunction === true)
            notes.push(
              `local-userpass: App Services ran the confirmation function '${str(config.confirmationFunctionName) ?? '?'}'; Gatehouse mails confirmation links until you port it to gatehouse.config.mjs (functions) and set confirmation: 'function', confirmationFunction.`,
            );
        }
        if (config.runResetFunction === true)
          notes.push(
            `local-userpass: App Services ran the reset function '${str(config.resetFunctionName) ?? '?'}'; Gatehouse mails reset links until you port it and set reset: 'function', resetFunction.`,
          );
        const confirmUrl = str(config.emailConfirmationUrl);
        const resetUrl = str(config.resetPasswordUrl);
        if (confirmUrl && /^https?:\/\//.test(confirmUrl)) out.emailConfirmationUrl = confirmUrl;
        if (resetUrl && /^https?:\/\//.test(resetUrl)) out.resetPasswordUrl = resetUrl;
        if (str(config.confirmEmailSubject) || str(config.resetPasswordSubject))
          notes.push(
            'local-userpass: the mail subjects are not carried over (Gatehouse writes its own, per language).',
          );
        providers[p.type] = out;
        break;
      }
      case 'custom-token': {
        const out: JsonObject = { enabled };
        const algorithm = str(config.signingAlgorithm);
        if (algorithm) out.algorithms = [algorithm];
        const audience = config.audience;
        if (typeof audience === 'string' && audience) out.audience = audience;
        else if (Array.isArray(audience) && audience.length)
          out.audience = audience.filter((a) => typeof a === 'string');
        if (p.metadata_fields?.length)
          out.metadataFields = p.metadata_fields.map((f) => ({
            path: f.name,
            field: f.field_name ?? f.name.split('.').pop() ?? f.name,
            required: f.required === true,
          }));
        if (config.useJWKURI === true && str(config.jwkURI)) {
          out.jwksUrl = str(config.jwkURI) as string;
          providers[p.type] = out;
        } else
          notes.push(
            `custom-token: not written — its signing key is an App Services secret, which exports leave out. Add apps.<id>.providers['custom-token'] with secret (HS*) or publicKeys (RS*) and: ${JSON.stringify(out)}`,
          );
        break;
      }
      case 'custom-function': {
        const fn = str(config.authFunctionName) ?? 'authFunc';
        providers[p.type] = { enabled: false, function: fn };
        notes.push(
          `custom-function: written disabled — port the App Services function '${fn}' to gatehouse.config.mjs (functions.${fn}), then set enabled: true.`,
        );
        break;
      }
      case 'oauth2-google': {
        const clientId = str(config.clientId);
        if (!clientId) {
          notes.push('oauth2-google: no clientId in the export; not written.');
          break;
        }
        providers[p.type] = { enabled, clientId };
        notes.push(
          'oauth2-google: ID-token logins work as they are; for the redirect flow and authCode logins add clientSecret (an App Services secret, not exported).',
        );
        break;
      }
      case 'oauth2-apple': {
        const clientId = str(config.clientId);
        if (!clientId) {
          notes.push('oauth2-apple: no clientId in the export; not written.');
          break;
        }
        providers[p.type] = { enabled, clientIds: [clientId] };
        notes.push(
          'oauth2-apple: ID-token logins work as they are; for the redirect flow add servicesId, teamId, keyId and privateKey.',
        );
        break;
      }
      case 'oauth2-facebook':
        notes.push(
          `oauth2-facebook: not written — its app secret is an App Services secret, which exports leave out. Add apps.<id>.providers['oauth2-facebook'] = { "appId": "${str(config.clientId) ?? '<app id>'}", "appSecret": "…" }.`,
        );
        break;
      default:
        notes.push(`${p.type}: Gatehouse has no such provider; not written.`);
    }
  }
  const cud = exported.customUserData;
  if (cud?.enabled)
    notes.push(
      `custom user data: App Services read it from ${cud.database_name ?? '?'}.${cud.collection_name ?? '?'} (field ${cud.user_id_field ?? '?'} = user id). Gatehouse keeps user ids, so a customData(user) hook can read the same documents, or store them per user with 'gatehouse users set-custom-data' (docs/custom-data.md).`,
    );
  if (cud?.on_user_creation_function_name)
    notes.push(
      `custom user data: the user creation function '${cud.on_user_creation_function_name}' becomes an onCreateUser hook in gatehouse.config.mjs.`,
    );
  return { providers, oauthRedirectUris: [...redirects], notes };
}

const identity = z.looseObject({ id: z.string().min(1).max(1024), provider_type: z.string().min(1).max(64) });
const exportedUser = z.looseObject({
  _id: z.string(),
  identities: z.array(identity).max(100).default([]),
  type: z.string().optional(),
  creation_date: z.number().optional(),
  disabled: z.boolean().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** Provider types a user's identities may have; others are skipped. */
const KNOWN = new Set([
  'anon-user',
  'local-userpass',
  'api-key',
  'custom-token',
  'custom-function',
  'oauth2-google',
  'oauth2-facebook',
  'oauth2-apple',
]);

/** The users of a users export, ready for the account core, and the records that cannot come across. */
export interface ParsedUsers {
  /** Each user with its place in the file (from 1). */
  users: { record: number; account: ImportedAccount }[];
  skipped: { record: number; id?: string; reason: string }[];
}

/**
 * Parses a users export: a JSON array of users as the App Services Admin API lists them
 * (`GET …/apps/{appId}/users`: `_id`, `identities: [{ id, provider_type, provider_id }]`, `type`,
 * `creation_date` in seconds, `disabled`, `data`), or `{ "users": [...] }`. Server users (an API key's user)
 * are skipped: their keys cannot come across. `data.email` is the email of an email/password user; the rest
 * of `data` becomes the profile.
 */
export function parseAppServicesUsers(text: string, now: number): ParsedUsers {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExportError(`the users file is not JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(value)
    ? value
    : value && typeof value === 'object' && Array.isArray((value as { users?: unknown }).users)
      ? (value as { users: unknown[] }).users
      : null;
  if (!list) throw new ExportError('the users file must be a JSON array of users (or { "users": [...] })');
  const users: ParsedUsers['users'] = [];
  const skipped: ParsedUsers['skipped'] = [];
  list.forEach((raw, index) => {
    const record = index + 1;
    const parsed = exportedUser.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      skipped.push({ record, reason: `${issue?.path.join('.') || 'user'}: ${issue?.message ?? 'invalid'}` });
      return;
    }
    const u = parsed.data;
    if (!isObjectIdHex(u._id)) {
      skipped.push({ record, id: String(parsed.data._id).slice(0, 64), reason: '_id must be 24 hexadecimal digits' });
      return;
    }
    if (u.type === 'server') {
      skipped.push({
        record,
        id: u._id,
        reason: 'a server user (API key): create a new key with `gatehouse keys create`',
      });
      return;
    }
    const identities: NewIdentity[] = u.identities
      .filter((i) => KNOWN.has(i.provider_type) && i.provider_type !== 'api-key')
      .map((i) => ({ providerType: i.provider_type, providerId: i.provider_type, subject: i.id }));
    if (identities.length === 0) {
      skipped.push({ record, id: u._id, reason: 'no identity Gatehouse can log in' });
      return;
    }
    if (identities.every((i) => i.providerType === 'anon-user')) {
      skipped.push({
        record,
        id: u._id,
        reason: 'an anonymous user: its sessions cannot come across, so it could never log in again',
      });
      return;
    }
    const { email, ...rest } = u.data ?? {};
    const withPassword = identities.some((i) => i.providerType === 'local-userpass');
    // Only an email/password account owns its address; for others it stays profile data, as App Services showed it.
    const profile = (withPassword ? rest : (u.data ?? {})) as JsonObject;
    users.push({
      record,
      account: {
        id: u._id,
        ...(withPassword && typeof email === 'string' ? { email } : {}),
        profile,
        identities,
        disabled: u.disabled === true,
        createdAt: typeof u.creation_date === 'number' && u.creation_date > 0 ? u.creation_date * 1000 : now,
      },
    });
  });
  return { users, skipped };
}

/** Documents of the custom user data collection, by the user they belong to. */
export interface ParsedCustomData {
  entries: { record: number; userId: string; data: JsonObject }[];
  skipped: { record: number; id?: string; reason: string }[];
}

/**
 * Parses a `mongoexport` of the custom user data collection (one document per line, or `--jsonArray`), in the
 * Extended JSON mongoexport writes: each document is the user's custom data, whole, as App Services read it;
 * `userIdField` (`custom_user_data.json`'s `user_id_field`) names its user (a string, or an `$oid`). The
 * Extended JSON stays as it is written (`{ "$oid": … }`), as App Services' tokens carried it.
 */
export function parseCustomUserData(text: string, userIdField: string): ParsedCustomData {
  const trimmed = text.trim();
  const docs: { record: number; value: unknown; error?: string }[] = [];
  if (trimmed.startsWith('[')) {
    try {
      (JSON.parse(trimmed) as unknown[]).forEach((value, i) => {
        docs.push({ record: i + 1, value });
      });
    } catch (error) {
      throw new ExportError(`the custom data file is not a JSON array: ${(error as Error).message}`);
    }
  } else
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        docs.push({ record: i + 1, value: JSON.parse(line) });
      } catch (error) {
        docs.push({ record: i + 1, value: null, error: `not valid JSON: ${(error as Error).message}` });
      }
    }
  const entries: ParsedCustomData['entries'] = [];
  const skipped: ParsedCustomData['skipped'] = [];
  for (const { record, value, error } of docs) {
    if (error || !value || typeof value !== 'object' || Array.isArray(value)) {
      skipped.push({ record, reason: error ?? 'not a document' });
      continue;
    }
    const doc = value as JsonObject;
    const raw = doc[userIdField];
    const userId =
      typeof raw === 'string'
        ? raw
        : raw && typeof raw === 'object' && typeof (raw as { $oid?: unknown }).$oid === 'string'
          ? ((raw as { $oid: string }).$oid as string)
          : null;
    if (!userId || !isObjectIdHex(userId)) {
      skipped.push({ record, reason: `no user id (24 hex digits) in '${userIdField}'` });
      continue;
    }
    entries.push({ record, userId: userId.toLowerCase(), data: doc });
  }
  return { entries, skipped };
}
