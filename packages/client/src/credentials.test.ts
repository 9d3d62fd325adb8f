import { describe, expect, it } from 'vitest';
import { Credentials } from './credentials.js';
import { readClaims } from './jwt.js';
import { jwt } from './test-server.js';

describe('Credentials: realm-web 2.0.1 payloads', () => {
  it('builds each provider’s payload', () => {
    const view = (c: Credentials) => [c.providerName, c.providerType, c.reuse, c.payload];
    expect(view(Credentials.anonymous())).toEqual(['anon-user', 'anon-user', true, {}]);
    expect(view(Credentials.anonymous(false))).toEqual(['anon-user', 'anon-user', false, {}]);
    expect(view(Credentials.emailPassword('a@x', 'pw'))).toEqual([
      'local-userpass',
      'local-userpass',
      false,
      { username: 'a@x', password: 'pw' },
    ]);
    expect(view(Credentials.apiKey('k'))).toEqual(['api-key', 'api-key', false, { key: 'k' }]);
    expect(view(Credentials.jwt('t'))).toEqual(['custom-token', 'custom-token', false, { token: 't' }]);
    expect(view(Credentials.function({ a: 1 }))).toEqual(['custom-function', 'custom-function', false, { a: 1 }]);
    expect(Credentials.google({ idToken: 'i' }).payload).toEqual({ id_token: 'i' });
    expect(Credentials.google({ authCode: 'c' }).payload).toEqual({ authCode: 'c' });
    expect(Credentials.google({ redirectUrl: 'https://app/cb' }).payload).toEqual({ redirectUrl: 'https://app/cb' });
    expect(Credentials.facebook('token').payload).toEqual({ accessToken: 'token' });
    expect(Credentials.facebook('https://app/cb').payload).toEqual({ redirectUrl: 'https://app/cb' });
    expect(Credentials.apple('id').payload).toEqual({ id_token: 'id' });
    expect(Credentials.apple('https://app/cb').payload).toEqual({ redirectUrl: 'https://app/cb' });
    expect(Credentials.google({ idToken: 'i' }).providerType).toBe('oauth2-google');
  });

  it('refuses bad arguments with a TypeError at once', () => {
    expect(() => Credentials.emailPassword('a@x', undefined as never)).toThrow(TypeError);
    expect(() => Credentials.apiKey('')).toThrow(TypeError);
    expect(() => Credentials.jwt(42 as never)).toThrow(TypeError);
    expect(() => Credentials.function([] as never)).toThrow(TypeError);
    expect(() => Credentials.google('4/code' as never)).toThrow(TypeError);
    expect(() => Credentials.google({ token: 'x' } as never)).toThrow(TypeError);
    expect(() => Credentials.google({ idToken: '' })).toThrow(TypeError);
    expect(() => Credentials.facebook(null as never)).toThrow(TypeError);
    expect(() => Credentials.apple('')).toThrow(TypeError);
  });
});

describe('readClaims', () => {
  it('reads a JWT payload with numeric exp and iat, else null', () => {
    expect(readClaims(jwt({ iat: 1, exp: 2, sub: 's' }))).toEqual({ iat: 1, exp: 2, sub: 's' });
    expect(readClaims(jwt({ iat: '1', exp: 2 }))).toBeNull();
    expect(readClaims('a.b')).toBeNull();
    expect(readClaims('a.!!!.c')).toBeNull();
    expect(readClaims(`a.${btoa('not json')}.c`)).toBeNull();
    expect(readClaims(null)).toBeNull();
  });
});
