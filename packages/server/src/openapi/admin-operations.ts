import type { z } from 'zod';
import { ADMIN_PREFIX, ADMIN_ROUTES, type AdminRoute } from '../routes/admin/schemas.js';
import type { Answer, Operation } from './document.js';

/**
 * The admin API's operations, straight from the route table its router is built from (`ADMIN_ROUTES`): the
 * same request schemas, the same answers. Mounted with the admin API, so listed beside it.
 */
export function adminOperations(): Operation[] {
  return (Object.values(ADMIN_ROUTES) as AdminRoute[]).map((route): Operation => {
    const query = route.query ? queryDescriptions(route.query) : {};
    const responses: Record<number, Answer> =
      route.response === null
        ? { 204: { description: 'Done; no body.' } }
        : { 200: { description: 'OK', json: route.response } };
    return {
      method: route.method,
      path: `${ADMIN_PREFIX}${route.path}`,
      summary: route.summary,
      tag: 'Admin',
      auth: 'admin',
      ...(Object.keys(query).length > 0 ? { query } : {}),
      ...(route.body ? { body: route.body } : {}),
      responses,
    };
  });
}

/** The admin console's page, listed only when `admin.console` mounts it. */
export const adminConsoleOperation: Operation = {
  method: 'get',
  path: '/admin',
  summary: 'The admin console (with `admin.console: true`); signs in with an admin API key',
  tag: 'Pages',
  auth: 'none',
  responses: { 200: { description: 'The console page.', content: 'html' } },
};

function queryDescriptions(schema: z.ZodType): Record<string, string> {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.fromEntries(Object.entries(shape).map(([name, field]) => [name, field.description ?? name]));
}
