import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the generated schema is published in `@gatehouse-auth/server` (the package's `./config.schema.json`). */
export const CONFIG_JSON_SCHEMA_FILE = 'config.schema.json';

/**
 * One line per top-level field, shown by editors on hover. (The zod schema documents its fields in TSDoc,
 * which does not reach the generated schema; the full reference is docs/configuration.md.)
 */
const TOP_LEVEL: Record<string, string> = {
  $schema: 'The JSON Schema this file follows, so editors complete and check it.',
  publicUrl: 'The origin clients reach, e.g. https://auth.example.com (no path, no trailing slash).',
  listen: 'Where `gatehouse serve` listens.',
  database: 'sqlite:<path>, sqlite::memory: or postgres://…, and the PostgreSQL pool size.',
  redis: 'Redis shared by every instance: rate-limit counters and instant news of changed users.',
  keys: 'Signing keys [{ kid, alg, privateJwk }]: the first signs, every one verifies.',
  email: 'How mail leaves: { transport: "smtp", url, from }, or the development outbox.',
  passwordHashing: 'argon2id parameters, hashing threads and how many checks may wait.',
  limits: 'Request limits: the largest body accepted.',
  rateLimits: 'Failed-login limits per account and address, per account, per address, and their window.',
  corsOrigins: 'Origins allowed to call the API from a browser; ["*"] allows any.',
  trustProxy:
    'Take the client address from X-Forwarded-For (and the request id from X-Request-Id): only behind a proxy you run.',
  dangerouslyEnableDevPages: 'The demo page and the mail outbox. Never in production.',
  logLevel: 'JSON logs on stdout at this level.',
  metrics: 'Prometheus metrics on their own listener (off by default).',
  apps: 'The apps this deployment serves, by app id.',
  functions: 'Functions referenced by name: only in a gatehouse.config.mjs/.js module.',
  hooks: 'Meteor-style account hooks and customData(user): only in a gatehouse.config.mjs/.js module.',
};

/**
 * The JSON Schema (draft 2020-12) of `gatehouse.config.json`, generated from the zod schema the server
 * validates with: what a person may write (defaults optional), so editors complete field names and flag
 * typos and wrong types as the file is edited. Checks that need code — cross-field rules, durations — are
 * the server's; it still names every bad field at start-up.
 *
 * Functions (`functions`, `hooks`, a function for `restrictCreationByEmailDomain`) cannot be written in JSON:
 * the schema allows none there.
 *
 * @example
 * ```ts
 * writeFileSync('config.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
 * ```
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: ({ zodSchema }) =>
      zodSchema._zod.def.type === 'custom'
        ? { not: {}, description: 'a function: only in a gatehouse.config.mjs/.js module, not in JSON' }
        : 'throw',
  }) as Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };
  for (const [name, property] of Object.entries(schema.properties)) {
    const description = TOP_LEVEL[name];
    if (description) schema.properties[name] = { description, ...property };
  }
  return {
    $schema: schema.$schema,
    title: 'Gatehouse configuration (gatehouse.config.json)',
    ...schema,
  };
}
