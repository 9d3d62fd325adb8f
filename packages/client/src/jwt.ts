import { fromBase64Url } from '@gatehouse-auth/core';

/** The claims of an access token that the SDK reads. */
export interface AccessTokenClaims {
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issued at, seconds since the epoch. */
  iat: number;
  sub?: string;
  /** The device id, `000000000000000000000000` for none. */
  baas_device_id?: string;
  /** Custom user data, canonical Extended JSON. */
  user_data?: Record<string, unknown>;
}

const decoder = new TextDecoder();

/**
 * The payload of a JWT, read without verifying it — a client never verifies its own tokens; the server does.
 * `null` when `token` is not a three-part JWT with a JSON object payload carrying numeric `exp` and `iat`.
 */
export function readClaims(token: string | null): AccessTokenClaims | null {
  const parts = token?.split('.');
  if (parts?.length !== 3) return null;
  const bytes = fromBase64Url(parts[1] as string);
  if (!bytes) return null;
  try {
    const claims = JSON.parse(decoder.decode(bytes)) as AccessTokenClaims | null;
    return claims && typeof claims.exp === 'number' && typeof claims.iat === 'number' ? claims : null;
  } catch {
    return null;
  }
}
