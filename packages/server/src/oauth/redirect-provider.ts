import type { ProvenIdentity } from '../accounts/index.js';
import type { AppSettings, ServerContext } from '../context.js';

/**
 * How a provider takes part in the OAuth2 redirect flow (`./redirect-flow.ts`): what goes into the
 * authorization request, and how the IdP's answer becomes a proven identity. The flow itself — state, PKCE,
 * allowlist, hooks, sessions, the fragment — is the same for all.
 */
export interface RedirectProvider {
  readonly type: string;
  /**
   * The authorization request's settings for `app`: `null` when the provider is off, `'needs-client-secret'`
   * when it is on but lacks what a code exchange needs.
   */
  redirectSettings(app: AppSettings): RedirectSettings | 'needs-client-secret' | null;
  /**
   * Exchanges the code of a successful answer and proves who signed in; refuses with `AuthError`. Called only
   * after the state was consumed and the answer is not an `error=`.
   */
  finish(ctx: ServerContext, app: AppSettings, answer: RedirectAnswer): Promise<ProvenIdentity>;
}

export interface RedirectSettings {
  /** Shown in error messages: `Google`. */
  label: string;
  clientId: string;
  authorizationEndpoint: string;
  scope: string;
  /** OpenID Connect: a `nonce` goes to the IdP and must come back in the ID token. */
  nonce: boolean;
}

/** The IdP's answer at the callback and what the flow kept for it. */
export interface RedirectAnswer {
  /** The callback's query: `code`, `state`, maybe `iss`. */
  params: URLSearchParams;
  /** `<publicUrl>/api/client/v2.0/auth/callback`, which the code was issued for. */
  callbackUrl: string;
  /** The PKCE verifier whose S256 challenge went to the IdP. */
  codeVerifier: string;
  nonce: string;
}
