import { z } from 'zod';

/** An HTTP method as the API description names it. */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a route is authenticated: nothing, the access token, the refresh token, or an admin API key. */
export type Auth = 'none' | 'access' | 'refresh' | 'admin';

/** One answer of an operation: a zod schema for a JSON body, an HTML page, a redirect, or no body. */
export interface Answer {
  description: string;
  /** The JSON body (`application/json`). */
  json?: z.ZodType;
  /** `text/html` (a page), `text/plain`, `text/javascript` (a script) or none. */
  content?: 'html' | 'text' | 'javascript';
  /** Response headers worth naming (e.g. `location` for a redirect). */
  headers?: Record<string, string>;
}

/**
 * One route of the HTTP API, described for the OpenAPI document. The request schemas are the very zod
 * schemas the route validates with (exported beside the route); the answers are described here. The test
 * `openapi.test.ts` compares the document with the routes Hono has mounted, so neither can change alone.
 */
export interface Operation {
  method: Method;
  /** The path as Hono writes it (`/api/client/v2.0/app/:appId/location`); parameters become `{appId}`. */
  path: string;
  summary: string;
  description?: string;
  /** Groups the reference by section: `App Services client API`, `Extensions`, `Pages`, `Health`, `Admin`. */
  tag: string;
  auth: Auth;
  /** With `auth: 'none'`: the access token may be given too, and changes what the route does (`?link=true`). */
  optionalAccess?: boolean;
  /** Query parameters, each `name: description` (all optional strings). */
  query?: Record<string, string>;
  /** A JSON body (`application/json`), validated with this schema. */
  body?: z.ZodType;
  /** Alternatives of a JSON body, by name (the login route: one payload per provider). */
  bodies?: Record<string, z.ZodType>;
  /** A form body (`application/x-www-form-urlencoded`) with these fields. */
  form?: Record<string, string>;
  /** The answers by status; every operation may also answer an error (`Error`) with a 4xx or 503. */
  responses: Record<number, Answer>;
}

/** The JSON body of every refusal: a message and a stable code (docs/http-api.md, "Errors"). */
export const errorSchema = z.object({
  error: z.string().describe('What went wrong, for people.'),
  error_code: z.string().describe('A stable code for programs, e.g. `InvalidPassword`, `AppNotFound`.'),
});

/** The OpenAPI document's `info` and the servers it names. */
export interface DocumentOptions {
  version: string;
  /** The origin clients reach (`publicUrl`); omitted: no `servers`. */
  serverUrl?: string;
}

type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), for a request (`input`) or an answer. The
 * definitions zod makes for recursive types (`z.json()`) move to `components.schemas` (`defs`), where a `$ref`
 * inside the document can reach them.
 */
function toSchema(schema: z.ZodType, io: 'input' | 'output', defs: Record<string, JsonSchema>): JsonSchema {
  const {
    $schema: _dialect,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  if (!$defs) return rest;
  const renamed = new Map<string, string>();
  for (const name of Object.keys($defs)) renamed.set(name, `Def${Object.keys(defs).length + renamed.size + 1}`);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const def = k === '$ref' && typeof v === 'string' && /^#\/\$defs\/(.+)$/.exec(v);
        return [k, def ? `#/components/schemas/${renamed.get(def[1] as string)}` : rewrite(v)];
      }),
    );
  };
  for (const [name, def] of Object.entries($defs)) defs[renamed.get(name) as string] = rewrite(def) as JsonSchema;
  return rewrite(rest) as JsonSchema;
}

const SECURITY: Record<Exclude<Auth, 'none'>, string> = {
  access: 'accessToken',
  refresh: 'refreshToken',
  admin: 'adminKey',
};

/** `/app/:appId/_oauth/:service/` → `/app/{appId}/_oauth/{service}/`, and the parameter names. */
export function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

/**
 * The OpenAPI 3.1 document of `operations`.
 *
 * @example
 * ```ts
 * const document = openApiDocument(allOperations(), { version: '0.1.0' });
 * ```
 */
export function openApiDocument(operations: readonly Operation[], options: DocumentOptions): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const defs: Record<string, JsonSchema> = {};
  const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => toSchema(schema, io, defs);
  const tags = [...new Set(operations.map((o) => o.tag))];
  for (const op of operations) {
    const { path, params } = openApiPath(op.path);
    const item = (paths[path] ??= {});
    if (item[op.method]) throw new Error(`the API description has ${op.method.toUpperCase()} ${op.path} twice`);
    const parameters = [
      ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(op.query ?? {}).map(([name, description]) => ({
        name,
        in: 'query',
        required: false,
        description,
        schema: { type: 'string' },
      })),
    ];
    const operation: Record<string, unknown> = {
      operationId: operationId(op),
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      ...(parameters.length ? { parameters } : {}),
      security: op.auth !== 'none' ? [{ [SECURITY[op.auth]]: [] }] : op.optionalAccess ? [{}, { accessToken: [] }] : [],
    };
    if (op.body)
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(op.body, 'input') } },
      };
    else if (op.bodies)
      operation.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: {
              anyOf: Object.entries(op.bodies).map(([title, schema]) => ({ title, ...schemaOf(schema, 'input') })),
            },
          },
        },
      };
    else if (op.form)
      operation.requestBody = {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              properties: Object.fromEntries(
                Object.entries(op.form).map(([name, description]) => [name, { type: 'string', description }]),
              ),
            },
          },
        },
      };
    const responses: Record<string, unknown> = {};
    for (const [status, answer] of Object.entries(op.responses)) {
      const content = answer.json
        ? { 'application/json': { schema: schemaOf(answer.json, 'output') } }
        : answer.content === 'html'
          ? { 'text/html': { schema: { type: 'string' } } }
          : answer.content === 'text'
            ? { 'text/plain': { schema: { type: 'string' } } }
            : answer.content === 'javascript'
              ? { 'text/javascript': { schema: { type: 'string' } } }
              : undefined;
      responses[status] = {
        description: answer.description,
        ...(answer.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(answer.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
        ...(content ? { content } : {}),
      };
    }
    responses['4XX'] = { $ref: '#/components/responses/Error' };
    // Anything that reads the database answers 503 while it is away; the liveness check reads nothing.
    if (op.path !== '/healthz') responses['503'] ??= { $ref: '#/components/responses/Error' };
    operation.responses = responses;
    item[op.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse HTTP API',
      version: options.version,
      description:
        'The App Services client API (what realm-web and the Realm SDKs send), Gatehouse’s extensions, the pages email links land on, and health checks. Every response carries `X-Request-Id`. Not described here: Meteor’s DDP over WebSocket (`/websocket`, `/sockjs/…`), which is not request and response, and the Prometheus metrics, served on a listener of their own.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: schemaOf(errorSchema, 'output'), ...defs },
      responses: {
        Error: {
          description:
            'A refusal: 400 bad input, 401 no or bad token, 403, 404 unknown app/user/key, 409, 429 rate limited (with `Retry-After`), 503 the database is away or password hashing is saturated (with `Retry-After`).',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      securitySchemes: {
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access token of a login (`Authorization: Bearer <access_token>`), 30 minutes.',
        },
        refreshToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The refresh token of a login: it names the session (`Authorization: Bearer <refresh_token>`).',
        },
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An admin API key, created with the CLI.',
        },
      },
    },
  };
}

/** A stable operation id: the method and the path's words (`getApiClientV20AppAppIdLocation`). */
function operationId(op: Operation): string {
  const words = op.path
    .replace(/\./g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return (
    op.method + words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('') + (op.path.endsWith('/') ? 'Slash' : '')
  );
}
