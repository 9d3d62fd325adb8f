import { describe, expect, it } from 'vitest';
import { startTestGatehouse } from './testing/index.js';

describe.each(['sqlite', 'postgres'] as const)('readiness (%s)', (dialect) => {
  it('/readyz answers 503 once the database is gone, while /healthz still answers', async () => {
    const t = await startTestGatehouse(dialect);
    expect((await t.request('GET', '/readyz')).status).toBe(200);
    await t.gatehouse.storage.close();
    const res = await t.request('GET', '/readyz');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ status: 'unavailable', error_code: 'ServiceUnavailable' });
    expect((await t.request('GET', '/healthz')).status).toBe(200);
    // Requests that need the database fail with a JSON 500, not a crash or a hang.
    const login = await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} });
    expect(login.status).toBe(500);
    expect(login.json).toEqual({ error: 'internal server error', error_code: 'InternalServerError' });
    await t.close().catch(() => {});
  });
});
