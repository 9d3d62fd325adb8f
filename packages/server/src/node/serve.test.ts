import { request } from 'node:http';
import { openTestStorage } from '@gatehouse-auth/storage/testing';
import { describe, expect, it } from 'vitest';
import { createGatehouse } from '../gatehouse.js';
import { testSigningKey } from '../testing/index.js';
import { serveNode } from './serve.js';

const appId = 'node-app';
/** Registrations currently inside the slow confirmation function. */
let inHandler = 0;
async function config() {
  return {
    publicUrl: 'http://127.0.0.1:0',
    database: { url: 'sqlite::memory:' },
    keys: [await testSigningKey()],
    logLevel: 'silent' as const,
    passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    // A confirmation function that takes its time keeps registrations in flight while shutdown starts.
    functions: {
      slowConfirm: () => {
        inHandler++;
        return new Promise((r) => setTimeout(() => r({ status: 'success' }), 300));
      },
    },
    apps: {
      [appId]: {
        providers: {
          'anon-user': {},
          'local-userpass': { confirmation: 'function' as const, confirmationFunction: 'slowConfirm' },
        },
      },
    },
  };
}

describe('Node adapter', () => {
  it('serves over HTTP and passes the client address to rate limits', async () => {
    const { storage, cleanup } = await openTestStorage('sqlite');
    const server = await serveNode(await createGatehouse(await config(), { storage }), { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${server.url}/api/client/v2.0/app/${appId}/location`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const login = await fetch(`${server.url}/api/client/v2.0/app/${appId}/auth/providers/anon-user/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(login.status).toBe(200);
      // An empty success carries no content type at all over HTTP (realm-web throws on text/plain).
      const logout = await fetch(`${server.url}/api/client/v2.0/auth/session`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${(await login.json()).refresh_token}` },
      });
      expect(logout.status).toBe(204);
      expect(logout.headers.get('content-type')).toBeNull();
      const event = (await storage.listAuditEvents(appId)).find((e) => e.type === 'login');
      expect(event?.ip).toMatch(/127\.0\.0\.1$/);
    } finally {
      await server.close();
      await cleanup();
    }
  });

  it('shuts down gracefully: in-flight requests finish, then the pools close', async () => {
    const { storage, cleanup } = await openTestStorage('sqlite');
    const server = await serveNode(await createGatehouse(await config(), { storage }), { host: '127.0.0.1', port: 0 });
    // Plain node:http without keep-alive, so each request has a connection of its own and no pooled
    // connection from an earlier test can be reset under it.
    const register = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ email: `inflight${i}@example.com`, password: 'a long passphrase' });
        const req = request(`${server.url}/api/client/v2.0/app/${appId}/auth/providers/local-userpass/register`, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    const inFlight = [register(1), register(2), register(3)];
    // Close only once all three are inside the handler: a connection whose request has not arrived yet is
    // idle, and closing idle connections is exactly what shutdown should do.
    for (let i = 0; i < 200 && inHandler < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(inHandler).toBe(3);
    const closing = server.close();
    const statuses = await Promise.all(inFlight);
    expect(statuses).toEqual([201, 201, 201]);
    await closing;
    // New connections are refused once closed.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    // The database pool is closed: further storage calls fail.
    await expect(storage.getUser(appId, '0123456789abcdef01234567')).rejects.toThrow();
    await cleanup().catch(() => {});
  });
});
