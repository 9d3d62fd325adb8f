import { createHash } from 'node:crypto';
import { escapeHtml, page } from '../../pages/layout.js';

/**
 * The pages that end an external login (Meteor's `end_of_popup_response.html` / `end_of_redirect_response.html`,
 * docs/external-services.md), with the same configuration object Meteor's pages carry
 * (`{ setCredentialToken, credentialToken, credentialSecret, storagePrefix, redirectUrl, isCordova }`), as JSON
 * in a data block, read by a fixed inline script allowed by its hash — nothing else runs.
 *
 * The popup hands the credential to the window that opened it the ways Meteor's client expects (its
 * `Package.oauth.OAuth._handleCredentialSecret`, else `localStorage["Meteor.oauth.credentialSecret-<token>"]`)
 * and, for Gatehouse's client on another origin, by `postMessage` to the origin of the app page the login
 * started from — an origin on the app's allowlist, so no other page receives it.
 */

/** Meteor's `OAuth._storageTokenPrefix`. */
export const STORAGE_PREFIX = 'Meteor.oauth.credentialSecret-';

/** The message Gatehouse's client listens for. */
export const MESSAGE_TYPE = 'gatehouse:oauth';

const POPUP_SCRIPT = `(function () {
  var c = JSON.parse(document.getElementById('config').textContent);
  var opener = window.opener;
  if (c.setCredentialToken) {
    var t = c.credentialToken, s = c.credentialSecret, done = false;
    if (c.isCordova) window.location.hash = JSON.stringify({ credentialToken: t, credentialSecret: s });
    try {
      if (opener && opener.Package && opener.Package.oauth) {
        opener.Package.oauth.OAuth._handleCredentialSecret(t, s);
        done = true;
      }
    } catch (e) {}
    if (!done && c.targetOrigin && opener) {
      try {
        opener.postMessage({ type: '${MESSAGE_TYPE}', credentialToken: t, credentialSecret: s }, c.targetOrigin);
        done = true;
      } catch (e) {}
    }
    if (!done) {
      try { localStorage[c.storagePrefix + t] = s; } catch (e) {}
    }
    if (!c.isCordova) window.close();
  } else if (c.targetOrigin && opener) {
    try {
      opener.postMessage({ type: '${MESSAGE_TYPE}', credentialToken: c.credentialToken, error: c.error }, c.targetOrigin);
    } catch (e) {}
  }
  var close = document.getElementById('close');
  if (close) close.onclick = function () { window.close(); };
})();`;

const REDIRECT_SCRIPT = `(function () {
  var c = JSON.parse(document.getElementById('config').textContent);
  if (c.setCredentialToken) {
    try { sessionStorage[c.storagePrefix + c.credentialToken] = c.credentialSecret; } catch (e) {}
  }
  window.location = c.redirectUrl;
})();`;

const hash = (script: string) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
const POPUP_HASH = hash(POPUP_SCRIPT);
const REDIRECT_HASH = hash(REDIRECT_SCRIPT);

/** JSON safe inside a `<script type="application/json">` block. */
function dataBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface RenderedPage {
  status: number;
  html: string;
  /** The page's Content-Security-Policy: its one script by hash, nothing else. */
  csp: string;
}

const policy = (scriptHash?: string) =>
  `default-src 'none'; ${scriptHash ? `script-src ${scriptHash}; ` : ''}style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** The popup's last page: the credential (or the error) to the opener, then close (on success). */
export function popupPage(config: {
  credentialToken: string;
  credentialSecret?: string;
  targetOrigin?: string;
  isCordova: boolean;
  error?: string;
}): RenderedPage {
  const ok = config.credentialSecret !== undefined;
  const body = ok
    ? `<p id="completedText">Login completed. <a href="#" id="close">Click here</a> to close this window.</p>`
    : `<h1>Login failed</h1><p class="error" id="error">${escapeHtml(config.error ?? 'the login did not complete')}</p>
<p><button type="button" id="close">Close this window</button></p>`;
  const data = {
    setCredentialToken: ok,
    credentialToken: config.credentialToken,
    ...(ok ? { credentialSecret: config.credentialSecret } : { error: config.error }),
    storagePrefix: STORAGE_PREFIX,
    isCordova: config.isCordova,
    ...(config.targetOrigin ? { targetOrigin: config.targetOrigin } : {}),
  };
  return {
    status: 200,
    csp: policy(POPUP_HASH),
    html: page(
      ok ? 'Login completed' : 'Login failed',
      `${body}
<script type="application/json" id="config">${dataBlock(data)}</script>
<script>${POPUP_SCRIPT}</script>`,
    ),
  };
}

/** A redirect login's last page for Meteor's client: the secret into `sessionStorage`, then back to the app. */
export function redirectPage(config: {
  credentialToken: string;
  credentialSecret: string;
  redirectUrl: string;
  isCordova: boolean;
}): RenderedPage {
  const data = {
    setCredentialToken: true,
    credentialToken: config.credentialToken,
    credentialSecret: config.credentialSecret,
    storagePrefix: STORAGE_PREFIX,
    redirectUrl: config.redirectUrl,
    isCordova: config.isCordova,
  };
  return {
    status: 200,
    csp: policy(REDIRECT_HASH),
    html: page(
      'Signing you in…',
      `<p>Signing you in…</p>
<script type="application/json" id="config">${dataBlock(data)}</script>
<script>${REDIRECT_SCRIPT}</script>`,
    ),
  };
}

/**
 * A failed redirect login: the error, and a link back to the app page the login started from when that page
 * is on the allowlist (`back`); otherwise no link at all.
 */
export function failurePage(message: string, status: number, back?: string): RenderedPage {
  return {
    status,
    csp: policy(),
    html: page(
      'Login failed',
      `<h1>Login failed</h1><p class="error" id="error">${escapeHtml(message)}</p>${
        back ? `\n<p><a id="back" href="${escapeHtml(back)}">Back to the app</a></p>` : ''
      }`,
    ),
  };
}
