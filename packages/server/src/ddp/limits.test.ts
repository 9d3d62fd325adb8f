import { openTestStorage } from '@gatehouse-auth/storage/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createGatehouse } from '../gatehouse.js';
import { type NodeServer, serveNode } from '../node/serve.js';
import { testSigningKey } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';

/** DDP connections are bounded (issue 9, item 6): a connect timeout, an idle limit for `pre1`, and caps. */
const servers: { server: NodeServer; cleanup(): Promise<void> }[] = [];
afterAll(async () => {
  for (const { server, cleanup } of servers) {
    await server.close({ graceMs: 0 });
    await cleanup();
  }
});

async function start(ddp: Record<string, unknown>): Promise<string> {
  const { storage, cleanup } = await openTestStorage('sqlite');
  const gatehouse = await createGatehouse(
    {
      publicUrl: 'http://127.0.0.1:0',
      database: { url: 'sqlite::memory:' },
      keys: [await testSigningKey()],
      logLevel: 'silent',
      ddp,
      apps: { 'ddp-limits': { providers: { 'anon-user': {} } } },
    },
    { storage },
  );
  const server = await serveNode(gatehouse, { port: 0 });
  servers.push({ server, cleanup });
  return `${server.url.replace('http', 'ws')}/websocket`;
}

describe('DDP connection limits', () => {
  it('closes a socket that never sends connect, and a pre1 connection that stays silent', async () => {
    const url = await start({ connectTimeout: '300ms', pre1IdleTimeout: '400ms' });
    const silent = await RawDdp.open(url, false);
    const started = Date.now();
    expect(await silent.closed).toEqual({ code: 1008 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    const pre1 = await RawDdp.open(url, false);
    pre1.send({ msg: 'connect', version: 'pre1', support: ['pre1'] });
    await pre1.next((m) => m.msg === 'connected');
    // Talking keeps it open …
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 200));
      pre1.send({ msg: 'ping', id: String(i) });
      await pre1.next((m) => m.msg === 'pong');
    }
    // … silence ends it.
    expect(await pre1.closed).toEqual({ code: 1000 });

    // A version-1 connection has the heartbeat instead and is not closed for silence by this limit.
    const v1 = await RawDdp.open(url);
    await new Promise((r) => setTimeout(r, 600));
    expect((await v1.call('logout')).error).toBeUndefined();
    v1.ws.close();
  });

  it('refuses connections past the per-address cap with 1013, and admits again once one closed', async () => {
    const url = await start({ maxConnectionsPerAddress: 2 });
    const a = await RawDdp.open(url);
    const b = await RawDdp.open(url);
    const refused = await RawDdp.open(url, false);
    expect(await refused.closed).toEqual({ code: 1013 });
    a.ws.close();
    await a.closed;
    await new Promise((r) => setTimeout(r, 50));
    const c = await RawDdp.open(url);
    expect((await c.call('logout')).error).toBeUndefined();
    b.ws.close();
    c.ws.close();
  });

  it('refuses connections past the total cap with 1013', async () => {
    const url = await start({ maxConnections: 3 });
    const open = await Promise.all([RawDdp.open(url), RawDdp.open(url), RawDdp.open(url)]);
    const refused = await RawDdp.open(url, false);
    expect(await refused.closed).toEqual({ code: 1013 });
    for (const client of open) client.ws.close();
  });
});
