import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';

const CALLBACK = 'https://notes.example.com/auth/callback';

/** The hosted pages over HTTP: who may be sent where, the headers, the language, the app's settings. */
describe.each(['sqlite', 'postgres'] as const)('hosted pages (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const start = (branding: Record<string, unknown> = {}) =>
    startTestGatehouse(dialect, {
      app: {
        name: 'Notes',
        oauthRedirectUris: [CALLBACK],
        branding,
        providers: { 'local-userpass': { confirmation: 'auto' } },
      } as never,
    }).then((started) => (t = started));
  const login = (query: string, headers: Record<string, string> = {}) =>
    t.request('GET', `/app/${t.appId}/login?${query}`, { headers: { accept: 'text/html', ...headers } });
  const configOf = (html: string) =>
    JSON.parse(/<script type="application\/json" id="gatehouse-page">([^<]*)<\/script>/.exec(html)?.[1] ?? 'null');

  it('serves the sign-in page for an allowlisted redirect, with the hand-over settings and a strict CSP', async () => {
    await start();
    const page = await login(`redirect=${encodeURIComponent(CALLBACK)}&state=abcdefghijkl`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<gatehouse-sign-in navigable>');
    expect(page.text).toContain('<script type="module" src="../../ui/hosted.js"></script>');
    expect(configOf(page.text)).toEqual({
      appId: t.appId,
      baseUrl: 'http://gatehouse.test',
      redirect: CALLBACK,
      state: 'abcdefghijkl',
      messages: {},
    });
    const csp = page.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(csp).toBe(
      `default-src 'none'; script-src 'self'; style-src 'nonce-${nonce}'; img-src 'self'; connect-src 'self' http://gatehouse.test; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
    expect(page.text).toContain(`<style nonce="${nonce}">`);
    // A new nonce for every response.
    const again = await login(`redirect=${encodeURIComponent(CALLBACK)}`);
    expect(again.headers.get('content-security-policy')).not.toContain(nonce);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['another site', 'redirect=https://evil.example/auth/callback'],
    ['a longer path', `redirect=${encodeURIComponent(`${CALLBACK}/x`)}`],
    ['a query added', `redirect=${encodeURIComponent(`${CALLBACK}?next=/`)}`],
    ['other letter case', `redirect=${encodeURIComponent(CALLBACK.toUpperCase())}`],
    ['two redirects', `redirect=${encodeURIComponent(CALLBACK)}&redirect=https://evil.example/`],
    ['a bad state', `redirect=${encodeURIComponent(CALLBACK)}&state=${encodeURIComponent('"><script>')}`],
    ['no redirect', 'state=abcdefghijkl'],
  ])('refuses %s: an error page, no elements, no script, no redirect', async (_, query) => {
    await start();
    const page = await login(query);
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.text).toContain('role="alert"');
    expect(page.text).not.toMatch(/<gatehouse-|<script|evil\.example/);
  });

  it('picks the language from ?lang, then Accept-Language, else English; Arabic is right to left', async () => {
    await start({ messages: { 'pt-BR': { signInTitle: 'Entrar no Notes' } } });
    const redirect = `redirect=${encodeURIComponent(CALLBACK)}`;
    expect((await login(`${redirect}&lang=ar`)).text).toContain('<html lang="ar" dir="rtl">');
    expect((await login(redirect, { 'accept-language': 'fr-CH, de;q=0.5' })).text).toContain(
      '<html lang="fr" dir="ltr">',
    );
    expect((await login(`${redirect}&lang=ja`, { 'accept-language': 'de' })).text).toContain('<html lang="ja"');
    expect((await login(`${redirect}&lang=xx`)).text).toContain('<html lang="en"');
    expect((await login(`${redirect}&lang=${encodeURIComponent('"><b>')}`)).text).toContain('<html lang="en"');
    // A language the app gives texts for is one the page offers.
    expect((await login(redirect, { 'accept-language': 'pt-BR' })).text).toContain('<html lang="pt-BR"');
  });

  it("applies the app's colours, logo, back link and texts, escaped", async () => {
    await start({
      logoUrl: 'https://cdn.example.com/logo.svg?a=1&b=2',
      appUrl: 'https://notes.example.com/?from="gatehouse"',
      colors: { primary: '#0f766e', page: '#eef2f1' },
      messages: { en: { signInTitle: '</script><script>alert(1)</script>' } },
    });
    const page = await login(`redirect=${encodeURIComponent(CALLBACK)}`);
    expect(page.text).toContain(
      ':root{--hosted-page-background:#f4f4f5;--gatehouse-color-primary:#0f766e;--hosted-page-background:#eef2f1;}',
    );
    expect(page.text).toContain(
      '<img class="logo" src="https://cdn.example.com/logo.svg?a=1&amp;b=2" alt="" height="48">',
    );
    expect(page.text).toContain('<a href="https://notes.example.com/?from=&quot;gatehouse&quot;">Back to Notes</a>');
    expect(page.headers.get('content-security-policy')).toContain("img-src 'self' https://cdn.example.com;");
    // The texts travel as JSON in a data block: no `<` that could close it.
    expect(page.text.match(/<script/g)).toHaveLength(2);
    expect(configOf(page.text).messages).toEqual({ en: { signInTitle: '</script><script>alert(1)</script>' } });
  });

  it('serves the confirm and reset pages on the elements, with a plain form for browsers without JavaScript', async () => {
    await start({ appUrl: 'https://notes.example.com/' });
    const confirm = await t.request('GET', `/app/${t.appId}/confirm?token=abc&tokenId=0123`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('<gatehouse-confirm-email sign-in-href="https://notes.example.com/">');
    expect(confirm.text).toMatch(/<noscript>[\s\S]*<form method="post">[\s\S]*<\/noscript>/);
    expect(configOf(confirm.text).redirect).toBeNull();
    const reset = await t.request('GET', `/app/${t.appId}/reset?token=abc&tokenId=0123`);
    expect(reset.text).toContain('<gatehouse-reset-password forgot-password-href="#forgot-password"');
    expect(reset.text).toContain('<div data-view="forgot-password" hidden><gatehouse-forgot-password');
    expect(reset.text).toContain('Back to Notes');
    expect((await t.request('GET', `/app/${t.appId}/reset?token=abc`)).status).toBe(400);
    expect((await t.request('GET', '/app/no-such-app/login')).status).toBe(404);
  });

  it('serves the UI bundle to any origin and the page script to its own', async () => {
    await start();
    const bundle = await t.request('GET', '/ui/gatehouse-ui.js', { headers: { origin: 'https://notes.example.com' } });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(bundle.headers.get('access-control-allow-origin')).toBe('*');
    expect(bundle.text).toContain('gatehouse-login-buttons');
    expect(bundle.headers.get('content-encoding')).toBeNull();
    // Compressed for clients that accept gzip (about a third of the size).
    const gzipped = await t.gatehouse.fetch(
      new Request('http://gatehouse.test/ui/gatehouse-ui.js', { headers: { 'accept-encoding': 'gzip, br' } }),
      { address: '127.0.0.1' },
    );
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    const raw = new Uint8Array(await gzipped.arrayBuffer());
    expect(raw.length).toBeLessThan(bundle.text.length / 2);
    expect(gunzipSync(raw).toString('utf8')).toBe(bundle.text);
    const script = await t.request('GET', '/ui/hosted.js');
    expect(script.text).toContain("from './gatehouse-ui.js'");
    expect(script.headers.get('access-control-allow-origin')).toBeNull();
  });
});
