#!/usr/bin/env node
// Writes packages/server/config.schema.json — the JSON Schema of gatehouse.config.json — from the zod schema
// the server validates with (after `npm run build`). A test fails while the committed file differs from what
// this script would write: run it after changing packages/server/src/config/schema.ts.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { configJsonSchema, CONFIG_JSON_SCHEMA_FILE } = await import(
  join(root, 'packages/server/dist/config/json-schema.js')
);
const path = join(root, 'packages/server', CONFIG_JSON_SCHEMA_FILE);
writeFileSync(path, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${path}\n`);
