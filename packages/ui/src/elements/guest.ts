import { Credentials, isGatehouseError } from '@gatehouse-auth/client';
import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';

/**
 * `<gatehouse-guest>`: App Services' anonymous login and its upgrade. Signed out (and the app allows
 * `anon-user`): "Continue as guest". Signed in as a guest: "Save my account" — an email and a password are
 * registered and linked to the guest user (`user.linkCredentials`), so the same user id, and its data, carry
 * on; when the app confirms addresses by email, the link is made once the address is confirmed. Otherwise it
 * shows nothing.
 *
 * Attributes: `app-id`, `base-url`, `no-heading`. Events: `gatehouse-signed-in` (as guest),
 * `gatehouse-upgraded` (`detail.email`).
 */
export class GatehouseGuest extends GatehouseElement {
  static override properties = { noHeading: { type: Boolean, attribute: 'no-heading' } };
  declare noHeading: boolean;

  /** The address registered for the upgrade, waiting for its confirmation. */
  #pending = '';
  #upgraded = false;

  protected override view(): unknown {
    const user = this.user;
    const anon = this.accounts?.loginServiceConfiguration().some((p) => p.type === 'anon-user');
    if (!user)
      return anon
        ? html`<div class="stack"><button type="button" part="button guest" @click=${this.#continue}>
              ${this.busy ? this.t('working') : this.t('continueAsGuest')}</button>${this.regions()}</div>`
        : nothing;
    if (this.#upgraded) return html`<div class="stack">${this.regions()}</div>`;
    if (user.providerType !== 'anon-user' || user.identities.some((i) => i.providerType === 'local-userpass'))
      return nothing;
    return html`${this.noHeading ? nothing : html`<h2 part="title">${this.t('saveAccount')}</h2>`}
      <form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#submit}>
        <p class="muted" part="intro">
          ${this.#pending ? this.t('upgradeConfirm', { email: this.#pending }) : this.t('guestIntro')}
        </p>
        ${
          this.#pending
            ? html`<input type="email" name="email" autocomplete="username" .value=${this.#pending} hidden />`
            : this.field({
                name: 'email',
                label: this.t('email'),
                type: 'email',
                inputmode: 'email',
                autocomplete: 'username',
              })
        }
        ${this.field({
          name: 'password',
          label: this.t('password'),
          type: 'password',
          autocomplete: this.#pending ? 'current-password' : 'new-password',
          hint: this.#pending ? undefined : this.rules('password'),
          hintId: 'password-rules',
        })}
        ${this.regions()} ${this.submit(this.t(this.#pending ? 'finishUpgrade' : 'saveAccount'))}
      </form>`;
  }

  #continue = () =>
    this.run('other', async () => {
      await this.boundApp?.logIn(Credentials.anonymous());
      this.emit('gatehouse-signed-in', { user: this.user });
      return undefined;
    });

  #submit = (event: Event) => {
    event.preventDefault();
    const email = this.#pending || this.value('email');
    const password = this.value('password');
    const ok = this.check({
      email: !email.includes('@') && this.t(email ? 'invalidEmail' : 'required'),
      password: this.#pending ? !password && this.t('required') : this.passwordProblem(password),
    });
    const user = this.user;
    const app = this.boundApp;
    if (!ok || !user || !app) return;
    this.run('signIn', async () => {
      if (!this.#pending) {
        await app.emailPasswordAuth.registerUser({ email, password });
        if (this.passwordProvider?.confirmation === 'email') {
          this.#pending = email;
          return this.t('checkInbox', { email });
        }
      }
      try {
        await user.linkCredentials(Credentials.emailPassword(email, password));
      } catch (error) {
        // Not confirmed yet (confirmation by function, or the mailed link not opened): finish later.
        if (isGatehouseError(error) && error.code === 'AuthError') this.#pending = email;
        throw error;
      }
      this.#pending = '';
      this.#upgraded = true;
      this.emit('gatehouse-upgraded', { email });
      this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[role=status]')?.focus());
      return this.t('upgraded', { email });
    });
  };
}

define('gatehouse-guest', GatehouseGuest);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-guest': GatehouseGuest;
  }
}
