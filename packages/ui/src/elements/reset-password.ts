import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';

/**
 * `<gatehouse-reset-password>`: the page a password-reset email links to. Takes `token` and `tokenId` from the
 * page's query (as Gatehouse's mails write them) or from its `token` / `token-id` attributes, asks for the new
 * password twice with the app's rules, and sets it (every session of the user ends). A used or expired link
 * says so and offers a new one.
 *
 * Attributes: `app-id`, `base-url`, `token`, `token-id`, `sign-in-href`, `forgot-password-href`, `no-heading`.
 * Events: `gatehouse-password-reset`, `gatehouse-navigate` (`detail.to`: `sign-in` or `forgot-password`).
 */
export class GatehouseResetPassword extends GatehouseElement {
  static override properties = {
    token: {},
    tokenId: { attribute: 'token-id' },
    signInHref: { attribute: 'sign-in-href' },
    forgotPasswordHref: { attribute: 'forgot-password-href' },
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare token: string | undefined;
  declare tokenId: string | undefined;
  declare signInHref: string | undefined;
  declare forgotPasswordHref: string | undefined;
  declare noHeading: boolean;

  #done = false;
  #badLink = false;

  protected override view(): unknown {
    const token = this.linkToken(this.token, this.tokenId);
    const title = this.noHeading ? nothing : html`<h2 part="title">${this.t('resetTitle')}</h2>`;
    if (!token) return html`${title}<p class="error" part="error" role="alert">${this.t('linkIncomplete')}</p>`;
    if (this.#done)
      return html`${title}<div class="stack">${this.regions()}
          <div class="links">${this.navLink('sign-in', this.t('signIn'), this.signInHref)}</div></div>`;
    return html`${title}
      <form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#submit}>
        ${this.field({
          name: 'newPassword',
          label: this.t('newPassword'),
          type: 'password',
          autocomplete: 'new-password',
          hint: this.rules('newPassword'),
          hintId: 'newPassword-rules',
        })}
        ${this.field({ name: 'again', label: this.t('newPasswordAgain'), type: 'password', autocomplete: 'new-password' })}
        ${this.regions()}
        ${this.submit(this.t('setPassword'))}
        ${
          this.#badLink
            ? html`<div class="links">${this.navLink('forgot-password', this.t('sendNewLink'), this.forgotPasswordHref)}</div>`
            : nothing
        }
      </form>`;
  }

  #submit = (event: Event) => {
    event.preventDefault();
    const password = this.value('newPassword');
    const token = this.linkToken(this.token, this.tokenId);
    const ok = this.check({
      newPassword: this.passwordProblem(password),
      again: this.value('again') !== password && this.t('mismatch'),
    });
    if (!ok || !token) return;
    this.#badLink = false;
    this.run('other', async () => {
      try {
        await this.accounts?.resetPassword(token, password);
      } catch (error) {
        this.#badLink = (error as { code?: string }).code === 'UserpassTokenInvalid';
        throw error;
      }
      this.#done = true;
      this.emit('gatehouse-password-reset');
      this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[role=status]')?.focus());
      return this.t('passwordSet');
    });
  };
}

define('gatehouse-reset-password', GatehouseResetPassword);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-reset-password': GatehouseResetPassword;
  }
}
