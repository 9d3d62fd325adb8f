import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from './resolve.js';

const minimal = {
  publicUrl: 'http://localhost:8080/',
  database: { url: 'sqlite::memory:' },
  keys: [{ kid: 'k1', privateJwk: { kty: 'EC' } }],
  apps: { 'my-app': { providers: { 'local-userpass': {} } } },
};

function issuesOf(input: unknown): string[] {
  try {
    resolveConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('applies defaults and turns durations into milliseconds', () => {
    const config = resolveConfig(minimal);
    expect(config.publicUrl).toBe('http://localhost:8080');
    const app = config.apps.get('my-app');
    expect(app?.accessTokenLifetimeMs).toBe(30 * 60_000);
    expect(app?.refreshTokenLifetimeMs).toBe(60 * 86_400_000);
    expect(app?.providers['local-userpass']?.resetTokenLifetimeMs).toBe(30 * 60_000);
    expect(app?.providers['local-userpass']?.confirmationTokenLifetimeMs).toBe(48 * 3_600_000);
    expect(app?.providers['anon-user']).toBeUndefined();
    expect(config.limits.maxBodyBytes).toBe(65536);
    expect(config.passwordHashing).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads Meteor's Accounts.config values: defaults, null login expiry, the reset lifetime in days", () => {
    const app = (accounts: Record<string, unknown>) =>
      resolveConfig({ ...minimal, apps: { 'my-app': { accounts, providers: { 'local-userpass': {} } } } }).apps.get(
        'my-app',
      );
    expect(app({})?.accounts).toMatchObject({
      loginExpirationInDays: 90,
      passwordEnrollTokenExpirationInDays: 30,
      ambiguousErrorMessages: true,
    });
    expect(app({ loginExpirationInDays: null })?.accounts.loginExpirationInDays).toBe(36_500);
    expect(app({ passwordResetTokenExpirationInDays: 3 })?.providers['local-userpass']?.resetTokenLifetimeMs).toBe(
      3 * 86_400_000,
    );
    expect(issuesOf({ ...minimal, apps: { a: { accounts: { loginExpirationInDays: 0 } } } }).join()).toContain(
      'loginExpirationInDays',
    );
  });

  it('names every bad field', () => {
    const issues = issuesOf({
      ...minimal,
      keys: [],
      bogus: 1,
      apps: {
        'my app': {},
        ok: { accessTokenLifetime: 'soon', providers: { 'local-userpass': { confirmation: 'maybe' } } },
      },
    });
    const text = issues.join('\n');
    expect(text).toMatch(/^keys: /m);
    expect(text).toMatch(/bogus/);
    expect(text).toMatch(/^apps\.my app: /m);
    expect(text).toMatch(/^apps\.ok\.accessTokenLifetime: expected a duration/m);
    expect(text).toMatch(/^apps\.ok\.providers\.local-userpass\.confirmation: /m);
  });

  it('requires the named confirmation function to exist in the config module', () => {
    const issues = issuesOf({
      ...minimal,
      apps: { a: { providers: { 'local-userpass': { confirmation: 'function', confirmationFunction: 'confirmIt' } } } },
    });
    expect(issues).toEqual([
      "apps.a.providers.local-userpass.confirmationFunction: no function named 'confirmIt' in the config module",
    ]);
    const ok = resolveConfig({
      ...minimal,
      functions: { confirmIt: async () => ({ status: 'success' }) },
      apps: { a: { providers: { 'local-userpass': { confirmation: 'function', confirmationFunction: 'confirmIt' } } } },
    });
    expect(typeof ok.functions.confirmIt).toBe('function');
  });

  it('checks passkey settings at start-up: origins under the rp id, a host name for the rp id', () => {
    const withPasskey = (publicUrl: string, passkey: Record<string, unknown>) => ({
      ...minimal,
      publicUrl,
      apps: { 'my-app': { providers: { passkey } } },
    });
    expect(() => resolveConfig(withPasskey('https://auth.example.com', {}))).not.toThrow();
    expect(
      issuesOf(withPasskey('https://auth.example.com', { rpId: 'example.com', origins: ['https://evil.test'] })),
    ).toEqual(['apps.my-app.providers.passkey.origins.0: host is not example.com or under it']);
    expect(issuesOf(withPasskey('http://127.0.0.1:8080', {}))).toEqual([
      'apps.my-app.providers.passkey.rpId: required when publicUrl is an IP address (passkeys need a host name, e.g. localhost)',
    ]);
    expect(issuesOf(withPasskey('https://auth.example.com', { origins: ['https://a.example.com/path'] }))).toHaveLength(
      1,
    );
  });

  it('refuses a config without signing keys', () => {
    const { keys: _keys, ...noKeys } = minimal;
    expect(issuesOf(noKeys).join('\n')).toMatch(/^keys: /m);
  });
});
