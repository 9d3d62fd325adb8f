import SockJS from 'sockjs-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEncryptionKey } from '../oauth/vault.js';
import { browse, meteorState } from '../testing/external-login.js';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../testing/index.js';
import { type ServiceStandIns, startServiceStandIns } from '../testing/service-stand-ins.js';
import { type NodeServer, serveNode } from './serve.js';

/** A DDP client over the npm `sockjs-client`, limited to the transports given. */
async function sockjsDdp(url: string, transports: string[]) {
  const socket = new SockJS(url, null, { transports });
  const received: any[] = [];
  socket.onmessage = (event: { data: string }) => received.push(JSON.parse(event.data));
  const closed = new Promise<void>((resolve) => {
    socket.onclose = () => resolve();
  });
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    setTimeout(() => reject(new Error('SockJS did not open')), 5000);
  });
  const wait = async (match: (m: any) => boolean) => {
    for (let i = 0; i < 500; i++) {
      const found = received.find(match);
      if (found) {
        received.splice(received.indexOf(found), 1);
        return found;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no such DDP message; got ${JSON.stringify(received).slice(0, 300)}`);
  };
  socket.send(JSON.stringify({ msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] }));
  const connected = await wait((m) => m.msg === 'connected');
  let id = 0;
  return {
    socket,
    transport: (socket as unknown as { transport: string }).transport,
    connected,
    received,
    wait,
    closed,
    async call(method: string, ...params: unknown[]) {
      const callId = String(++id);
      socket.send(JSON.stringify({ msg: 'method', id: callId, method, params }));
      const reply = await wait((m) => m.msg === 'result' && m.id === callId);
      return { result: reply.result, error: reply.error };
    },
  };
}

/**
 * Meteor's browser client speaks SockJS: the npm `sockjs-client` (the library Meteor's client bundles) over a
 * WebSocket and over XHR only, against a real Gatehouse on loopback — password login, resume, OAuth login.
 */
describe('DDP over SockJS', () => {
  let t: TestGatehouse;
  let node: NodeServer;
  let services: ServiceStandIns;
  beforeAll(async () => {
    services = await startServiceStandIns();
    t = await startTestGatehouse('sqlite', {
      config: {
        encryptionKeys: [generateEncryptionKey('k')],
        apps: {
          [TEST_APP_ID]: {
            providers: { 'local-userpass': { confirmation: 'auto' } },
            services: { github: services.settings.github },
          },
        },
      },
      gatehouse: { now: Date.now },
    });
    node = await serveNode(t.gatehouse, { port: 0 });
  });
  afterAll(async () => {
    await node?.close({ graceMs: 100 });
    await services?.close();
  });

  it('answers /sockjs/info as SockJS does', async () => {
    const info = await (await fetch(`${node.url}/sockjs/info`)).json();
    expect(info).toMatchObject({ websocket: true, cookie_needed: false, origins: ['*:*'] });
    expect((await fetch(`${node.url}/app/${TEST_APP_ID}/sockjs/info`)).status).toBe(200);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  });

  it.each([
    ['websocket', ['websocket']],
    ['XHR streaming only', ['xhr-streaming']],
    ['XHR polling only', ['xhr-polling']],
  ])('%s: createUser, password login, resume on a new session, OAuth login', async (_name, transports) => {
    const first = await sockjsDdp(`${node.url}/sockjs`, transports);
    expect(first.transport).toBe(transports[0]);
    const email = `ada-${transports[0]}@example.com`;
    const created = await first.call('createUser', { email, password: 'correct horse battery' });
    expect(created.error).toBeUndefined();
    const login = await first.call('login', { user: { email }, password: 'correct horse battery' });
    expect(login.result).toMatchObject({ id: created.result.id, type: 'password' });
    await first.wait((m) => m.msg === 'added' && m.collection === 'users' && m.id === created.result.id);
    first.socket.close();
    await first.closed;

    // The same account resumes on another session, here through the app's own path.
    const second = await sockjsDdp(`${node.url}/app/${TEST_APP_ID}/sockjs`, transports);
    const resumed = await second.call('login', { resume: login.result.token });
    expect(resumed.result).toMatchObject({ id: created.result.id, type: 'resume' });

    // An OAuth login: the popup's credential redeemed over SockJS.
    const { state, credentialToken } = meteorState();
    const end = await browse(
      t.gatehouse,
      `http://gatehouse.test/_oauth/github?requestTokenAndRedirect=true&state=${encodeURIComponent(state)}`,
    );
    const oauth = await second.call('login', {
      oauth: { credentialToken, credentialSecret: end.config?.credentialSecret },
    });
    expect(oauth.result).toMatchObject({ type: 'github' });
    expect(oauth.result.id).not.toBe(created.result.id);
    second.socket.close();
  });

  it('refuses an unknown app and closes a session whose message is too big', async () => {
    const unknown = new SockJS(`${node.url}/app/no-such-app/sockjs`, null, { transports: ['websocket'] });
    const code = await new Promise<number>((resolve) => {
      unknown.onclose = (event: { code: number }) => resolve(event.code);
    });
    expect(code).toBe(1008);
    const c = await sockjsDdp(`${node.url}/sockjs`, ['xhr-polling']);
    c.socket.send('x'.repeat(70_000));
    await c.closed;
  });
});
