import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../tokens/keys.js';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema } from './json-schema.js';
import { resolveConfig } from './resolve.js';

const published = new URL(`../../${CONFIG_JSON_SCHEMA_FILE}`, import.meta.url);

/** Validates as an editor would: the published file, with every draft 2020-12 keyword checked. */
function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
  return ajv.compile(JSON.parse(readFileSync(published, 'utf8')));
}

describe('the JSON Schema of the config file', () => {
  it('is the one the zod schema generates (run `npm run config-schema` after changing config/schema.ts)', () => {
    expect(readFileSync(published, 'utf8')).toBe(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

  it('accepts what the server accepts: a full production config', async () => {
    const config = {
      $schema: './node_modules/@gatehouse-auth/server/config.schema.json',
      publicUrl: 'https://auth.example.com',
      listen: { host: '0.0.0.0', port: 8080 },
      database: { url: 'postgres://gatehouse@db.internal/gatehouse', poolSize: 10 },
      redis: { url: 'redis://cache.internal:6379', keyPrefix: 'gatehouse:' },
      keys: [await generateSigningKey('ES256')],
      email: { transport: 'smtp', url: 'smtps://user:pass@smtp.example.com', from: 'My App <no-reply@example.com>' },
      trustProxy: true,
      metrics: { enabled: true, host: '0.0.0.0', port: 9464 },
      apps: {
        'myapp-zayvv': {
          name: 'My App',
          accessTokenLifetime: '30m',
          providers: {
            'anon-user': { enabled: true },
            'local-userpass': { confirmation: 'email', reset: 'email', minPasswordLength: 12 },
            'api-key': {},
          },
          accounts: { loginExpirationInDays: null, defaultFieldSelector: { profile: 0 } },
        },
      },
    };
    expect(() => resolveConfig(config)).not.toThrow();
    const validate = validator();
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });

  it('flags what the server refuses: a misspelt field, a wrong enum value, a wrong type, a function field', async () => {
    const validate = validator();
    const base = {
      publicUrl: 'http://localhost:8080',
      database: { url: 'sqlite:./.gatehouse/gatehouse.db' },
      keys: [await generateSigningKey('ES256')],
      apps: { 'myapp-zayvv': {} },
    };
    expect(validate(base)).toBe(true);
    const wrong: Record<string, unknown>[] = [
      { ...base, logLevell: 'debug' },
      { ...base, apps: { 'myapp-zayvv': { providers: { 'local-userpass': { confirmation: 'sometimes' } } } } },
      { ...base, listen: { port: '8080' } },
      { ...base, hooks: { onLogin: 'console.log' } },
      { ...base, keys: undefined },
    ];
    for (const config of wrong) {
      expect(validate(config), JSON.stringify(config)).toBe(false);
      expect(() => resolveConfig(config)).toThrow();
    }
  });
});
