import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as Realm from 'realm-web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveNode } from '../../node/serve.js';
import { startTestGatehouse, type TestGatehouse } from '../../testing/index.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0); // the harness's clock
const secs = (ms: number) => Math.floor(ms / 1000);

/** A loopback JWKS endpoint the test controls (keys, availability, delay), counting its requests. */
class JwksServer {
  keys: JWK[] = [];
  hits = 0;
  mode: 'up' | 'slow' = 'up';
  server!: Server;
  url = '';
  async start() {
    this.server = createServer((_req, res) => {
      this.hits++;
      if (this.mode === 'slow') return; // never answers
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Custom JWT login  on both dialects. */
describe.each(['sqlite', 'postgres'] as const)('custom-token (%s)', (dialect) => {
  let t: TestGatehouse;
  const jwks = new JwksServer();
  let es: { privateKey: CryptoKey; jwk: JWK };
  let rsa: { privateKey: CryptoKey; pem: string };
  beforeAll(async () => {
    await jwks.start();
    const e = await generateKeyPair('ES256', { extractable: true });
    es = { privateKey: e.privateKey, jwk: { ...(await exportJWK(e.publicKey)), kid: 'k1', alg: 'ES256' } };
    const r = await generateKeyPair('RS256', { extractable: true });
    rsa = { privateKey: r.privateKey, pem: await exportSPKI(r.publicKey) };
  });
  afterAll(() => jwks.stop());
  afterEach(() => t?.close());

  const start = (config: Record<string, unknown>) =>
    startTestGatehouse(dialect, { app: { providers: { 'anon-user': {}, 'custom-token': config } } as never });
  const sign = (claims: Record<string, unknown>, key: CryptoKey | Uint8Array, header: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader(header as never)
      .setIssuedAt(secs(NOW))
      .setExpirationTime(secs(NOW) + 600)
      .sign(key);
  const login = (token: string, path = '') =>
    t.request('POST', t.appPath(`/auth/providers/custom-token/login${path}`), { body: { token } });
  const hs = (claims: Record<string, unknown>) => sign(claims, new TextEncoder().encode(SECRET), { alg: 'HS256' });

  it('HS256 with a shared secret: verified, keyed on sub, metadata fields into the profile', async () => {
    t = await start({
      secret: SECRET,
      audience: 'my-api',
      issuer: 'https://issuer.example',
      metadataFields: [
        { path: 'user.name', field: 'name', required: true },
        { path: 'email', field: 'email' },
      ],
    });
    const token = await hs({ sub: 'u-1', aud: 'my-api', iss: 'https://issuer.example', user: { name: 'Ada' } });
    const first = await login(token);
    expect(first.status).toBe(200);
    const profile = await t.request('GET', '/api/client/v2.0/auth/profile', { token: first.json.access_token });
    expect(profile.json.data).toEqual({ name: 'Ada' });
    expect(profile.json.identities).toEqual([
      { id: 'u-1', provider_type: 'custom-token', provider_id: 'custom-token' },
    ]);
    const renamed = await hs({ sub: 'u-1', aud: 'my-api', iss: 'https://issuer.example', user: { name: 'Ada L.' } });
    const second = await login(renamed);
    expect(second.json.user_id).toBe(first.json.user_id);
    expect(
      (await t.request('GET', '/api/client/v2.0/auth/profile', { token: second.json.access_token })).json.data.name,
    ).toBe('Ada L.');
    const missing = await login(await hs({ sub: 'u-2', aud: 'my-api', iss: 'https://issuer.example' }));
    expect(missing.json).toEqual({
      error: 'invalid custom token: required metadata field "user.name" is missing',
      error_code: 'AuthError',
    });
  });

  it('refuses tampering, alg none, algorithm confusion, wrong aud/iss, expiry, nbf, size', async () => {
    t = await start({ publicKeys: [rsa.pem], audience: 'my-api' });
    const good = await sign({ sub: 'r-1', aud: 'my-api' }, rsa.privateKey, { alg: 'RS256' });
    expect((await login(good)).status).toBe(200);
    const [h, p] = good.split('.') as [string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', aud: 'my-api', exp: secs(NOW) + 600 })).toString('base64url')}.${good.split('.')[2]}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    // HS256 signed with the public key's PEM as the secret: the classic RS/HS confusion.
    const confused = await sign({ sub: 'admin', aud: 'my-api' }, new TextEncoder().encode(rsa.pem), { alg: 'HS256' });
    const cases: [string, string][] = [
      [forged, 'signature verification failed'],
      [none, 'algorithm not allowed'],
      [confused, 'algorithm not allowed'],
      [await sign({ sub: 'r-1', aud: 'other' }, rsa.privateKey, { alg: 'RS256' }), 'claim "aud" does not match'],
      [
        await new SignJWT({ sub: 'r-1', aud: 'my-api' })
          .setProtectedHeader({ alg: 'RS256' })
          .setExpirationTime(secs(NOW) - 3600)
          .sign(rsa.privateKey),
        'token expired',
      ],
      [
        await new SignJWT({ sub: 'r-1', aud: 'my-api' })
          .setProtectedHeader({ alg: 'RS256' })
          .setExpirationTime(secs(NOW) + 7200)
          .setNotBefore(secs(NOW) + 3600)
          .sign(rsa.privateKey),
        'claim "nbf" does not match',
      ],
      [
        await new SignJWT({ aud: 'my-api' })
          .setProtectedHeader({ alg: 'RS256' })
          .setExpirationTime(secs(NOW) + 60)
          .sign(rsa.privateKey),
        'claim "sub" is invalid or missing',
      ],
      ['x'.repeat(9000), 'token too large'],
    ];
    for (const [token, why] of cases) {
      const res = await login(token);
      expect(res.status, why).toBe(401);
      expect(res.json.error, why).toContain(why.split(' ')[0]);
      expect(res.json.error_code).toBe('AuthError');
    }
    expect(await t.countUsers()).toBe(1);
  });

  it('a JWKS URL: fetched, cached, refetched once for a new kid; down or slow is a quick, clear refusal', async () => {
    jwks.keys = [es.jwk];
    jwks.hits = 0;
    jwks.mode = 'up';
    t = await start({ jwksUrl: jwks.url, jwksCooldown: '1ms' });
    const token = await sign({ sub: 'e-1' }, es.privateKey, { alg: 'ES256', kid: 'k1' });
    expect((await login(token)).status).toBe(200);
    expect((await login(token)).status).toBe(200);
    expect(jwks.hits).toBe(1);
    // Rotation: a token with a new kid makes one refetch.
    const next = await generateKeyPair('ES256', { extractable: true });
    jwks.keys = [es.jwk, { ...(await exportJWK(next.publicKey)), kid: 'k2', alg: 'ES256' }];
    const rotated = await sign({ sub: 'e-2' }, next.privateKey, { alg: 'ES256', kid: 'k2' });
    expect((await login(rotated)).status).toBe(200);
    expect(jwks.hits).toBe(2);
  });

  it('unknown kids within the cooldown do not hammer the issuer', async () => {
    jwks.keys = [es.jwk];
    jwks.hits = 0;
    jwks.mode = 'up';
    t = await start({ jwksUrl: `${jwks.url}?cooldown` });
    expect((await login(await sign({ sub: 'e-1' }, es.privateKey, { alg: 'ES256', kid: 'k1' }))).status).toBe(200);
    const stranger = await generateKeyPair('ES256');
    for (let i = 0; i < 5; i++) {
      const res = await login(await sign({ sub: 'x' }, stranger.privateKey, { alg: 'ES256', kid: `k9-${i}` }));
      expect(res.json.error).toContain('no key matches');
    }
    expect(jwks.hits).toBe(1);
  });

  it('a JWKS endpoint that never answers fails within its timeout with a clear message', async () => {
    jwks.mode = 'slow';
    t = await start({ jwksUrl: `${jwks.url}?slow` });
    const started = Date.now();
    const res = await login(await sign({ sub: 's-1' }, es.privateKey, { alg: 'ES256', kid: 'k1' }));
    expect(Date.now() - started).toBeLessThan(8000);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe("invalid custom token: the issuer's key set did not answer in time");
    jwks.mode = 'up';
  }, 15_000);

  it('public keys as JWKs, chosen by kid: EdDSA and PS256', async () => {
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    const ps = await generateKeyPair('PS256', { extractable: true });
    t = await start({
      publicKeys: [
        { ...(await exportJWK(ed.publicKey)), kid: 'ed' },
        { ...(await exportJWK(ps.publicKey)), kid: 'ps' },
      ],
    });
    expect((await login(await sign({ sub: 'ed-user' }, ed.privateKey, { alg: 'EdDSA', kid: 'ed' }))).status).toBe(200);
    expect((await login(await sign({ sub: 'ps-user' }, ps.privateKey, { alg: 'PS256', kid: 'ps' }))).status).toBe(200);
    // The right algorithm with the other key's kid fails the signature; no kid with several keys finds none.
    expect((await login(await sign({ sub: 'x' }, ed.privateKey, { alg: 'EdDSA', kid: 'ps' }))).status).toBe(401);
    expect((await login(await sign({ sub: 'x' }, ed.privateKey, { alg: 'EdDSA' }))).json.error).toContain(
      'no key matches',
    );
  });

  it('refuses a configuration mixing key kinds or algorithms at start-up', async () => {
    await expect(start({ secret: SECRET, jwksUrl: 'https://x.example/jwks' })).rejects.toThrow(
      /exactly one of secret, publicKeys, jwksUrl/,
    );
    await expect(start({ publicKeys: [rsa.pem], algorithms: ['HS256'] })).rejects.toThrow(/algorithm confusion/);
    await expect(start({ secret: 'short' })).rejects.toThrow(/at least 32 characters/);
  });

  it('realm-web logs in with Credentials.jwt and links one to an anonymous user', async () => {
    t = await start({ secret: SECRET });
    const server = await serveNode(t.gatehouse, { port: 0 });
    try {
      // realm-web runs on the real clock: sign for now.
      const token = await new SignJWT({ sub: 'rw-1' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(SECRET));
      const app = new Realm.App({ id: t.appId, baseUrl: server.url, skipLocationRequest: true });
      const user = await app.logIn(Realm.Credentials.jwt(token));
      expect(user.identities).toEqual([{ id: 'rw-1', providerType: 'custom-token' }]);
      await expect(app.logIn(Realm.Credentials.jwt(`${token}x`))).rejects.toMatchObject({ statusCode: 401 });
    } finally {
      await server.server.close();
    }
  });
});
