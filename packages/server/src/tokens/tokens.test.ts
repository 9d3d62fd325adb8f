import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, importSigningKeys, jwks } from './keys.js';
import { createTokenService } from './tokens.js';

const NOW = Date.UTC(2026, 0, 1);
const claims = {
  appId: 'app',
  userId: '0123456789abcdef01234567',
  sessionId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
  deviceId: 'bbbbbbbbbbbbbbbbbbbbbbbb',
  now: NOW,
};

describe('signing keys and tokens', () => {
  it('signs with the first key; a rotated-out key still verifies until its tokens expire', async () => {
    const [oldKey, newKey] = [await generateSigningKey('ES256'), await generateSigningKey('EdDSA')];
    const before = createTokenService({ keys: await importSigningKeys([oldKey]), issuer: 'https://auth.example' });
    const token = await before.issueAccess({ ...claims, customData: {}, lifetimeMs: 60_000 });

    const after = createTokenService({
      keys: await importSigningKeys([newKey, oldKey]),
      issuer: 'https://auth.example',
    });
    expect((await after.verifyAccess(token, NOW)).sub).toBe(claims.userId);
    const fresh = await after.issueAccess({ ...claims, customData: {}, lifetimeMs: 60_000 });
    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'EdDSA',
      kid: newKey.kid,
    });

    // Once the old key is removed, its tokens are refused.
    const later = createTokenService({ keys: await importSigningKeys([newKey]), issuer: 'https://auth.example' });
    await expect(later.verifyAccess(token, NOW)).rejects.toMatchObject({ code: 'InvalidSession' });
  });

  it('supports ES256, EdDSA and RS256, and publishes only public members', async () => {
    for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
      const keys = await importSigningKeys([await generateSigningKey(alg)]);
      const service = createTokenService({ keys, issuer: 'https://auth.example' });
      const refresh = await service.issueRefresh({ ...claims, secret: 's3cret', expiresAt: NOW + 60_000 });
      expect((await service.verifyRefresh(refresh, NOW)).secret).toBe('s3cret');
      // A resource server verifying with the published key set alone (jose, as any JWT library would).
      const access = await service.issueAccess({ ...claims, customData: { plan: 'pro' }, lifetimeMs: 60_000 });
      const verified = await jwtVerify(access, createLocalJWKSet(jwks(keys)), {
        issuer: 'https://auth.example',
        audience: 'app',
        currentDate: new Date(NOW),
      });
      expect(verified.protectedHeader).toEqual({ alg, kid: keys[0]?.kid, typ: 'JWT' });
      expect(verified.payload).toMatchObject({ sub: claims.userId, exp: NOW / 1000 + 60, iat: NOW / 1000 });
      for (const jwk of jwks(keys).keys)
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(member);
    }
  });

  it('refuses a token from another issuer, an unknown kid, and a key-confused algorithm', async () => {
    const key = await generateSigningKey('ES256');
    const service = createTokenService({ keys: await importSigningKeys([key]), issuer: 'https://auth.example' });
    const other = createTokenService({ keys: await importSigningKeys([key]), issuer: 'https://evil.example' });
    const foreign = await other.issueAccess({ ...claims, customData: {}, lifetimeMs: 60_000 });
    await expect(service.verifyAccess(foreign, NOW)).rejects.toMatchObject({ code: 'InvalidSession' });

    const stranger = createTokenService({
      keys: await importSigningKeys([await generateSigningKey('ES256')]),
      issuer: 'https://auth.example',
    });
    await expect(
      service.verifyAccess(await stranger.issueAccess({ ...claims, customData: {}, lifetimeMs: 60_000 }), NOW),
    ).rejects.toMatchObject({ code: 'InvalidSession' });

    // HS256 signed with the public key as the secret (the classic RS/HS confusion) is refused.
    const { SignJWT } = await import('jose');
    const publicBytes = new TextEncoder().encode(JSON.stringify(jwks(await importSigningKeys([key])).keys[0]));
    const confused = await new SignJWT({
      sub: claims.userId,
      aud: 'app',
      sid: claims.sessionId,
      typ: 'access',
      baas_device_id: claims.deviceId,
    })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer('https://auth.example')
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + 60)
      .sign(publicBytes);
    await expect(service.verifyAccess(confused, NOW)).rejects.toMatchObject({ code: 'InvalidSession' });
    await expect(service.verifyAccess('x'.repeat(10_000), NOW)).rejects.toMatchObject({ code: 'InvalidSession' });
  });

  it('checks expiry against the caller’s clock, types, required claims, and refuses alg none and tampering', async () => {
    const key = await generateSigningKey('ES256');
    const service = createTokenService({ keys: await importSigningKeys([key]), issuer: 'https://auth.example' });
    const access = await service.issueAccess({ ...claims, customData: { plan: 'pro' }, lifetimeMs: 60_000 });
    const payload = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({
      iat: NOW / 1000,
      exp: NOW / 1000 + 60,
      iss: 'https://auth.example',
      typ: 'access',
    });
    expect(payload.user_data).toEqual({ plan: 'pro' });
    expect((await service.verifyAccess(access, NOW + 59_000)).sub).toBe(claims.userId);
    await expect(service.verifyAccess(access, NOW + 60_000)).rejects.toMatchObject({
      message: 'invalid session: access token expired',
    });
    // An access token is not a refresh token, and the other way round.
    await expect(service.verifyRefresh(access, NOW)).rejects.toMatchObject({ code: 'InvalidSession' });
    const refresh = await service.issueRefresh({ ...claims, secret: 's', expiresAt: NOW + 60_000 });
    await expect(service.verifyAccess(refresh, NOW)).rejects.toMatchObject({ code: 'InvalidSession' });

    const [header, body, signature] = access.split('.') as [string, string, string];
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = [
      // alg none, no signature
      `${encode({ alg: 'none', kid: key.kid, typ: 'JWT' })}.${body}.`,
      // a changed claim under the old signature
      `${header}.${encode({ ...payload, sub: 'ffffffffffffffffffffffff' })}.${signature}`,
      // the right signature on another header
      `${encode({ alg: 'ES384', kid: key.kid })}.${body}.${signature}`,
      // no kid
      `${encode({ alg: 'ES256', typ: 'JWT' })}.${body}.${signature}`,
      // garbage in every part
      'a.b.c',
      `${header}.${body}.${signature}x`,
    ];
    for (const token of forged)
      await expect(service.verifyAccess(token, NOW), token).rejects.toMatchObject({ code: 'InvalidSession' });
  });

  it('refuses a private JWK without its private part and duplicate key ids at start-up', async () => {
    const key = await generateSigningKey('ES256');
    const { d: _d, ...publicOnly } = key.privateJwk;
    await expect(importSigningKeys([{ ...key, privateJwk: publicOnly }])).rejects.toThrow(/not a private key/);
    await expect(importSigningKeys([key, key])).rejects.toThrow(/duplicate kid/);
  });
});
