import { GatehouseError } from '@gatehouse-auth/core';
import type { z } from 'zod';

/**
 * Validates a request body against a zod schema; a mismatch is a `BadRequest` naming the first bad field,
 * e.g. `invalid request: 'password' expected string`. Unknown fields are refused by the (strict) schemas.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new GatehouseError('BadRequest', 'invalid request');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${clip(k)}'`).join(', ');
    throw new GatehouseError('BadRequest', `invalid request: unknown field ${keys}`);
  }
  const path = issue.path.length ? `'${issue.path.map((p) => clip(String(p))).join('.')}' ` : '';
  throw new GatehouseError('BadRequest', `invalid request: ${path}${issue.message}`);
}

/** Field names come from the client: keep them short in messages. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
