import { fromBase64Url, randomBytes, toBase64Url, utf8 } from '@gatehouse-auth/core';

/**
 * A software WebAuthn authenticator for in-process tests: ES256 keys from WebCrypto, `none` attestation, and
 * the same bytes a browser would send (client data JSON, authenticator data, CBOR attestation object, DER
 * signatures). Each field a test may want wrong (origin, rp id, challenge, counter) can be overridden, so the
 * server's refusals are tested against real signatures. Browser behaviour is tested with Chromium's virtual
 * authenticator (test/passkeys.browser.test.ts); this one is for server rules on both dialects.
 */
export interface SoftCredential {
  id: string;
  userHandle: string;
  keys: CryptoKeyPair;
  counter: number;
}

export interface SoftAuthenticator {
  /** Answers registration options as `navigator.credentials.create()` + `toJSON()` would. */
  register(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    overrides?: { origin?: string; rpId?: string; type?: string; challenge?: string },
  ): Promise<{ response: Record<string, unknown>; credential: SoftCredential }>;
  /** Answers sign-in options with `credential`; the counter goes up by one unless `counter` says otherwise. */
  authenticate(
    credential: SoftCredential,
    options: { challenge: string; rpId?: string },
    overrides?: { origin?: string; rpId?: string; type?: string; challenge?: string; counter?: number },
  ): Promise<Record<string, unknown>>;
}

export function softAuthenticator(origin: string): SoftAuthenticator {
  return {
    async register(options, overrides = {}) {
      const rpId = overrides.rpId ?? options.rp.id ?? new URL(origin).hostname;
      const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
      const credentialId = randomBytes(16);
      const coseKey = cbor(
        new Map<number, unknown>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, fromBase64Url(jwk.x as string)],
          [-3, fromBase64Url(jwk.y as string)],
        ]),
      );
      const authData = concat(
        await digest(utf8(rpId)),
        // UP | UV | AT
        new Uint8Array([0x01 | 0x04 | 0x40]),
        uint32(0),
        new Uint8Array(16),
        new Uint8Array([credentialId.length >> 8, credentialId.length & 0xff]),
        credentialId,
        coseKey,
      );
      const clientDataJSON = clientData(
        overrides.type ?? 'webauthn.create',
        overrides.challenge ?? options.challenge,
        overrides.origin ?? origin,
      );
      const attestationObject = cbor(
        new Map<string, unknown>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      );
      const id = toBase64Url(credentialId);
      return {
        credential: { id, userHandle: options.user.id, keys, counter: 0 },
        response: {
          id,
          rawId: id,
          type: 'public-key',
          response: {
            clientDataJSON: toBase64Url(clientDataJSON),
            attestationObject: toBase64Url(attestationObject),
            transports: ['internal'],
          },
          clientExtensionResults: {},
          authenticatorAttachment: 'platform',
        },
      };
    },

    async authenticate(credential, options, overrides = {}) {
      const rpId = overrides.rpId ?? options.rpId ?? new URL(origin).hostname;
      credential.counter = overrides.counter ?? credential.counter + 1;
      const authData = concat(await digest(utf8(rpId)), new Uint8Array([0x01 | 0x04]), uint32(credential.counter));
      const clientDataJSON = clientData(
        overrides.type ?? 'webauthn.get',
        overrides.challenge ?? options.challenge,
        overrides.origin ?? origin,
      );
      const signed = concat(authData, await digest(clientDataJSON));
      const raw = new Uint8Array(
        await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, credential.keys.privateKey, signed),
      );
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        response: {
          clientDataJSON: toBase64Url(clientDataJSON),
          authenticatorData: toBase64Url(authData),
          signature: toBase64Url(derSignature(raw)),
          userHandle: credential.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
}

function clientData(type: string, challenge: string, origin: string): Uint8Array {
  return utf8(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

function uint32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** WebCrypto's r‖s → the DER `SEQUENCE { INTEGER r, INTEGER s }` WebAuthn signatures use. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.slice(start);
    const padded = (trimmed[0] as number) & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, padded.length]), padded);
  };
  const body = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

/** Just enough CBOR: integers, byte and text strings, maps. */
function cbor(value: unknown): Uint8Array {
  const head = (major: number, n: number): Uint8Array => {
    if (n < 24) return new Uint8Array([(major << 5) | n]);
    if (n < 0x100) return new Uint8Array([(major << 5) | 24, n]);
    if (n < 0x10000) return new Uint8Array([(major << 5) | 25, n >> 8, n & 0xff]);
    return concat(new Uint8Array([(major << 5) | 26]), uint32(n));
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = utf8(value);
    return concat(head(3, bytes.length), bytes);
  }
  if (value instanceof Uint8Array) return concat(head(2, value.length), value);
  if (value instanceof Map) {
    const parts: Uint8Array[] = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return concat(...parts);
  }
  throw new Error(`cbor: cannot encode ${typeof value}`);
}
