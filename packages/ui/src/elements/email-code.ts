import { type App, isGatehouseError } from '@gatehouse-auth/client';
import { withPasswordless } from '@gatehouse-auth/client/passwordless';
import { html, nothing, type TemplateResult } from 'lit';
import { define, type GatehouseElement } from '../base.js';
import type { Messages } from '../i18n/index.js';
import { PasswordlessElement } from './passwordless-base.js';
import './two-factor-step.js';

/**
 * `<gatehouse-email-code>`: passwordless sign-in by a mailed code (the `email-code` provider; Meteor's
 * accounts-passwordless). Asks for the address, mails a code (making the account when the address has none, as
 * `requestLoginTokenForUser` does), then asks for the code (`autocomplete="one-time-code"`; the codes are
 * upper-case hexadecimal, so the keyboard is a text one) with "Send a new code" and "Use another address". A user
 * with two-factor on then gets the authenticator step (`<gatehouse-two-factor-step>`).
 * `<gatehouse-sign-in>` shows it, loaded on first use, behind "Sign in with a code" when the app has
 * the provider.
 *
 * Attributes: `app-id`, `base-url`, `email` (the address to start with), `navigable` (a "Back to sign in"
 * button firing `gatehouse-navigate`), `sign-in-href`, `no-heading`.
 * Events: `gatehouse-code-sent` (`detail.email`), `gatehouse-signed-in` (`detail.user`), `gatehouse-navigate`
 * (`detail.to`: `sign-in`; cancelable).
 */
export class GatehouseEmailCode extends PasswordlessElement {
  static override properties = {
    email: {},
    navigable: { type: Boolean },
    signInHref: { attribute: 'sign-in-href' },
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare email: string | undefined;
  declare navigable: boolean;
  declare signInHref: string | undefined;
  declare noHeading: boolean;

  /** The address the code went to (the code step), or `''` (the address step). */
  #sentTo = '';
  /** The two-factor challenge after the code, when the user has two-factor on. */
  #challenge = '';

  protected override screen(): unknown {
    if (this.#challenge)
      return html`<gatehouse-two-factor-step .app=${this.boundApp} .messages=${this.messages} exportparts=${PARTS}
        challenge=${this.#challenge} ?no-heading=${this.noHeading} @gatehouse-navigate=${this.#restart}></gatehouse-two-factor-step>`;
    const back =
      this.navigable || this.signInHref ? this.navLink('sign-in', this.t('backToSignIn'), this.signInHref) : nothing;
    const heading = this.noHeading ? nothing : html`<h2 part="title">${this.t('codeTitle')}</h2>`;
    if (!this.#sentTo)
      return html`${heading}
        <form novalidate part="form email-code" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#send}>
          <p class="muted" part="intro">${this.t('codeIntro')}</p>
          ${this.field({ name: 'email', label: this.t('email'), type: 'email', inputmode: 'email', autocomplete: 'email' })}
          ${this.regions()} ${this.submit(this.t('sendCode'))}
          ${back === nothing ? nothing : html`<div class="links">${back}</div>`}
        </form>`;
    return html`${heading}
      <form novalidate part="form email-code" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#logIn}>
        <p class="muted" part="intro">${this.t('codeSent', { email: this.#sentTo })}</p>
        ${this.field({ name: 'code', label: this.t('emailCode'), autocomplete: 'one-time-code', inputmode: 'text' })}
        ${this.regions()} ${this.submit(this.t('signIn'))}
        <button type="button" part="button resend" @click=${this.#resend}>${this.t('resendCode')}</button>
        <div class="links">
          <button type="button" class="link" part="link other-address" @click=${() => this.#restart()}>
            ${this.t('otherAddress')}</button>
          ${back}
        </div>
      </form>`;
  }

  protected override firstUpdated(): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('[name="email"]');
    if (input && this.email) input.value = this.email;
  }

  get #accounts() {
    const accounts = this.accounts;
    if (!accounts) throw new TypeError('no app');
    return withPasswordless(accounts);
  }

  async #request(email: string): Promise<void> {
    await this.#accounts.requestLoginTokenForUser({ selector: email, userData: { email } });
    this.emit('gatehouse-code-sent', { email });
  }

  #send = (event: Event) => {
    event.preventDefault();
    const email = this.value('email');
    if (!this.check({ email: !email.includes('@') && this.t(email ? 'invalidEmail' : 'required') })) return;
    this.run('other', async () => {
      await this.#request(email);
      this.#sentTo = email;
      return undefined;
    }).then(async (sent) => {
      if (!sent) return;
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLInputElement>('[name="code"]')?.focus();
    });
  };

  #resend = () =>
    this.run('other', async () => {
      await this.#request(this.#sentTo);
      return this.t('newCodeSent');
    });

  #logIn = (event: Event) => {
    event.preventDefault();
    const code = this.value('code').replace(/\s+/g, '').toUpperCase();
    if (!this.check({ code: !code && this.t('required') })) return;
    this.run('other', async () => {
      try {
        await this.#accounts.passwordlessLoginWithToken(this.#sentTo, code);
      } catch (error) {
        const challenge = (error as { challenge?: unknown }).challenge;
        if (!isGatehouseError(error) || error.code !== 'TwoFactorRequired' || typeof challenge !== 'string')
          throw error;
        // The code is spent; the user's authenticator finishes the sign-in.
        this.#challenge = challenge;
        return undefined;
      }
      this.emit('gatehouse-signed-in', { user: this.user });
      return undefined;
    });
  };

  /** Back to the address step (from "Use another address", or the two-factor step's "Back to sign in"). */
  #restart = (event?: Event) => {
    event?.preventDefault();
    event?.stopPropagation();
    const email = this.#sentTo;
    this.#sentTo = '';
    this.#challenge = '';
    this.set({ error: '', status: '', invalid: {} });
    this.updateComplete.then(() => {
      const input = this.renderRoot.querySelector<HTMLInputElement>('[name="email"]');
      if (input && !input.value) input.value = email;
      input?.focus();
    });
  };
}

/** The parts of the step inside, passed on. */
const PARTS = 'root, title, intro, form, field, label, input, field-error, error, status, button, submit, link';

/** The screens shown by `<gatehouse-sign-in>` elements instead of their form, by element. */
const screens = new WeakMap<GatehouseElement, () => TemplateResult>();

/**
 * What `host` (a `<gatehouse-sign-in>`) shows instead of its form, if anything; with `challenge`, makes it show
 * the two-factor step for that challenge — or, with `''`, the code sign-in (starting from the address typed into
 * the form) — until their "Back to sign in" — or the sign-in, so that signing out later shows the form again.
 */
export function screen(host: GatehouseElement): TemplateResult | undefined;
export function screen(host: GatehouseElement, challenge: string): undefined;
export function screen(host: GatehouseElement, challenge?: string): TemplateResult | undefined {
  if (challenge === undefined) return screens.get(host)?.();
  // The code sign-in starts from the address typed into the password form, if one was.
  const value = challenge || (host.renderRoot.querySelector('input')?.value.trim() ?? '');
  // The host's app and texts (`boundApp` is protected: elements share it, pages do not).
  const { boundApp: app, messages } = host as unknown as { boundApp: App | null; messages: Messages | undefined };
  const back = () => {
    screens.delete(host);
    host.requestUpdate();
  };
  const leave = (event: Event) => {
    event.preventDefault();
    event.stopPropagation();
    back();
  };
  screens.set(host, () =>
    !challenge
      ? html`<gatehouse-email-code .app=${app} .messages=${messages} exportparts=${PARTS} navigable no-heading
          email=${value.includes('@') ? value : nothing} @gatehouse-navigate=${leave}
          @gatehouse-signed-in=${back}></gatehouse-email-code>`
      : html`<gatehouse-two-factor-step .app=${app} .messages=${messages} exportparts=${PARTS} no-heading
          challenge=${value} @gatehouse-navigate=${leave} @gatehouse-signed-in=${back}></gatehouse-two-factor-step>`,
  );
  host.requestUpdate();
  return undefined;
}

define('gatehouse-email-code', GatehouseEmailCode);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-email-code': GatehouseEmailCode;
  }
}
