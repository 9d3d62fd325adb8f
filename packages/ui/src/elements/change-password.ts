import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';

/**
 * `<gatehouse-change-password>`: the signed-in user changes their password (current one, new one twice, the
 * app's rules shown). Every other session of the user ends; this one stays. Shows nothing when signed out.
 *
 * Attributes: `app-id`, `base-url`, `no-heading`. Events: `gatehouse-password-changed`.
 */
export class GatehouseChangePassword extends GatehouseElement {
  static override properties = { noHeading: { type: Boolean, attribute: 'no-heading' } };
  declare noHeading: boolean;

  protected override view(): unknown {
    if (!this.user) return nothing;
    const doc = this.accounts?.user();
    // Password managers file the new password under this name.
    const name = doc?.emails?.[0]?.address ?? doc?.username ?? this.user.profile.email ?? '';
    return html`${this.noHeading ? nothing : html`<h2 part="title">${this.t('changePasswordTitle')}</h2>`}
      <form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#submit}>
        <input type="text" name="username" autocomplete="username" .value=${name} hidden />
        ${this.field({ name: 'current', label: this.t('currentPassword'), type: 'password', autocomplete: 'current-password' })}
        ${this.field({
          name: 'newPassword',
          label: this.t('newPassword'),
          type: 'password',
          autocomplete: 'new-password',
          hint: this.rules('newPassword'),
          hintId: 'newPassword-rules',
        })}
        ${this.field({ name: 'again', label: this.t('newPasswordAgain'), type: 'password', autocomplete: 'new-password' })}
        ${this.regions()} ${this.submit(this.t('changePasswordTitle'))}
      </form>`;
  }

  #submit = (event: Event) => {
    event.preventDefault();
    const current = this.value('current');
    const password = this.value('newPassword');
    const ok = this.check({
      current: !current && this.t('required'),
      newPassword: this.passwordProblem(password),
      again: this.value('again') !== password && this.t('mismatch'),
    });
    if (!ok) return;
    this.run('changePassword', async () => {
      await this.accounts?.changePassword(current, password);
      for (const input of this.renderRoot.querySelectorAll<HTMLInputElement>('input[type="password"]'))
        input.value = '';
      this.emit('gatehouse-password-changed');
      return this.t('passwordChanged');
    });
  };
}

define('gatehouse-change-password', GatehouseChangePassword);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-change-password': GatehouseChangePassword;
  }
}
