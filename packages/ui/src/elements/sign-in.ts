import { isGatehouseError } from '@gatehouse-auth/client';
import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';
import { signupFields } from '../config.js';
import { errorKey } from '../errors.js';

/** Passkeys' SDK, loaded only for apps that have them on (it carries the WebAuthn library). */
const passkeys = () => import('@gatehouse-auth/client/passkeys');
/** The code sign-in and the two-factor step (they replace the form), once loaded. */
let codes: typeof import('./email-code.js') | undefined;

/** The refusal of a password sign-in of a user with two-factor on (`TwoFactorRequired`). */
type Challenged = { challenge?: string };

/**
 * `<gatehouse-sign-in>`: the password sign-in form; when the app has passkeys on, also a "Sign in with a
 * passkey" button and the browser's passkey autofill on the name field (conditional UI); when the app has the
 * `email-code` provider, a "Sign in with a code" button that switches to `<gatehouse-email-code>`. Signs
 * in with a username or an email as `passwordSignupFields` allows; after a refusal for an unconfirmed address
 * it offers to send the confirmation email again; a user with two-factor on gets the authenticator step
 * (`<gatehouse-two-factor-step>`) in place of the form. Signed in, it says who and offers "Sign out".
 *
 * Attributes: `app-id`, `base-url`, `password-signup-fields`, `sign-up-href`, `forgot-password-href`,
 * `navigable` (show the links as buttons that only fire `gatehouse-navigate`), `no-heading`.
 * Events: `gatehouse-signed-in` (`detail.user`), `gatehouse-signed-out`, `gatehouse-navigate` (`detail.to`:
 * `sign-up` or `forgot-password`; cancelable).
 */
export class GatehouseSignIn extends GatehouseElement {
  static override properties = {
    fields: { attribute: 'password-signup-fields' },
    signUpHref: { attribute: 'sign-up-href' },
    forgotPasswordHref: { attribute: 'forgot-password-href' },
    navigable: { type: Boolean },
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare fields: string | undefined;
  declare signUpHref: string | undefined;
  declare forgotPasswordHref: string | undefined;
  declare navigable: boolean;
  declare noHeading: boolean;

  /** The email whose confirmation the server asked for, after an `AuthError`. */
  #unconfirmed = '';
  /** Whether a passkey autofill request is waiting. */
  #autofill = false;

  /** The app has passkeys on and the browser can use them. */
  get #passkeys(): boolean {
    return (
      typeof PublicKeyCredential === 'function' &&
      !!this.accounts?.loginServiceConfiguration().some((p) => p.type === 'passkey')
    );
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    super.updated(changed);
    if (!this.#autofill && !this.user && this.#passkeys) this.#passkey(true);
  }

  protected override view(): unknown {
    const user = this.user;
    if (user && user.providerType !== 'anon-user')
      return html`<div class="stack">
        <p part="signed-in">${this.t('signedInAs', { name: this.displayName() })}</p>
        <button type="button" part="button" @click=${() => this.#signOut()}>${this.t('signOut')}</button>
        ${this.regions()}
      </div>`;
    const other = codes?.screen(this);
    if (other) return other;
    const mode = signupFields(this.fields);
    const provider = this.passwordProvider;
    const label = mode === 'EMAIL_ONLY' ? 'email' : mode === 'USERNAME_ONLY' ? 'username' : 'usernameOrEmail';
    const links = this.navigable || this.signUpHref || this.forgotPasswordHref;
    return html`${this.noHeading ? nothing : html`<h2 part="title">${this.t('signInTitle')}</h2>`}
      <form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#submit}>
        ${this.field({
          name: 'login',
          label: this.t(label),
          autocomplete: this.#passkeys ? 'username webauthn' : 'username',
          type: mode === 'EMAIL_ONLY' ? 'email' : 'text',
          inputmode: mode === 'EMAIL_ONLY' ? 'email' : undefined,
        })}
        ${this.field({ name: 'password', label: this.t('password'), type: 'password', autocomplete: 'current-password' })}
        ${this.regions()}
        ${
          this.#unconfirmed
            ? html`<button type="button" part="button" @click=${this.#resend}>${this.t('resendConfirmation')}</button>`
            : nothing
        }
        ${this.submit(this.t('signIn'))}
        ${
          this.#passkeys
            ? html`<button type="button" part="button passkey" @click=${() => this.#passkey(false)}>${this.t('signInWithPasskey')}</button>`
            : nothing
        }
        ${
          this.accounts?.loginServiceConfiguration().some((p) => p.type === 'email-code')
            ? html`<button type="button" part="button email-code" @click=${() => this.#show()}>${this.t('signInWithCode')}</button>`
            : nothing
        }
        ${
          links
            ? html`<div class="links">
                ${
                  mode !== 'USERNAME_ONLY' && provider?.reset !== 'function'
                    ? this.navLink('forgot-password', this.t('forgotPassword'), this.forgotPasswordHref)
                    : nothing
                }
                ${provider?.signUp !== false ? this.navLink('sign-up', this.t('createAccount'), this.signUpHref) : nothing}
              </div>`
            : nothing
        }
      </form>`;
  }

  #submit = (event: Event) => {
    event.preventDefault();
    const login = this.value('login');
    const password = this.value('password');
    const mode = signupFields(this.fields);
    if (!this.check({ login: !login && this.t('required'), password: !password && this.t('required') })) return;
    this.#unconfirmed = '';
    this.run(mode === 'EMAIL_ONLY' ? 'signIn' : 'signInName', async () => {
      try {
        await this.accounts?.loginWithPassword(login, password);
      } catch (error) {
        // The server refuses an unconfirmed address with AuthError (App Services' "confirmation required").
        if (isGatehouseError(error) && error.code === 'AuthError' && login.includes('@')) this.#unconfirmed = login;
        // A user with two-factor on: the server's TwoFactorRequired carries the challenge the next step redeems.
        if ((error as Challenged).challenge) return this.#show((error as Challenged).challenge);
        throw error;
      }
      this.emit('gatehouse-signed-in', { user: this.user });
      return undefined;
    });
  };

  /**
   * Signs in with a passkey: from the dialog (the button), or from the name field's autofill (`autofill`,
   * started when the form shows, waiting until a passkey is picked). A dismissed dialog is no error; the
   * autofill is started again after it.
   */
  #passkey(autofill: boolean): void {
    const app = this.boundApp;
    if (!app) return;
    const attempt = async () => {
      const sdk = await passkeys();
      if (autofill && !(await sdk.browserSupportsPasskeyAutofill())) return undefined;
      await sdk.logInWithPasskey(app, { useBrowserAutofill: autofill, verifyBrowserAutofillInput: false });
      this.#autofill = false;
      this.emit('gatehouse-signed-in', { user: this.user });
      return undefined;
    };
    const cancelled = (error: unknown) => /^(NotAllowed|Abort)Error$/.test((error as Error)?.name ?? '');
    if (autofill) {
      this.#autofill = true;
      attempt().catch((error) => {
        // Aborted by the dialog (which restarts it), or no WebAuthn here: silent. The server's refusal of a
        // picked passkey shows, and ends autofill on this form.
        if (isGatehouseError(error)) this.set({ error: this.t(errorKey(error, 'other')) });
      });
      return;
    }
    this.run('other', () =>
      attempt().catch((error) => {
        if (!cancelled(error)) throw error;
        return undefined;
      }),
    ).then(() => {
      this.#autofill = false;
      this.requestUpdate();
    });
  }

  /** Shows the code sign-in, or with a `challenge` the two-factor step, instead of the form (loaded on first use). */
  async #show(challenge = ''): Promise<undefined> {
    codes = await import('./email-code.js');
    return codes.screen(this, challenge);
  }

  #resend = () =>
    this.run('other', async () => {
      await this.boundApp?.emailPasswordAuth.resendConfirmationEmail({ email: this.#unconfirmed });
      this.#unconfirmed = '';
      return this.t('confirmationSent');
    });

  async #signOut(): Promise<void> {
    if (await this.run('other', async () => void (await this.accounts?.logout()))) this.emit('gatehouse-signed-out');
  }
}

define('gatehouse-sign-in', GatehouseSignIn);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-sign-in': GatehouseSignIn;
  }
}
