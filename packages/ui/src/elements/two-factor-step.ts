import { isGatehouseError } from '@gatehouse-auth/client';
import { twoFactorCredentials } from '@gatehouse-auth/client/passwordless';
import { html, nothing } from 'lit';
import { define } from '../base.js';
import { PasswordlessElement } from './passwordless-base.js';

/**
 * `<gatehouse-two-factor-step>`: the second step of a sign-in of a user with two-factor on. The first step (a
 * password, or a mailed code) answered `TwoFactorRequired` with a `challenge`; this asks for the code of the
 * user's authenticator app (`autocomplete="one-time-code"`, digits) — or, after "Use a recovery code", one of
 * their recovery codes — and finishes the sign-in. A wrong code spends the challenge: the element then says so
 * and offers only "Back to sign in". `<gatehouse-sign-in>` and `<gatehouse-email-code>` show it by themselves.
 *
 * Properties / attributes: `challenge`, `app-id`, `base-url`, `no-heading`.
 * Events: `gatehouse-signed-in` (`detail.user`), `gatehouse-navigate` (`detail.to`: `sign-in`; cancelable).
 */
export class GatehouseTwoFactorStep extends PasswordlessElement {
  static override properties = {
    challenge: {},
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare challenge: string | undefined;
  declare noHeading: boolean;

  /** Typing a recovery code instead of an authenticator code. */
  #recovery = false;
  /** The challenge was spent by a wrong code (or had expired). */
  #spent = false;

  protected override screen(): unknown {
    const recovery = this.#recovery;
    return html`${this.noHeading ? nothing : html`<h2 part="title">${this.t('totpTitle')}</h2>`}
      <form novalidate part="form two-factor-step" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#submit}>
        <p class="muted" part="intro">${this.t(recovery ? 'recoveryIntro' : 'totpIntro')}</p>
        ${
          this.#spent
            ? nothing
            : this.field({
                name: recovery ? 'recoveryCode' : 'totpCode',
                label: this.t(recovery ? 'recoveryCode' : 'totpCode'),
                autocomplete: recovery ? 'off' : 'one-time-code',
                inputmode: recovery ? 'text' : 'numeric',
              })
        }
        ${this.regions()}
        ${this.#spent ? nothing : this.submit(this.t('verify'))}
        <div class="links">
          ${
            this.#spent
              ? nothing
              : html`<button type="button" class="link" part="link recovery" @click=${this.#toggle}>
                  ${this.t(recovery ? 'useTotp' : 'useRecoveryCode')}</button>`
          }
          ${this.navLink('sign-in', this.t('backToSignIn'), undefined)}
        </div>
      </form>`;
  }

  #toggle = async () => {
    this.#recovery = !this.#recovery;
    this.set({ error: '', status: '', invalid: {} });
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('input')?.focus();
  };

  #submit = (event: Event) => {
    event.preventDefault();
    const name = this.#recovery ? 'recoveryCode' : 'totpCode';
    const code = this.value(name).replace(/\s+/g, '');
    if (!this.check({ [name]: !code && this.t('required') })) return;
    const app = this.boundApp;
    this.run('other', async () => {
      if (!app || !this.challenge) throw new TypeError('no challenge');
      try {
        await app.logIn(twoFactorCredentials(this.challenge, code));
      } catch (error) {
        if (isGatehouseError(error) && error.code === 'TwoFactorInvalid') this.#spent = true;
        throw error;
      }
      await this.accounts?.refreshUser();
      this.emit('gatehouse-signed-in', { user: this.user });
      return undefined;
    });
  };
}

define('gatehouse-two-factor-step', GatehouseTwoFactorStep);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-two-factor-step': GatehouseTwoFactorStep;
  }
}
