import { type ConflictTarget, StorageConflictError } from './contract.js';
import type { DialectCapabilities } from './dialects/capabilities.js';

/**
 * Every uniqueness rule a caller can break, by constraint name (what PostgreSQL reports) and by column list
 * (what SQLite reports). The names and columns are those of the migrations; the conformance suite breaks each
 * rule on both dialects, so a rename that is not mirrored here fails it.
 *
 * Rules left out are never broken by a caller: auto-assigned keys, upserts (`passwords`,
 * `service_configurations`, `apps`), and audit event ids (made here).
 */
const RULES: ReadonlyArray<{ constraint: string; columns: string; target: ConflictTarget }> = [
  { constraint: 'users_pkey', columns: 'users.id', target: 'user' },
  { constraint: 'users_id_app_key', columns: 'users.id, users.app_id', target: 'user' },
  { constraint: 'users_app_username_key', columns: 'users.app_id, users.username_lower', target: 'username' },
  {
    constraint: 'user_emails_app_address_key',
    columns: 'user_emails.app_id, user_emails.address_lower',
    target: 'email',
  },
  {
    constraint: 'identities_app_provider_subject_key',
    columns: 'identities.app_id, identities.provider_id, identities.subject',
    target: 'identity',
  },
  { constraint: 'sessions_pkey', columns: 'sessions.id', target: 'session' },
  { constraint: 'api_keys_pkey', columns: 'api_keys.id', target: 'apiKey' },
  { constraint: 'api_keys_key_hash_key', columns: 'api_keys.key_hash', target: 'apiKey' },
  { constraint: 'api_keys_user_name_key', columns: 'api_keys.user_id, api_keys.name', target: 'apiKeyName' },
  { constraint: 'one_time_tokens_pkey', columns: 'one_time_tokens.id', target: 'token' },
  { constraint: 'passkeys_pkey', columns: 'passkeys.id', target: 'passkey' },
  { constraint: 'passkeys_app_credential_key', columns: 'passkeys.app_id, passkeys.credential_id', target: 'passkey' },
  { constraint: 'webauthn_challenges_pkey', columns: 'webauthn_challenges.id', target: 'token' },
  {
    constraint: 'webauthn_challenges_hash_key',
    columns: 'webauthn_challenges.challenge_hash',
    target: 'token',
  },
  { constraint: 'admin_keys_pkey', columns: 'admin_keys.id', target: 'adminKey' },
  { constraint: 'admin_keys_key_hash_key', columns: 'admin_keys.key_hash', target: 'adminKey' },
];

const byConstraint = new Map(RULES.map((rule) => [rule.constraint, rule.target]));
const byColumns = new Map(RULES.map((rule) => [rule.columns, rule.target]));

/**
 * `error` as a {@link StorageConflictError} when it is a violation of a known uniqueness rule; otherwise
 * `error` itself, unchanged.
 */
export function translateConflict(error: unknown, capabilities: DialectCapabilities): unknown {
  const violation = capabilities.uniqueViolation(error);
  if (!violation) return error;
  const target =
    'constraint' in violation ? byConstraint.get(violation.constraint) : byColumns.get(violation.columns.join(', '));
  return target ? new StorageConflictError(target, { cause: error }) : error;
}
