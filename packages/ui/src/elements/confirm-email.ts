import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';

/**
 * `<gatehouse-confirm-email>`: the page a confirmation email links to. Takes `token` and `tokenId` from the
 * page's query or the `token` / `token-id` attributes. The link is spent only when the person presses the
 * button (mail scanners open links too). A used or expired link offers to send a new one.
 *
 * Attributes: `app-id`, `base-url`, `token`, `token-id`, `sign-in-href`, `no-heading`.
 * Events: `gatehouse-email-confirmed`, `gatehouse-navigate` (`detail.to`: `sign-in`).
 */
export class GatehouseConfirmEmail extends GatehouseElement {
  static override properties = {
    token: {},
    tokenId: { attribute: 'token-id' },
    signInHref: { attribute: 'sign-in-href' },
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare token: string | undefined;
  declare tokenId: string | undefined;
  declare signInHref: string | undefined;
  declare noHeading: boolean;

  #state: 'ready' | 'done' | 'resend' = 'ready';

  protected override view(): unknown {
    const token = this.linkToken(this.token, this.tokenId);
    const title = this.noHeading ? nothing : html`<h2 part="title">${this.t('confirmTitle')}</h2>`;
    const signIn = html`<div class="links">${this.navLink('sign-in', this.t('signIn'), this.signInHref)}</div>`;
    if (this.#state === 'done') return html`${title}<div class="stack">${this.regions()}${signIn}</div>`;
    if (this.#state === 'resend')
      return html`${title}
        <form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#resend}>
          ${this.field({ name: 'email', label: this.t('email'), type: 'email', inputmode: 'email', autocomplete: 'email' })}
          ${this.regions()} ${this.submit(this.t('sendNewLink'))}
        </form>`;
    if (!token)
      return html`${title}<div class="stack"><p class="error" part="error" role="alert">${this.t('linkIncomplete')}</p>
          <button type="button" part="button" @click=${() => this.#go('resend')}>${this.t('sendNewLink')}</button></div>`;
    return html`${title}
      <form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#confirm}>
        <p part="intro">${this.t('confirmIntro')}</p>
        ${this.regions()} ${this.submit(this.t('confirmButton'))}
      </form>`;
  }

  #go(state: 'ready' | 'done' | 'resend'): void {
    this.#state = state;
    this.set({ error: '', status: '' });
    this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('input')?.focus());
  }

  #confirm = (event: Event) => {
    event.preventDefault();
    const token = this.linkToken(this.token, this.tokenId);
    if (!token) return;
    this.run('other', async () => {
      try {
        await this.accounts?.verifyEmail(token);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'UserpassTokenInvalid') this.#state = 'resend';
        if (code !== 'UserAlreadyConfirmed') throw error;
      }
      this.#state = 'done';
      this.emit('gatehouse-email-confirmed');
      this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[role=status]')?.focus());
      return this.t('confirmed');
    });
  };

  #resend = (event: Event) => {
    event.preventDefault();
    const email = this.value('email');
    if (!this.check({ email: !email.includes('@') && this.t(email ? 'invalidEmail' : 'required') })) return;
    this.run('other', async () => {
      await this.boundApp?.emailPasswordAuth.resendConfirmationEmail({ email });
      return this.t('newLinkSent');
    });
  };
}

define('gatehouse-confirm-email', GatehouseConfirmEmail);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-confirm-email': GatehouseConfirmEmail;
  }
}
