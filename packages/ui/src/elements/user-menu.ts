import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';
import { closeOnOutside, panelStyles } from '../disclosure.js';
import { styles } from '../styles.js';

/**
 * `<gatehouse-user-menu>`: the signed-in user's name (with an initial as avatar) opening a menu: "Change
 * password" (for users with a password), "Your devices", "Sign out". Signed out it shows a "Sign in" link when
 * given `sign-in-href` (or `navigable`), else nothing.
 *
 * Attributes: `app-id`, `base-url`, `align` (`left` | `right`), `sign-in-href`, `change-password-href`,
 * `sessions-href`, `navigable`. Events: `gatehouse-signed-out`, `gatehouse-navigate` (`detail.to`: `sign-in`,
 * `change-password`, `sessions`).
 */
export class GatehouseUserMenu extends GatehouseElement {
  static override styles = [styles, panelStyles];
  static override properties = {
    signInHref: { attribute: 'sign-in-href' },
    changePasswordHref: { attribute: 'change-password-href' },
    sessionsHref: { attribute: 'sessions-href' },
    navigable: { type: Boolean },
  };
  declare signInHref: string | undefined;
  declare changePasswordHref: string | undefined;
  declare sessionsHref: string | undefined;
  declare navigable: boolean;

  #open = false;
  #release: (() => void) | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#release = closeOnOutside(
      this,
      () => this.#open,
      () => this.#toggle(false, false),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#release?.();
  }

  protected override view(): unknown {
    const user = this.user;
    if (!user)
      return this.signInHref || this.navigable ? this.navLink('sign-in', this.t('signIn'), this.signInHref) : nothing;
    const name = this.displayName();
    const password = user.identities.some((i) => i.providerType === 'local-userpass');
    return html`<div class="wrap" @keydown=${this.#keydown}>
      <button type="button" class="toggle" part="toggle" aria-expanded=${this.#open ? 'true' : 'false'} aria-controls="menu"
        @click=${() => this.#toggle(!this.#open)}>
        <span class="avatar" part="avatar" aria-hidden="true">${[...name][0]?.toUpperCase() ?? '?'}</span>
        <span>${name}</span><span aria-hidden="true">▾</span>
      </button>
      <div id="menu" class="panel" part="menu" ?hidden=${!this.#open}>
        <p class="muted">${this.t('signedInAs', { name })}</p>
        ${password ? this.navLink('change-password', this.t('changePasswordTitle'), this.changePasswordHref) : nothing}
        ${this.sessionsHref || this.navigable ? this.navLink('sessions', this.t('sessionsTitle'), this.sessionsHref) : nothing}
        <button type="button" part="button sign-out" @click=${this.#signOut}>${this.busy ? this.t('working') : this.t('signOut')}</button>
        ${this.regions()}
      </div>
    </div>`;
  }

  #toggle(open: boolean, focus = true): void {
    this.#open = open;
    this.requestUpdate();
    if (!open && focus) this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('.toggle')?.focus());
  }

  #keydown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && this.#open) this.#toggle(false);
  };

  #signOut = async () => {
    if (await this.run('other', async () => void (await this.accounts?.logout()))) {
      this.#open = false;
      this.emit('gatehouse-signed-out');
    }
  };
}

define('gatehouse-user-menu', GatehouseUserMenu);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-user-menu': GatehouseUserMenu;
  }
}
