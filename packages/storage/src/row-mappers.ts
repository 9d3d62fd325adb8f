import type {
  AdminKeyRecord,
  ApiKeyRecord,
  AuditEventRecord,
  EmailRecord,
  IdentityRecord,
  OneTimeTokenRecord,
  PasskeyRecord,
  SessionRecord,
  UserRecord,
  UserState,
  WebauthnChallengeRecord,
} from './contract.js';
import type { DialectCapabilities } from './dialects/capabilities.js';
import type {
  AdminKeyRow,
  ApiKeyRow,
  AuditEventRow,
  EmailRow,
  IdentityRow,
  OneTimeTokenRow,
  PasskeyRow,
  SessionRow,
  UserRow,
  WebauthnChallengeRow,
} from './schema.js';

/** Rows → records. The only place that knows how columns become contract fields. */
export interface RowMappers {
  user(row: UserRow, emails: EmailRecord[], identities: IdentityRecord[]): UserRecord;
  userState(row: Pick<UserRow, 'id' | 'app_id' | 'type' | 'disabled' | 'custom_data'>): UserState;
  email(row: EmailRow): EmailRecord;
  identity(row: IdentityRow): IdentityRecord;
  session(row: SessionRow): SessionRecord;
  apiKey(row: ApiKeyRow): ApiKeyRecord;
  oneTimeToken(row: OneTimeTokenRow): OneTimeTokenRecord;
  auditEvent(row: AuditEventRow): AuditEventRecord;
  passkey(row: PasskeyRow): PasskeyRecord;
  webauthnChallenge(row: WebauthnChallengeRow): WebauthnChallengeRecord;
  adminKey(row: AdminKeyRow): AdminKeyRecord;
}

export function createRowMappers({ decodeJson }: DialectCapabilities): RowMappers {
  return {
    user: (row, emails, identities) => ({
      id: row.id,
      appId: row.app_id,
      username: row.username,
      type: row.type,
      disabled: bool(row.disabled),
      profile: decodeJson(row.profile),
      customData: decodeJson(row.custom_data),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      emails,
      identities,
    }),
    userState: (row) => ({
      id: row.id,
      appId: row.app_id,
      type: row.type,
      disabled: bool(row.disabled),
      customData: decodeJson(row.custom_data),
    }),
    email: (row) => ({ address: row.address, verified: bool(row.verified) }),
    identity: (row) => ({
      // the identity id a profile shows is the provider's user id.
      id: row.subject,
      providerType: row.provider_type,
      providerId: row.provider_id,
      subject: row.subject,
      data: decodeJson(row.data),
      createdAt: row.created_at,
    }),
    session: (row) => ({
      id: row.id,
      appId: row.app_id,
      userId: row.user_id,
      deviceId: row.device_id,
      kind: row.kind,
      refreshHash: row.refresh_hash,
      providerType: row.provider_type,
      apiKeyId: row.api_key_id,
      meta: decodeJson(row.meta),
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
    }),
    apiKey: (row) => ({
      id: row.id,
      appId: row.app_id,
      userId: row.user_id,
      kind: row.kind,
      name: row.name,
      disabled: bool(row.disabled),
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    }),
    oneTimeToken: (row) => ({
      id: row.id,
      appId: row.app_id,
      userId: row.user_id,
      purpose: row.purpose,
      data: decodeJson(row.data),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      consumedAt: row.consumed_at,
    }),
    auditEvent: (row) => ({
      id: row.id,
      appId: row.app_id,
      userId: row.user_id,
      type: row.type,
      ip: row.ip,
      userAgent: row.user_agent,
      actor: row.actor,
      detail: decodeJson(row.detail),
      at: row.at,
    }),
    passkey: (row) => ({
      id: row.id,
      appId: row.app_id,
      userId: row.user_id,
      credentialId: row.credential_id,
      publicKey: row.public_key,
      counter: Number(row.counter),
      transports: row.transports === '' ? [] : row.transports.split(','),
      name: row.name,
      deviceType: row.device_type,
      backedUp: bool(row.backed_up),
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    }),
    webauthnChallenge: (row) => ({
      id: row.id,
      appId: row.app_id,
      userId: row.user_id,
      purpose: row.purpose,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    }),
    adminKey: (row) => ({
      id: row.id,
      appId: row.app_id,
      name: row.name,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      revokedAt: row.revoked_at,
    }),
  };
}

/** SQLite returns 0/1, PostgreSQL `true`/`false`. */
function bool(value: boolean | 0 | 1): boolean {
  return value === true || value === 1;
}
