import { z } from 'zod';

/**
 * The admin API's requests and answers as zod schemas: the routes validate with them, and the OpenAPI
 * document is generated from {@link ADMIN_ROUTES} (each route's method, path, parameters, body and answer).
 * Every request schema is strict: an unknown field or query parameter is a 400.
 */

const objectIdHex = z.string().regex(/^[0-9a-f]{24}$/, 'expected a 24-hex id');
const json = z.record(z.string(), z.unknown());
const millis = z.number().int().describe('milliseconds since the epoch');
/** A query-string integer (`?limit=20`). */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

// ---- parameters ------------------------------------------------------------------------------------------
export const appParams = z.object({ appId: z.string().min(1).max(100) });
export const userParams = appParams.extend({ userId: objectIdHex });
export const sessionParams = userParams.extend({ sessionId: z.string().min(1).max(64) });
export const apiKeyParams = userParams.extend({ keyId: objectIdHex });
export const identityParams = userParams.extend({
  providerId: z.string().min(1).max(100),
  identityId: z.string().min(1).max(512),
});
export const serviceParams = appParams.extend({ service: z.string().min(1).max(64) });

// ---- queries ---------------------------------------------------------------------------------------------
export const listUsersQuery = z
  .object({
    search: z.string().min(1).max(256).optional().describe('an id, or part of a username or email address'),
    provider: z.string().min(1).max(100).optional().describe('users with an identity of this provider type or id'),
    after: objectIdHex.optional().describe('the `next` cursor of the previous page'),
    limit: queryInt(1, 200).optional(),
  })
  .strict();

export const auditQuery = z
  .object({
    userId: objectIdHex.optional(),
    type: z.string().min(1).max(64).optional(),
    since: queryInt(0, 8_640_000_000_000).optional().describe('events at or after (ms)'),
    until: queryInt(0, 8_640_000_000_000).optional().describe('events before (ms)'),
    before: z.string().max(64).optional().describe('the `next` cursor of the previous page'),
    limit: queryInt(1, 1000).optional(),
  })
  .strict();

export const noQuery = z.object({}).strict();

// ---- bodies ----------------------------------------------------------------------------------------------
export const createUserBody = z
  .object({
    email: z.string().min(3).max(320).optional(),
    username: z.string().min(1).max(256).optional(),
    password: z.string().min(1).max(4096).optional(),
    profile: json.optional(),
  })
  .strict()
  .refine((b) => b.email !== undefined || b.username !== undefined, 'an email or a username is required');

export const updateUserBody = z
  .object({ profile: json.optional(), customData: json.optional() })
  .strict()
  .refine((b) => b.profile !== undefined || b.customData !== undefined, 'nothing to update: profile or customData');

export const setPasswordBody = z
  .object({
    password: z.string().min(1).max(4096),
    logout: z.boolean().optional().describe('end every session of the user (default true)'),
  })
  .strict();

export const sendMailBody = z
  .object({
    kind: z.enum(['confirmation', 'reset', 'enrollment']),
    email: z
      .string()
      .min(3)
      .max(320)
      .optional()
      .describe('one of the user’s addresses (default: the first fitting one)'),
  })
  .strict();

export const setServiceBody = json.describe('the service’s settings, as `gatehouse services set` takes them');

export const emptyBody = z.object({}).strict();

// ---- answers ---------------------------------------------------------------------------------------------
export const errorAnswer = z.object({
  error: z.string(),
  error_code: z.string().describe('stable: AuthError (401), Forbidden (403), BadRequest, InvalidParameter, …'),
});

export const userAnswer = z.object({
  id: objectIdHex,
  username: z.string().nullable(),
  type: z.enum(['normal', 'server']),
  disabled: z.boolean(),
  emails: z.array(z.object({ address: z.string(), verified: z.boolean() })),
  identities: z.array(
    z.object({ id: z.string(), providerType: z.string(), providerId: z.string(), data: json.optional() }),
  ),
  profile: json,
  customData: json,
  createdAt: millis,
  updatedAt: millis,
});

export const userPageAnswer = z.object({ items: z.array(userAnswer), next: objectIdHex.nullable() });

export const sessionAnswer = z.object({
  id: z.string(),
  kind: z.enum(['refresh', 'resume']),
  providerType: z.string(),
  deviceId: z.string(),
  userAgent: z.string().nullable(),
  apiKeyId: z.string().nullable(),
  createdAt: millis,
  lastUsedAt: millis,
  expiresAt: millis,
});

export const apiKeyAnswer = z.object({
  id: objectIdHex,
  name: z.string(),
  kind: z.enum(['user', 'server']),
  disabled: z.boolean(),
  createdAt: millis,
  lastUsedAt: millis.nullable(),
});

export const auditEventAnswer = z.object({
  id: objectIdHex,
  type: z.string(),
  userId: z.string().nullable(),
  at: millis,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  actor: z.string().nullable().describe('the admin key that acted'),
  detail: json,
});

export const auditPageAnswer = z.object({ items: z.array(auditEventAnswer), next: z.string().nullable() });

export const serviceAnswer = z.object({
  service: z.string(),
  source: z.enum(['config', 'database']),
  settings: json,
  callbackUrl: z.string(),
});

export const appAnswer = z.object({
  id: z.string(),
  name: z.string(),
  providers: z.array(z.string()).describe('the enabled providers'),
});

export const whoAmIAnswer = z.object({
  key: z.object({ id: objectIdHex, name: z.string(), appId: z.string().nullable() }),
  apps: z.array(appAnswer).describe('the apps this key administers'),
});

export const mailAnswer = z.object({ sentTo: z.string() });
export const revokedAnswer = z.object({ revoked: z.number().int() });
export const settingsAnswer = json.describe('the app’s settings; every secret is "[redacted]"');

/** One route of the admin API, for the router's validation and for the OpenAPI document. */
export interface AdminRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono-style path under {@link ADMIN_PREFIX}, e.g. `/apps/:appId/users/:userId`. */
  path: string;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The 2xx answer; `null` for 204 No Content. */
  response: z.ZodType | null;
}

export const ADMIN_PREFIX = '/api/admin/v1';

const r = <R extends AdminRoute>(route: R): R => route;

/** Every admin API route. */
export const ADMIN_ROUTES = {
  whoAmI: r({
    method: 'get',
    path: '/me',
    summary: 'The key in use and the apps it administers',
    query: noQuery,
    response: whoAmIAnswer,
  }),
  listUsers: r({
    method: 'get',
    path: '/apps/:appId/users',
    summary: 'List and search users (paged)',
    params: appParams,
    query: listUsersQuery,
    response: userPageAnswer,
  }),
  createUser: r({
    method: 'post',
    path: '/apps/:appId/users',
    summary: 'Create a user',
    params: appParams,
    body: createUserBody,
    response: userAnswer,
  }),
  getUser: r({
    method: 'get',
    path: '/apps/:appId/users/:userId',
    summary: 'Get a user',
    params: userParams,
    query: noQuery,
    response: userAnswer,
  }),
  updateUser: r({
    method: 'patch',
    path: '/apps/:appId/users/:userId',
    summary: 'Replace profile and/or custom data',
    params: userParams,
    body: updateUserBody,
    response: userAnswer,
  }),
  deleteUser: r({
    method: 'delete',
    path: '/apps/:appId/users/:userId',
    summary: 'Delete a user and everything it owns',
    params: userParams,
    response: null,
  }),
  disableUser: r({
    method: 'post',
    path: '/apps/:appId/users/:userId/disable',
    summary: 'Disable a user: its sessions end, its logins answer UserDisabled',
    params: userParams,
    body: emptyBody,
    response: userAnswer,
  }),
  enableUser: r({
    method: 'post',
    path: '/apps/:appId/users/:userId/enable',
    summary: 'Enable a user',
    params: userParams,
    body: emptyBody,
    response: userAnswer,
  }),
  setPassword: r({
    method: 'put',
    path: '/apps/:appId/users/:userId/password',
    summary: 'Set the password (the policy applies)',
    params: userParams,
    body: setPasswordBody,
    response: null,
  }),
  sendMail: r({
    method: 'post',
    path: '/apps/:appId/users/:userId/mail',
    summary: 'Send a confirmation, reset or enrollment mail',
    params: userParams,
    body: sendMailBody,
    response: mailAnswer,
  }),
  listSessions: r({
    method: 'get',
    path: '/apps/:appId/users/:userId/sessions',
    summary: 'The user’s active sessions',
    params: userParams,
    query: noQuery,
    response: z.array(sessionAnswer),
  }),
  revokeSessions: r({
    method: 'delete',
    path: '/apps/:appId/users/:userId/sessions',
    summary: 'End every session of the user',
    params: userParams,
    response: revokedAnswer,
  }),
  revokeSession: r({
    method: 'delete',
    path: '/apps/:appId/users/:userId/sessions/:sessionId',
    summary: 'End one session',
    params: sessionParams,
    response: null,
  }),
  listApiKeys: r({
    method: 'get',
    path: '/apps/:appId/users/:userId/api-keys',
    summary: 'The user’s API keys (never secrets)',
    params: userParams,
    query: noQuery,
    response: z.array(apiKeyAnswer),
  }),
  deleteApiKey: r({
    method: 'delete',
    path: '/apps/:appId/users/:userId/api-keys/:keyId',
    summary: 'Delete an API key; the sessions it opened end',
    params: apiKeyParams,
    response: null,
  }),
  unlinkIdentity: r({
    method: 'delete',
    path: '/apps/:appId/users/:userId/identities/:providerId/:identityId',
    summary: 'Unlink an identity (not the last one)',
    params: identityParams,
    response: null,
  }),
  listServices: r({
    method: 'get',
    path: '/apps/:appId/services',
    summary: 'External services (public settings)',
    params: appParams,
    query: noQuery,
    response: z.array(serviceAnswer),
  }),
  setService: r({
    method: 'put',
    path: '/apps/:appId/services/:service',
    summary: 'Store a service’s settings (secret encrypted)',
    params: serviceParams,
    body: setServiceBody,
    response: serviceAnswer,
  }),
  removeService: r({
    method: 'delete',
    path: '/apps/:appId/services/:service',
    summary: 'Remove a stored service',
    params: serviceParams,
    response: null,
  }),
  settings: r({
    method: 'get',
    path: '/apps/:appId/settings',
    summary: 'The app’s settings, secrets redacted',
    params: appParams,
    query: noQuery,
    response: settingsAnswer,
  }),
  audit: r({
    method: 'get',
    path: '/apps/:appId/audit',
    summary: 'The audit log, newest first (paged)',
    params: appParams,
    query: auditQuery,
    response: auditPageAnswer,
  }),
} as const satisfies Record<string, AdminRoute>;
