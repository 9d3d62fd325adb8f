/**
 * Meteor's OAuth `state`: standard base64 of the JSON
 * `{ loginStyle, credentialToken, isCordova, redirectUrl? }`, made by the client. Gatehouse reads it exactly as
 * Meteor's server does, but refuses what Meteor let through for old clients (a raw credential token).
 */
export interface MeteorState {
  loginStyle: 'popup' | 'redirect';
  credentialToken: string;
  isCordova: boolean;
  redirectUrl?: string;
}

/** Meteor's `Random.secret()` (43) or `Random.id()` (17, Meetup) — and nothing that could break out of HTML. */
const CREDENTIAL_TOKEN = /^[A-Za-z0-9_-]{8,128}$/;
const MAX_STATE_LENGTH = 8192;

/** The state of a request, or `null` when it is missing or not Meteor's shape. */
export function parseState(value: string | null | undefined): MeteorState | null {
  if (!value || value.length > MAX_STATE_LENGTH) return null;
  let parsed: unknown;
  try {
    // Some services turn `+` into a space on the way back (Meteor's reason for base64-encoding at all).
    const normalized = value.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) return null;
    parsed = JSON.parse(Buffer.from(normalized, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const { loginStyle, credentialToken, isCordova, redirectUrl } = parsed as Record<string, unknown>;
  if (loginStyle !== 'popup' && loginStyle !== 'redirect') return null;
  if (typeof credentialToken !== 'string' || !CREDENTIAL_TOKEN.test(credentialToken)) return null;
  if (
    redirectUrl !== undefined &&
    redirectUrl !== null &&
    (typeof redirectUrl !== 'string' || redirectUrl.length > 2048)
  )
    return null;
  return {
    loginStyle,
    credentialToken,
    isCordova: isCordova === true,
    ...(typeof redirectUrl === 'string' ? { redirectUrl } : {}),
  };
}

/** Encodes a state as Meteor's client does (`OAuth._stateParam`). */
export function encodeState(state: MeteorState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64');
}
