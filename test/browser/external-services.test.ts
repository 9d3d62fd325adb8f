import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { resolve } from 'node:path';
import { type NodeServer, serveNode } from '@gatehouse-auth/server';
import { startTestGatehouse, type TestGatehouse } from '@gatehouse-auth/server/testing';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEncryptionKey } from '../../packages/server/src/oauth/vault.js';
import { startTestIdp, type TestIdp } from '../../packages/server/src/testing/oidc-idp.js';
import { type ServiceStandIns, startServiceStandIns } from '../../packages/server/src/testing/service-stand-ins.js';
import { freePort } from '../compat/serve.js';
import { SOURCE_ALIASES } from '../source-aliases.js';

/**
 * External logins in real Chromium. A "Meteor app" on its own origin does what Meteor's client packages do —
 * builds the login URL (`github_client.js`, `google_client.js`, `twitter_client.js`), opens the popup or
 * redirects, takes the credential from `Package.oauth.OAuth._handleCredentialSecret` or `sessionStorage`, and
 * logs in over DDP on SockJS (the bundled `sockjs-client`) — and routes `/_oauth/*` to Gatehouse, as the docs
 * tell a Meteor app to. A second app page uses Gatehouse's SDK (`loginWithGithub()`) from another origin.
 * GitHub and Twitter/X are loopback stand-ins, Google a real OpenID provider (oidc-provider).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const GOOGLE_CLIENT = 'meteor-google-client';
const GOOGLE_SECRET = 'a-secret-for-the-browser-idp';

describe('external services in Chromium', () => {
  let t: TestGatehouse;
  let node: NodeServer;
  let idp: TestIdp;
  let services: ServiceStandIns;
  let meteorApp: Server;
  let sdkApp: Server;
  let browser: Browser;
  let gatehouseUrl: string;
  let meteorUrl: string;
  let sdkUrl: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    const [gatehousePort, meteorPort, sdkPort] = [await freePort(), await freePort(), await freePort()];
    gatehouseUrl = `http://127.0.0.1:${gatehousePort}`;
    meteorUrl = `http://127.0.0.1:${meteorPort}`;
    sdkUrl = `http://127.0.0.1:${sdkPort}`;
    services = await startServiceStandIns();
    idp = await startTestIdp({
      clientId: GOOGLE_CLIENT,
      clientSecret: GOOGLE_SECRET,
      redirectUris: [`${meteorUrl}/_oauth/google`],
      pkce: false,
    });
    t = await startTestGatehouse('sqlite', {
      config: {
        publicUrl: gatehouseUrl,
        encryptionKeys: [generateEncryptionKey('browser')],
        apps: {
          // The Meteor app: its ROOT_URL is its own origin, which routes /_oauth/* here.
          'meteor-app': {
            rootUrl: meteorUrl,
            services: {
              github: services.settings.github,
              twitter: services.settings.twitter,
              google: { clientId: GOOGLE_CLIENT, secret: GOOGLE_SECRET, issuer: idp.issuer },
            },
          },
          // An app using the SDK from its own origin.
          'sdk-app': { oauthRedirectUris: [`${sdkUrl}/`], services: { github: services.settings.github } },
        },
      },
      gatehouse: { now: Date.now },
    });
    node = await serveNode(t.gatehouse, { host: '127.0.0.1', port: gatehousePort });

    const bundle = async (contents: string) =>
      (
        await build({
          stdin: { contents, resolveDir: ROOT },
          bundle: true,
          format: 'iife',
          platform: 'browser',
          target: 'es2020',
          write: false,
          define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
          alias: {
            ...SOURCE_ALIASES,
          },
          logLevel: 'silent',
        })
      ).outputFiles[0]?.text ?? '';
    const sockjsBundle = await bundle("import SockJS from 'sockjs-client'; window.SockJS = SockJS;");
    const sdkBundle = await bundle("import * as sdk from '@gatehouse-auth/client'; window.sdk = sdk;");

    meteorApp = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] as string;
      // The app routes Meteor's OAuth paths to Gatehouse (a reverse proxy would do the same).
      if (path.startsWith('/_oauth/')) {
        const forward = httpRequest(
          `${gatehouseUrl}${req.url}`,
          { method: req.method, headers: { ...req.headers, host: `127.0.0.1:${gatehousePort}` } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        req.pipe(forward);
        return;
      }
      if (path === '/sockjs.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(sockjsBundle);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(meteorPage(gatehouseUrl, services.settings.github.loginUrl as string, idp.issuer));
    });
    sdkApp = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/sdk.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(sdkBundle);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><meta charset="utf-8"><title>sdk app</title><script src="/sdk.js"></script>
<script>
  window.app = new sdk.App({ id: 'sdk-app', baseUrl: ${JSON.stringify(gatehouseUrl)} });
  window.accounts = sdk.createAccounts(app);
  window.redirected = accounts.completeExternalLoginRedirect().then(
    (done) => ({ done, userId: accounts.userId(), hash: location.hash }),
    (error) => ({ error: String(error.message) }),
  );
</script>`);
    });
    await new Promise<void>((r) => meteorApp.listen(meteorPort, '127.0.0.1', r));
    await new Promise<void>((r) => sdkApp.listen(sdkPort, '127.0.0.1', r));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of [meteorApp, sdkApp]) {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    }
    await idp?.close();
    await services?.close();
    await node?.close({ graceMs: 200 });
  });

  /** What the person does at each service's login page. */
  async function consent(page: Page, service: string, answer: 'allow' | 'deny' = 'allow'): Promise<void> {
    if (service === 'google') {
      await page.waitForSelector('input[name="login"]', { timeout: 15_000 });
      await page.fill('input[name="login"]', 'gina');
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      await page.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached', timeout: 15_000 });
      await page.click('button[type="submit"]');
      return;
    }
    await page.waitForSelector(`#${answer}`, { timeout: 15_000 });
    await page.click(`#${answer}`);
  }

  async function meteorPageReady(context: Awaited<ReturnType<Browser['newContext']>>): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${meteorUrl}/`);
    await page.evaluate(() => (window as any).ready);
    return page;
  }

  it.each(['github', 'google', 'twitter'])(
    'Meteor’s client: %s by popup, then by redirect, each time logged in over DDP (SockJS) with the credential',
    async (service) => {
      const context = await browser.newContext();
      const page = await meteorPageReady(context);
      const popupOpened = page.waitForEvent('popup');
      await page.evaluate((s) => {
        (window as any).result = (window as any).meteorLogin(s, { loginStyle: 'popup' });
      }, service);
      const popup = await popupOpened;
      await consent(popup, service);
      const first = await page.evaluate(() => (window as any).result);
      expect(first.error).toBeUndefined();
      expect(first).toMatchObject({ id: expect.any(String), token: expect.any(String), type: service });
      await expect.poll(() => popup.isClosed(), { timeout: 5000 }).toBe(true);
      // The credential worked once.
      const replay = await page.evaluate(() => (window as any).replay());
      expect(replay.error).toMatchObject({ error: 145546287, reason: 'No matching login attempt found' });

      // Redirect style: the whole page goes to the service and back; the app logs in at start-up.
      await page.evaluate((s) => (window as any).meteorLogin(s, { loginStyle: 'redirect' }), service);
      if (service !== 'google') await consent(page, service); // the IdP remembers Google's consent
      // Back on the app page, which finds the login in its migration data and logs in at start-up.
      await page.waitForFunction(() => (window as any).redirectResult !== undefined, null, { timeout: 15_000 });
      expect(page.url()).toBe(`${meteorUrl}/`);
      const second = await page.evaluate(() => (window as any).redirectResult);
      expect(second).toMatchObject({ id: first.id, type: service });
      await context.close();
    },
  );

  it('Meteor’s client: denied consent shows the error in the popup and logs nobody in', async () => {
    const context = await browser.newContext();
    const page = await meteorPageReady(context);
    const popupOpened = page.waitForEvent('popup');
    await page.evaluate(() => {
      (window as any).result = (window as any).meteorLogin('github', { loginStyle: 'popup' });
    });
    const popup = await popupOpened;
    await consent(popup, 'github', 'deny');
    await popup.waitForSelector('#error');
    expect(await popup.textContent('#error')).toContain('GitHub login was not completed (access_denied)');
    await popup.close();
    expect(await page.evaluate(() => (window as any).result)).toEqual({ cancelled: true });
    await context.close();
  });

  it('Meteor’s client: a redirectUrl outside the app is refused on Gatehouse’s page, never followed', async () => {
    const context = await browser.newContext();
    const page = await meteorPageReady(context);
    const outside = `${sdkUrl}/not-the-meteor-app`;
    await page.evaluate(
      (url) => (window as any).meteorLogin('github', { loginStyle: 'redirect', redirectUrl: url }),
      outside,
    );
    await consent(page, 'github');
    await page.waitForSelector('#error', { timeout: 15_000 });
    expect(page.url().startsWith(`${meteorUrl}/_oauth/github?`)).toBe(true);
    expect(await page.textContent('#error')).toContain('is not an allowed page of the app');
    expect(await page.$('#back')).toBeNull();
    await context.close();
  });

  it('the SDK: loginWithGithub() by popup over HTTP; closing the popup early cancels', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sdkUrl}/`);
    const popupOpened = page.waitForEvent('popup');
    await page.evaluate(() => {
      const w = window as any;
      w.result = w.accounts.loginWithGithub({ requestPermissions: ['user:email'] }).then(
        () => ({
          userId: w.accounts.userId(),
          identities: w.app.currentUser.identities,
          type: w.app.currentUser.providerType,
        }),
        (error: Error) => ({ error: error.message }),
      );
    });
    const popup = await popupOpened;
    expect(popup.url().startsWith(services.url)).toBe(true);
    await consent(popup, 'github');
    const result = await page.evaluate(() => (window as any).result);
    expect(result.error).toBeUndefined();
    expect(result.userId).toMatch(/^[0-9a-f]{24}$/);
    expect(result.type).toBe('oauth-credential');

    const again = page.waitForEvent('popup');
    await page.evaluate(() => {
      const w = window as any;
      w.cancelled = w.accounts.loginWithGithub().then(
        () => ({ ok: true }),
        (error: Error) => ({ error: error.message }),
      );
    });
    await (await again).close();
    expect(await page.evaluate(() => (window as any).cancelled)).toEqual({
      error: 'Login cancelled: the login window was closed',
    });
    await context.close();
  });

  it('the SDK: loginWithGithub({ loginStyle: "redirect" }) comes back and completes by itself', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sdkUrl}/`);
    await page.evaluate(() => void (window as any).accounts.loginWithGithub({ loginStyle: 'redirect' }));
    await consent(page, 'github');
    await page.waitForURL(
      (url) => url.toString().startsWith(`${sdkUrl}/`) && !url.toString().startsWith(services.url),
      {
        timeout: 15_000,
      },
    );
    const done = await page.evaluate(() => (window as any).redirected);
    expect(done).toMatchObject({ done: true, userId: expect.stringMatching(/^[0-9a-f]{24}$/), hash: '' });
    await context.close();
  });
});

/**
 * The Meteor app's page: what Meteor's `oauth`, `accounts-oauth` and `<service>-oauth` client packages do,
 * written out, with DDP over SockJS to Gatehouse.
 */
function meteorPage(gatehouseUrl: string, githubLoginUrl: string, googleIssuer: string): string {
  return `<!doctype html><meta charset="utf-8"><title>meteor app</title><script src="/sockjs.js"></script>
<script>
(function () {
  var PREFIX = 'Meteor.oauth.credentialSecret-';
  var secrets = {};
  var configurations = {};
  // Package.oauth.OAuth._handleCredentialSecret, which the popup's last page calls on its opener.
  window.Package = { oauth: { OAuth: { _handleCredentialSecret: function (token, secret) {
    if (secrets[token]) throw new Error('Duplicate credential token from OAuth login');
    secrets[token] = secret;
  } } } };
  function randomSecret() {
    var bytes = crypto.getRandomValues(new Uint8Array(32)), s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function stateParam(loginStyle, credentialToken, redirectUrl) {
    var state = { loginStyle: loginStyle, credentialToken: credentialToken, isCordova: false };
    if (loginStyle === 'redirect') state.redirectUrl = redirectUrl || ('' + window.location);
    return btoa(JSON.stringify(state));
  }
  function redirectUri(service) { return location.origin + '/_oauth/' + service; }
  function loginUrl(service, token, loginStyle, options) {
    var state = stateParam(loginStyle, token, options.redirectUrl);
    if (service === 'github')
      return ${JSON.stringify(githubLoginUrl)} + '/login/oauth/authorize?client_id=' + configurations.github.clientId +
        '&scope=user:email&redirect_uri=' + redirectUri('github') + '&state=' + state;
    if (service === 'google')
      return ${JSON.stringify(googleIssuer)} + '/auth?' + new URLSearchParams({ response_type: 'code',
        client_id: configurations.google.clientId, scope: 'email openid profile', redirect_uri: redirectUri('google'),
        state: state }).toString();
    if (service === 'twitter')
      return location.origin + '/_oauth/twitter/?requestTokenAndRedirect=true&state=' + state;
  }

  // DDP over SockJS, as Meteor's client connects.
  var socket = new SockJS(${JSON.stringify(`${gatehouseUrl}/sockjs`)});
  var waiting = {}, nextId = 0, onReady;
  socket.onmessage = function (event) {
    var m = JSON.parse(event.data);
    if (m.msg === 'added' && m.collection === 'meteor_accounts_loginServiceConfiguration') configurations[m.id] = m.fields;
    if (m.msg === 'ready') onReady();
    if (m.msg === 'result' && waiting[m.id]) { waiting[m.id](m); delete waiting[m.id]; }
  };
  window.ready = new Promise(function (resolve) {
    onReady = resolve;
    socket.onopen = function () {
      socket.send(JSON.stringify({ msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] }));
      socket.send(JSON.stringify({ msg: 'sub', id: 'cfg', name: 'meteor.loginServiceConfiguration', params: [] }));
    };
  });
  function call(method, params) {
    return window.ready.then(function () {
      return new Promise(function (resolve) {
        var id = String(++nextId);
        waiting[id] = function (m) { resolve(m.error ? { error: m.error } : m.result); };
        socket.send(JSON.stringify({ msg: 'method', id: id, method: method, params: params }));
      });
    });
  }
  var last;
  function oauthLogin(token, secret) {
    last = { credentialToken: token, credentialSecret: secret };
    return call('login', [{ oauth: last }]);
  }
  window.replay = function () { return call('login', [{ oauth: last }]); };

  // accounts-oauth: after the popup closed, the secret from the opener hand-off or localStorage (one retry).
  function tryLoginAfterPopupClosed(token, retry) {
    var secret = secrets[token] || localStorage.getItem(PREFIX + token);
    localStorage.removeItem(PREFIX + token);
    delete secrets[token];
    if (!secret) {
      if (!retry) return Promise.resolve({ cancelled: true });
      return new Promise(function (r) { setTimeout(r, 500); }).then(function () { return tryLoginAfterPopupClosed(token, false); });
    }
    return oauthLogin(token, secret);
  }
  window.meteorLogin = function (service, options) {
    var token = randomSecret();
    var url = loginUrl(service, token, options.loginStyle, options);
    if (options.loginStyle === 'redirect') {
      // OAuth.saveDataForRedirect: the reload migration data.
      sessionStorage.setItem('Meteor_Reload', JSON.stringify({ oauth: { loginService: service, credentialToken: token } }));
      window.location = url;
      return;
    }
    var popup = window.open(url, 'Login', 'width=650,height=331');
    return new Promise(function (resolve) {
      var timer = setInterval(function () {
        if (popup.closed) { clearInterval(timer); resolve(tryLoginAfterPopupClosed(token, true)); }
      }, 100);
    });
  };
  // At start-up: a redirect login coming back (OAuth.getDataAfterRedirect).
  var migration = JSON.parse(sessionStorage.getItem('Meteor_Reload') || 'null');
  sessionStorage.removeItem('Meteor_Reload');
  if (migration && migration.oauth) {
    var token = migration.oauth.credentialToken;
    var secret = sessionStorage.getItem(PREFIX + token);
    sessionStorage.removeItem(PREFIX + token);
    window.redirectResult = oauthLogin(token, secret);
  }
})();
</script>`;
}
