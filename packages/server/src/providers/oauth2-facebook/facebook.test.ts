import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as Realm from 'realm-web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveNode } from '../../node/serve.js';
import { startTestGatehouse, type TestGatehouse } from '../../testing/index.js';

const APP_ID = '1234567890';
const APP_SECRET = 'facebook-app-secret';

/**
 * A loopback stand-in for the two Graph API calls Facebook login needs, in the shapes Facebook documents:
 * `GET /debug_token` (token inspection with the app token) and `GET /me` (with `appsecret_proof`).
 */
class FakeGraph {
  tokens = new Map<string, { app_id: string; user_id: string; valid: boolean }>();
  mode: 'ok' | 'garbage' | 'down' = 'ok';
  proofs: string[] = [];
  server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (this.mode === 'garbage') return res.end('<html>oops');
      if (this.mode === 'down') return res.destroy();
      if (url.pathname.endsWith('/debug_token')) {
        if (url.searchParams.get('access_token') !== `${APP_ID}|${APP_SECRET}`) {
          res.statusCode = 400;
          return res.end(
            JSON.stringify({ error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 } }),
          );
        }
        const t = this.tokens.get(url.searchParams.get('input_token') ?? '');
        return res.end(
          JSON.stringify({
            data: t
              ? { app_id: t.app_id, type: 'USER', is_valid: t.valid, user_id: t.user_id, scopes: ['email'] }
              : { is_valid: false },
          }),
        );
      }
      if (url.pathname.endsWith('/me')) {
        const token = url.searchParams.get('access_token') ?? '';
        this.proofs.push(url.searchParams.get('appsecret_proof') ?? '');
        const t = this.tokens.get(token);
        if (!t) {
          res.statusCode = 400;
          return res.end(JSON.stringify({ error: { message: 'Malformed access token', code: 190 } }));
        }
        return res.end(
          JSON.stringify({
            id: t.user_id,
            name: 'Fay Book',
            email: 'fay@example.com',
            first_name: 'Fay',
            last_name: 'Book',
            picture: { data: { url: 'https://p.example/f.png' } },
          }),
        );
      }
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v19.0`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe.each(['sqlite', 'postgres'] as const)('Facebook login (%s)', (dialect) => {
  let t: TestGatehouse;
  const graph = new FakeGraph();
  beforeAll(() => graph.start());
  afterAll(() => graph.stop());
  afterEach(() => t?.close());

  const start = () =>
    startTestGatehouse(dialect, {
      app: {
        providers: {
          'anon-user': {},
          'oauth2-facebook': { appId: APP_ID, appSecret: APP_SECRET, graphBaseUrl: graph.url },
        },
      } as never,
    });
  const login = (accessToken: string) =>
    t.request('POST', t.appPath('/auth/providers/oauth2-facebook/login'), { body: { accessToken } });

  it('inspects the token for this app, reads /me with appsecret_proof, and keys the user on the Facebook id', async () => {
    graph.mode = 'ok';
    graph.tokens.set('EAAtoken1', { app_id: APP_ID, user_id: '555', valid: true });
    t = await start();
    const res = await login('EAAtoken1');
    expect(res.status).toBe(200);
    expect(graph.proofs.at(-1)).toBe(createHmac('sha256', APP_SECRET).update('EAAtoken1').digest('hex'));
    const profile = (await t.request('GET', '/api/client/v2.0/auth/profile', { token: res.json.access_token })).json;
    expect(profile.data).toEqual({
      name: 'Fay Book',
      email: 'fay@example.com',
      first_name: 'Fay',
      last_name: 'Book',
      picture: 'https://p.example/f.png',
    });
    expect(profile.identities[0]).toMatchObject({ id: '555', provider_type: 'oauth2-facebook' });
    expect((await t.gatehouse.storage.getUser(t.appId, res.json.user_id))?.emails).toEqual([
      { address: 'fay@example.com', verified: false },
    ]);
    expect((await login('EAAtoken1')).json.user_id).toBe(res.json.user_id);
  });

  it("refuses another app's token, an invalid token, garbage and an unreachable Graph API with a 4xx", async () => {
    graph.tokens.set('EAAother', { app_id: '999', user_id: '556', valid: true });
    graph.tokens.set('EAAexpired', { app_id: APP_ID, user_id: '557', valid: false });
    t = await start();
    graph.mode = 'ok';
    expect((await login('EAAother')).json.error).toBe('invalid Facebook token: the token was issued to another app');
    expect((await login('EAAexpired')).json.error).toBe('invalid Facebook token: the token is not valid');
    expect((await login('unknown')).json.error).toBe('invalid Facebook token: the token is not valid');
    graph.mode = 'garbage';
    expect((await login('EAAtoken1')).json.error).toBe(
      'invalid Facebook token: Facebook answered something that is not JSON',
    );
    graph.mode = 'down';
    const down = await login('EAAtoken1');
    expect(down.status).toBe(401);
    expect(down.json.error).toBe('invalid Facebook token: Facebook could not be reached');
    graph.mode = 'ok';
    expect(await t.countUsers()).toBe(0);
  });

  it('realm-web logs in with Credentials.facebook(token)', async () => {
    graph.mode = 'ok';
    graph.tokens.set('EAArealm', { app_id: APP_ID, user_id: '777', valid: true });
    t = await start();
    const node = await serveNode(t.gatehouse, { port: 0 });
    try {
      const app = new Realm.App({ id: t.appId, baseUrl: node.url, skipLocationRequest: true });
      const user = await app.logIn(Realm.Credentials.facebook('EAArealm'));
      expect(user.identities).toEqual([{ id: '777', providerType: 'oauth2-facebook' }]);
      expect(user.profile.name).toBe('Fay Book');
    } finally {
      await node.server.close();
    }
  });
});
