import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';
import { type Operation, openApiPath } from './document.js';
import { openApiMarkdown } from './markdown.js';
import { allOperations } from './operations.js';
import { referenceDocument } from './reference.js';

type Doc = { openapi: string; paths: Record<string, Record<string, any>> };

/** `GET /api/client/v2.0/app/{appId}/location`, for each operation of the document. */
function documented(document: Doc): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

/** The same for the routes Hono has mounted. */
function mounted(t: TestGatehouse): string[] {
  return t.gatehouse.httpRoutes.map((r) => `${r.method} ${openApiPath(r.path).path}`).sort();
}

async function validate(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const validator = new Validator();
  const result = await validator.validate(document as object);
  return { valid: result.valid, errors: result.errors };
}

/**
 * The OpenAPI document at /api/openapi.json against the routes actually mounted (neither may change alone),
 * against the OpenAPI 3.1 schema, and against real answers of the server; the reference page against it.
 */
describe.each(['sqlite', 'postgres'] as const)('OpenAPI document (%s)', (dialect) => {
  let t: TestGatehouse;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      app: {
        name: 'Test App',
        providers: { 'anon-user': {}, 'local-userpass': { confirmation: 'auto' }, 'api-key': {} },
      },
    });
  });
  afterAll(() => t?.close());

  it('is served at /api/openapi.json and is valid OpenAPI 3.1', async () => {
    const res = await t.request('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json.openapi).toBe('3.1.0');
    expect(res.json.servers).toEqual([{ url: 'http://gatehouse.test' }]);
    expect(await validate(res.json)).toEqual({ valid: true, errors: undefined });
  });

  it('describes exactly the routes Hono has mounted', async () => {
    const { json } = await t.request('GET', '/api/openapi.json');
    expect(documented(json)).toEqual(mounted(t));
    // Not vacuous: the client API, the extensions, the pages and the document itself are there.
    expect(documented(json)).toEqual(
      expect.arrayContaining([
        'POST /api/client/v2.0/app/{appId}/auth/providers/{provider}/login',
        'PATCH /api/client/v2.0/auth/user',
        'GET /app/{appId}/_oauth/{service}/',
        'GET /api/openapi.json',
      ]),
    );
    expect(documented(json).length).toBeGreaterThan(40);
  });

  it('uses the request schemas the routes validate with', async () => {
    const { json } = await t.request('GET', '/api/openapi.json');
    const register = json.paths['/api/client/v2.0/app/{appId}/auth/providers/local-userpass/register'].post;
    const schema = register.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['password']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.password).toMatchObject({ type: 'string', maxLength: 4096 });
    // The route refuses what the document says is not allowed.
    const refused = await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email: 'a@example.com', password: 'x'.repeat(4097) },
    });
    expect(refused.status).toBe(400);
    const login = json.paths['/api/client/v2.0/app/{appId}/auth/providers/{provider}/login'].post;
    const titles = login.requestBody.content['application/json'].schema.anyOf.map((s: { title: string }) => s.title);
    expect(titles).toEqual(expect.arrayContaining(['anon-user', 'local-userpass', 'api-key', 'custom-token']));
  });

  it('describes real answers', async () => {
    const operations = allOperations({ devPages: false });
    const answerOf = (method: Operation['method'], path: string, status: number) => {
      const op = operations.find((o) => o.method === method && o.path === path);
      const schema = op?.responses[status]?.json;
      if (!schema) throw new Error(`no documented ${status} answer of ${method} ${path}`);
      return schema;
    };
    const expectDescribed = (method: Operation['method'], path: string, res: { status: number; json: unknown }) => {
      const parsed = answerOf(method, path, res.status).safeParse(res.json);
      expect(parsed.error, `${method} ${path}`).toBeUndefined();
    };
    const APP = '/api/client/v2.0/app/:appId';
    expectDescribed('get', `${APP}/location`, await t.request('GET', t.appPath('/location')));
    const register = await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email: 'ada@example.com', password: 'correct horse battery' },
    });
    expectDescribed('post', `${APP}/auth/providers/local-userpass/register`, register);
    const login = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: 'ada@example.com', password: 'correct horse battery' },
    });
    expectDescribed('post', `${APP}/auth/providers/:provider/login`, login);
    const access = login.json.access_token;
    const refresh = login.json.refresh_token;
    expectDescribed(
      'get',
      '/api/client/v2.0/auth/profile',
      await t.request('GET', '/api/client/v2.0/auth/profile', { token: access }),
    );
    expectDescribed(
      'get',
      '/api/client/v2.0/auth/user',
      await t.request('GET', '/api/client/v2.0/auth/user', { token: access }),
    );
    expectDescribed(
      'get',
      '/api/client/v2.0/auth/sessions',
      await t.request('GET', '/api/client/v2.0/auth/sessions', { token: access }),
    );
    expectDescribed(
      'post',
      '/api/client/v2.0/auth/session',
      await t.request('POST', '/api/client/v2.0/auth/session', { token: refresh }),
    );
    expectDescribed('get', `${APP}/auth/providers`, await t.request('GET', t.appPath('/auth/providers')));
    const key = await t.request('POST', '/api/client/v2.0/auth/api_keys', { token: refresh, body: { name: 'k' } });
    expectDescribed('post', '/api/client/v2.0/auth/api_keys', key);
    expectDescribed(
      'get',
      '/api/client/v2.0/auth/api_keys',
      await t.request('GET', '/api/client/v2.0/auth/api_keys', { token: refresh }),
    );
    expectDescribed('get', '/readyz', await t.request('GET', '/readyz'));
    expectDescribed('get', '/.well-known/jwks.json', await t.request('GET', '/.well-known/jwks.json'));
  });
});

describe('OpenAPI document with the development pages', () => {
  it('lists them only when they are mounted', async () => {
    const t = await startTestGatehouse('sqlite', { config: { dangerouslyEnableDevPages: true } });
    try {
      const { json } = await t.request('GET', '/api/openapi.json');
      expect(documented(json)).toEqual(mounted(t));
      expect(documented(json)).toContain('GET /dev/outbox.json');
      expect(await validate(json)).toEqual({ valid: true, errors: undefined });
    } finally {
      await t.close();
    }
  });
});

describe('API reference page', () => {
  it('docs/api-reference.md is what `npm run api-reference` writes (run it after changing a route)', async () => {
    const document = referenceDocument();
    expect(await validate(document)).toEqual({ valid: true, errors: undefined });
    const committed = readFileSync(new URL('../../../../docs/api-reference.md', import.meta.url), 'utf8');
    expect(committed).toBe(openApiMarkdown(document));
  });
});
