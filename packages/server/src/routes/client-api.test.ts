import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, startTestGatehouse, type TestGatehouse } from '../testing/index.js';

/**
 * The App Services wire rules on both dialects: location, content types, error
 * bodies, CORS, and every kind of bad input answered with a 4xx and a stable code.
 */
describe.each(['sqlite', 'postgres'] as const)('App Services wire rules (%s)', (dialect) => {
  let t: TestGatehouse;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t?.close());

  const expectError = (res: { status: number; headers: Headers; json: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual({ error: expect.any(String), error_code: code });
  };

  describe('location', () => {
    it('returns hostname without trailing slash and all four fields', async () => {
      const res = await t.request('GET', t.appPath('/location'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.json).toEqual({
        deployment_model: 'GLOBAL',
        location: 'US-VA',
        hostname: 'http://gatehouse.test',
        ws_hostname: 'ws://gatehouse.test',
      });
    });

    it('refuses an unknown app id with the App Services message', async () => {
      const res = await t.request('GET', '/api/client/v2.0/app/nope-xyz/location');
      expectError(res, 404, 'AppNotFound');
      expect(res.json.error).toBe("cannot find app using Client App ID 'nope-xyz'");
    });

    it('tolerates a doubled slash from a baseUrl with a trailing slash', async () => {
      const res = await t.request('GET', `//api/client/v2.0/app/${t.appId}/location`);
      expect(res.status).toBe(200);
    });
  });

  describe('responses', () => {
    it('labels JSON exactly application/json and gives 204 without a content type', async () => {
      const login = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
      expect(login.headers.get('content-type')).toBe('application/json');
      const logout = await t.request('DELETE', '/api/client/v2.0/auth/session', { token: login.json.refresh_token });
      expect(logout.status).toBe(204);
      expect(logout.headers.get('content-type')).toBeNull();
      expect(logout.text).toBe('');
    });

    it('accepts an empty body with a JSON content type on every method', async () => {
      const res = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), {
        raw: '',
        headers: { 'content-type': 'application/json;charset=utf-8' },
      });
      expect(res.status).toBe(200);
      const refresh = await t.request('POST', '/api/client/v2.0/auth/session', {
        raw: '',
        token: res.json.refresh_token,
        headers: { 'content-type': 'application/json;charset=utf-8' },
      });
      expect(refresh.status).toBe(201);
    });

    it('answers unknown paths with a JSON 404', async () => {
      expectError(await t.request('GET', '/api/client/v2.0/nothing-here'), 404, 'NotFound');
    });
  });

  describe('bad input (never a 5xx)', () => {
    const login = (raw: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      t.request('POST', t.appPath('/auth/providers/local-userpass/login'), { raw, headers });

    it('malformed JSON → 400 BadRequest', async () => {
      expectError(await login('{"username": "a@b.co", "password":'), 400, 'BadRequest');
      expectError(await login('[1,2,3]'), 400, 'BadRequest');
      expectError(await login('"text"'), 400, 'BadRequest');
      expectError(await login('null'), 400, 'BadRequest');
    });

    it('wrong types and missing fields → 400 naming the field', async () => {
      const wrong = await login(JSON.stringify({ username: 5, password: 'x' }));
      expectError(wrong, 400, 'BadRequest');
      expect(wrong.json.error).toContain("'username'");
      const missing = await login(JSON.stringify({ username: 'a@b.co' }));
      expectError(missing, 400, 'BadRequest');
      expect(missing.json.error).toContain("'password'");
    });

    it('unknown fields → 400 naming the field; provider and options are accepted', async () => {
      const res = await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
        body: { email: 'x@example.com', password: 'a long passphrase', admin: true },
      });
      expectError(res, 400, 'BadRequest');
      expect(res.json.error).toContain("'admin'");
      const ok = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), {
        body: {
          provider: 'anon-user',
          options: { device: { sdkVersion: '2.0.1', deviceId: { $oid: '0123456789abcdef01234567' } } },
        },
      });
      expect(ok.status).toBe(200);
    });

    it('bodies over the limit → 413, by header and by stream', async () => {
      const big = JSON.stringify({ username: 'a@b.co', password: 'x'.repeat(70_000) });
      expectError(await login(big), 413, 'PayloadTooLarge');
      // No Content-Length: the limit is enforced while reading.
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      });
      const res = await t.gatehouse.fetch(
        new Request(`http://gatehouse.test${t.appPath('/auth/providers/local-userpass/login')}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: stream,
          duplex: 'half',
        } as RequestInit),
      );
      expect(res.status).toBe(413);
    });

    it('a non-JSON content type → 415', async () => {
      expectError(
        await login('username=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'UnsupportedMediaType',
      );
    });

    it('invalid UTF-8 and broken Extended JSON → 400', async () => {
      const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
      const res = await t.gatehouse.fetch(
        new Request(`http://gatehouse.test${t.appPath('/auth/providers/anon-user/login')}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: bytes,
        }),
      );
      expect(res.status).toBe(400);
      expectError(await login(JSON.stringify({ username: { $numberInt: 'x' }, password: 'p' })), 400, 'BadRequest');
    });

    it('unknown or disabled providers → 404 AuthProviderNotFound', async () => {
      const res = await t.request('POST', t.appPath('/auth/providers/oauth2-myspace/login'), { body: {} });
      expectError(res, 404, 'AuthProviderNotFound');
      expect(res.json.error).toBe("authentication via 'oauth2-myspace' is unsupported");
    });

    it('injection-looking and unicode strings are data, not code', async () => {
      for (const username of ["' OR 1=1 --", 'a@b.co\u0000', '𝓪@𝓫.𝓬𝓸', '\u202e@evil.com', 'x'.repeat(1024)]) {
        const res = await login(JSON.stringify({ username, password: 'whatever-password' }));
        expect(res.status, username).toBeGreaterThanOrEqual(400);
        expect(res.status, username).toBeLessThan(500);
      }
    });

    it('refuses to link anonymous credentials, without logging in', async () => {
      const anon = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
      const res = await t.request('POST', t.appPath('/auth/providers/anon-user/login?link=true'), {
        body: {},
        token: anon.json.access_token,
      });
      expectError(res, 400, 'InvalidParameter');
    });
  });

  describe('CORS', () => {
    it('answers preflights and decorates responses', async () => {
      const pre = await t.request('OPTIONS', t.appPath('/auth/providers/local-userpass/login'), {
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(pre.headers.get('access-control-allow-methods')).toContain('DELETE');
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const res = await t.request('GET', t.appPath('/location'), { headers: { origin: 'https://app.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    });
  });

  describe('JWKS', () => {
    it('publishes public keys only, and they verify issued tokens', async () => {
      const res = await t.request('GET', '/.well-known/jwks.json');
      expect(res.status).toBe(200);
      const [key] = res.json.keys;
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
      expect(key.d).toBeUndefined();
      const { createLocalJWKSet, jwtVerify } = await import('jose');
      const login = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
      const { payload, protectedHeader } = await jwtVerify(login.json.access_token, createLocalJWKSet(res.json), {
        currentDate: new Date(t.now()),
      });
      expect(protectedHeader.kid).toBe(key.kid);
      expect(payload).toMatchObject({ sub: login.json.user_id, aud: t.appId, iss: 'http://gatehouse.test' });
      expect(decodeJwt(login.json.access_token).baas_device_id).toBe(login.json.device_id);
    });
  });

  describe('health', () => {
    it('healthz and readyz answer', async () => {
      expect((await t.request('GET', '/healthz')).json).toEqual({ status: 'ok' });
      expect((await t.request('GET', '/readyz')).status).toBe(200);
    });
  });
});
