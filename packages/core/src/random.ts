import { toBase64Url, toHex, utf8 } from './encoding.js';

/** `n` bytes from the platform CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

/**
 * An unguessable secret: 32 bytes (256 bits) from the CSPRNG, base64url. Used for refresh-token secrets,
 * one-time tokens and API keys (ASVS 11.5.1 asks for ≥ 128 bits; UUIDs do not qualify).
 */
export function randomSecret(bytes = 32): string {
  return toBase64Url(randomBytes(bytes));
}

let lastSecond = 0;
let counter = 0;
const processUnique = randomBytes(5);

/**
 * A new 24-hex ObjectId string (4-byte seconds, 5-byte process-random, 3-byte counter), the id format App
 * Services and the Realm SDKs expect for users, sessions and devices.
 *
 * @example
 * ```ts
 * objectId(); // '66f1c2a4e3b0c9d1a2b3c4d5'
 * ```
 */
export function objectId(now: number = Date.now()): string {
  const seconds = Math.floor(now / 1000);
  if (seconds !== lastSecond) {
    lastSecond = seconds;
    counter = (randomBytes(3).reduce((acc, b) => (acc << 8) | b, 0) >>> 0) & 0xffffff;
  }
  counter = (counter + 1) & 0xffffff;
  const bytes = new Uint8Array(12);
  new DataView(bytes.buffer).setUint32(0, seconds >>> 0);
  bytes.set(processUnique, 4);
  bytes[9] = (counter >>> 16) & 0xff;
  bytes[10] = (counter >>> 8) & 0xff;
  bytes[11] = counter & 0xff;
  return toHex(bytes);
}

/** True for a 24-character lower- or upper-case hex string. */
export function isObjectIdHex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value);
}

/** The all-zero device id App Services uses for "no device". */
export const NO_DEVICE_ID = '000000000000000000000000';

/** SHA-256 of the UTF-8 `text`, as base64url. Secrets of ≥ 128 bits are stored as this hash (ASVS 6.5.2). */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', utf8(text));
  return toBase64Url(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their lengths, not on where they differ (ASVS 11.2.4).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = utf8(a);
  const y = utf8(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
