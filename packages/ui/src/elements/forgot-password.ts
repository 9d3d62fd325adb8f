import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';

/**
 * `<gatehouse-forgot-password>`: asks for the account's email and mails a reset link (Meteor's
 * `Accounts.forgotPassword`). An unknown address is said to be one, unless the app sets
 * `preventAccountEnumeration` (then every address gets "Email sent").
 *
 * Attributes: `app-id`, `base-url`, `sign-in-href`, `navigable`, `no-heading`.
 * Events: `gatehouse-reset-sent` (`detail.email`), `gatehouse-navigate` (`detail.to`: `sign-in`).
 */
export class GatehouseForgotPassword extends GatehouseElement {
  static override properties = {
    signInHref: { attribute: 'sign-in-href' },
    navigable: { type: Boolean },
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare signInHref: string | undefined;
  declare navigable: boolean;
  declare noHeading: boolean;

  protected override view(): unknown {
    return html`${this.noHeading ? nothing : html`<h2 part="title">${this.t('forgotTitle')}</h2>`}
      <form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#submit}>
        <p class="muted" part="intro">${this.t('forgotIntro')}</p>
        ${this.field({ name: 'email', label: this.t('email'), type: 'email', inputmode: 'email', autocomplete: 'email' })}
        ${this.regions()} ${this.submit(this.t('sendResetLink'))}
        ${
          this.navigable || this.signInHref
            ? html`<div class="links">${this.navLink('sign-in', this.t('backToSignIn'), this.signInHref)}</div>`
            : nothing
        }
      </form>`;
  }

  #submit = (event: Event) => {
    event.preventDefault();
    const email = this.value('email');
    if (!this.check({ email: !email.includes('@') && this.t(email ? 'invalidEmail' : 'required') })) return;
    this.run('other', async () => {
      await this.accounts?.forgotPassword({ email });
      this.emit('gatehouse-reset-sent', { email });
      return this.t('emailSent');
    });
  };
}

define('gatehouse-forgot-password', GatehouseForgotPassword);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-forgot-password': GatehouseForgotPassword;
  }
}
