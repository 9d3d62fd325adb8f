import type { Gatehouse } from '../gatehouse.js';
import { encodeState } from '../oauth/meteor/state.js';

/**
 * Test helpers for external logins without a browser: a "browser" that follows redirects between the services'
 * loopback stand-ins (real HTTP) and an in-process Gatehouse, presses Allow or Deny on consent pages, and an
 * in-process DDP session.
 */

export interface EndOfLogin {
  status: number;
  /** Where Gatehouse redirected the browser, if it did. */
  location: string | null;
  html: string;
  /** Meteor's configuration object of the end page (`setCredentialToken`, `credentialToken`, …), if any. */
  config: Record<string, any> | null;
}

/** A Meteor state with a fresh credential token. */
export function meteorState(
  loginStyle: 'popup' | 'redirect' = 'popup',
  redirectUrl?: string,
): { state: string; credentialToken: string } {
  const credentialToken = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  return {
    credentialToken,
    state: encodeState({ loginStyle, credentialToken, isCordova: false, ...(redirectUrl ? { redirectUrl } : {}) }),
  };
}

/**
 * Follows `url` until Gatehouse answers with a page or sends the browser to an address that is neither
 * Gatehouse's nor a service's; `consent` chooses Allow or Deny on the service's page.
 */
export async function browse(
  gatehouse: Gatehouse,
  url: string,
  options: { consent?: 'allow' | 'deny'; login?: string; gatehouseOrigin?: string } = {},
): Promise<EndOfLogin> {
  const origin = options.gatehouseOrigin ?? gatehouse.config.publicUrl;
  const jar = new Map<string, string>();
  let target = url;
  for (let hop = 0; hop < 20; hop++) {
    const ours = new URL(target).origin === new URL(origin).origin;
    const response = ours
      ? await gatehouse.fetch(new Request(target), { address: '127.0.0.1' })
      : await fetch(target, {
          redirect: 'manual',
          headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
    for (const c of response.headers.getSetCookie?.() ?? []) {
      const [pair] = c.split(';');
      const [k, ...v] = (pair as string).split('=');
      jar.set(k as string, v.join('='));
    }
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, target).toString();
      const nextOrigin = new URL(next).origin;
      if (ours && nextOrigin !== new URL(origin).origin && !isLoopback(nextOrigin))
        return { status: response.status, location: next, html: '', config: null };
      if (ours && isAppPage(next)) return { status: response.status, location: next, html: '', config: null };
      target = next;
      continue;
    }
    const html = await response.text();
    if (ours) return { status: response.status, location: null, html, config: configOf(html) };
    // A page that posts a form to the app (Apple's response_mode=form_post), as its script would.
    const form = /<form id="form_post" method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
    if (form) {
      const body = new URLSearchParams();
      for (const input of (form[2] as string).matchAll(/name="([^"]+)" value="([^"]*)"/g))
        body.append(input[1] as string, (input[2] as string).replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
      const posted = await gatehouse.fetch(
        new Request(form[1] as string, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: body.toString(),
        }),
        { address: '127.0.0.1' },
      );
      const text = await posted.text();
      return { status: posted.status, location: posted.headers.get('location'), html: text, config: configOf(text) };
    }
    const button = new RegExp(`id="${options.consent ?? 'allow'}" href="([^"]+)"`).exec(html);
    if (!button)
      throw new Error(
        `no ${options.consent ?? 'allow'} button at ${target} (${response.status}): ${html.slice(0, 300)}`,
      );
    const href = (button[1] as string).replace(/&amp;/g, '&');
    const next = new URL(href, target);
    if (options.login && next.searchParams.has('login')) next.searchParams.set('login', options.login);
    target = next.toString();
  }
  throw new Error('too many redirects');
}

/** Pages of the test's app live on `app.test`. */
const isAppPage = (url: string) => new URL(url).hostname === 'app.test';
const isLoopback = (origin: string) => /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(origin);

/** Meteor's configuration object from an end-of-login page. */
export function configOf(html: string): Record<string, any> | null {
  const m = /<script type="application\/json" id="config">([\s\S]*?)<\/script>/.exec(html);
  return m ? JSON.parse(m[1] as string) : null;
}

/** A DDP session in-process (no socket): `call` sends a method and waits for its result. */
export function ddpSession(gatehouse: Gatehouse, appId?: string) {
  const received: any[] = [];
  let closed = false;
  const connection = gatehouse.ddp.accept(
    {
      send: (text) => received.push(JSON.parse(text)),
      close: () => {
        closed = true;
      },
    },
    {
      ...(appId ? { appId } : {}),
      transport: { socketAddress: '127.0.0.1', forwardedFor: null },
      userAgent: null,
    },
  );
  if (!connection) throw new Error('no such app');
  connection.receive(JSON.stringify({ msg: 'connect', version: '1', support: ['1'] }));
  let id = 0;
  const wait = async (match: (m: any) => boolean) => {
    for (let i = 0; i < 500; i++) {
      const found = received.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no such DDP message');
  };
  return {
    received,
    get closed() {
      return closed;
    },
    async call(method: string, ...params: unknown[]): Promise<{ result?: any; error?: any }> {
      const callId = String(++id);
      connection.receive(JSON.stringify({ msg: 'method', id: callId, method, params }));
      const reply = await wait((m) => m.msg === 'result' && m.id === callId);
      return { result: reply.result, error: reply.error };
    },
    async subscribe(name: string): Promise<any[]> {
      const subId = `s${++id}`;
      connection.receive(JSON.stringify({ msg: 'sub', id: subId, name, params: [] }));
      await wait((m) => (m.msg === 'ready' && m.subs.includes(subId)) || (m.msg === 'nosub' && m.id === subId));
      return received.filter((m) => m.msg === 'added' && m.collection !== 'users');
    },
    close() {
      gatehouse.ddp.closed(connection);
    },
  };
}
