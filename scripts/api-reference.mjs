#!/usr/bin/env node
// Writes docs/api-reference.md — the HTTP API reference — from the OpenAPI document the server publishes at
// /api/openapi.json (after `npm run build`). A test (packages/server/src/openapi/openapi.test.ts) fails while
// the committed page differs from what this script would write: run it after changing a route.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { referenceDocument } = await import(join(root, 'packages/server/dist/openapi/reference.js'));
const { openApiMarkdown } = await import(join(root, 'packages/server/dist/openapi/markdown.js'));
const path = join(root, 'docs/api-reference.md');
writeFileSync(path, openApiMarkdown(referenceDocument()));
process.stdout.write(`wrote ${path}\n`);
