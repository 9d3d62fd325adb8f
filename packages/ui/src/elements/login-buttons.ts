import type { User } from '@gatehouse-auth/client';
import { html, nothing, type PropertyValues } from 'lit';
import { define, GatehouseElement } from '../base.js';
import { closeOnOutside, focusFirst, panelStyles } from '../disclosure.js';
import { styles } from '../styles.js';
import './change-password.js';
import './forgot-password.js';
import './oauth-buttons.js';
import './sign-in.js';
import './sign-up.js';

type Screen = 'sign-in' | 'sign-up' | 'forgot-password' | 'menu' | 'change-password';

/**
 * `<gatehouse-login-buttons>`: Meteor's `{{> loginButtons}}`. Signed out, a "Sign in ▾" button opens the
 * external-service buttons (once the configuration arrived), "or", the password form, "Forgot password?" and
 * "Create account" (each switching the panel to its form). With a single external service and no password
 * login, one "Sign in with …" button instead. Signed in, the user's name opens "Change password" (for users
 * with a password) and "Sign out". Configured like `Accounts.ui.config` (`configureLoginUi`) or per element.
 *
 * Attributes: `app-id`, `base-url`, `password-signup-fields`, `align` (`left` | `right`),
 * `oauth-redirect-url`. Events (bubbling from the forms inside): `gatehouse-signed-in`, `gatehouse-signed-out`,
 * `gatehouse-signed-up`, `gatehouse-password-changed`, `gatehouse-login-with`.
 */
export class GatehouseLoginButtons extends GatehouseElement {
  static override styles = [styles, panelStyles];
  static override properties = {
    fields: { attribute: 'password-signup-fields' },
    redirectUrl: { attribute: 'oauth-redirect-url' },
  };
  declare fields: string | undefined;
  declare redirectUrl: string | undefined;

  #open = false;
  #screen: Screen = 'sign-in';
  #release: (() => void) | null = null;
  /** The user at the last render (`undefined` before the first). */
  #seen: User | null | undefined = undefined;

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

  /**
   * Signing in or out replaces the panel's form, which is then gone before it could tell anyone: so this
   * element watches the store and announces `gatehouse-signed-in` / `gatehouse-signed-out` itself (the
   * forms' own events stop here), closing the panel and putting the focus back on its button.
   */
  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    const user = this.user;
    const before = this.#seen;
    this.#seen = user;
    if (before === undefined || (before === null) === (user === null)) return;
    const wasOpen = this.#open;
    this.#open = false;
    this.updateComplete.then(() => {
      this.emit(user ? 'gatehouse-signed-in' : 'gatehouse-signed-out', user ? { user } : null);
      if (wasOpen) this.renderRoot.querySelector<HTMLElement>('.toggle, button')?.focus();
    });
  }

  protected override view(): unknown {
    const accounts = this.accounts;
    const user = this.user;
    const services = accounts?.loginServiceConfiguration() ?? [];
    const configured = accounts?.loginServicesConfigured() ?? false;
    const password = services.some((p) => p.type === 'local-userpass');
    const external = services.filter((p) => p.service);
    const app = this.boundApp;
    const oauth = html`<gatehouse-oauth-buttons exportparts=${PARTS} .app=${app} .messages=${this.messages}
      oauth-redirect-url=${this.redirectUrl ?? nothing}></gatehouse-oauth-buttons>`;

    if (configured && !password && external.length === 1) {
      return user
        ? html`<button type="button" part="button sign-out" @click=${this.#signOut}>${this.t('signOut')}</button>${this.regions()}`
        : oauth;
    }
    if (configured && !user && services.length === 0) return html`<p part="no-services">${this.t('noServices')}</p>`;

    const name = user ? this.displayName() : '';
    const screen = this.#screen;
    let panel: unknown = html`<p class="muted">${this.t('loading')}</p>`;
    if (user && screen === 'change-password')
      panel = html`<gatehouse-change-password exportparts=${PARTS} .app=${app} .messages=${this.messages} no-heading></gatehouse-change-password>
        <button type="button" class="link" part="link" @click=${() => this.#show('menu')}>${this.t('close')}</button>`;
    else if (user)
      panel = html`<p class="muted">${this.t('signedInAs', { name })}</p>
        ${
          user.identities.some((i) => i.providerType === 'local-userpass')
            ? html`<button type="button" part="button change-password" @click=${() => this.#show('change-password')}>
                ${this.t('changePasswordTitle')}</button>`
            : nothing
        }
        <button type="button" part="button sign-out" @click=${this.#signOut}>${this.busy ? this.t('working') : this.t('signOut')}</button>
        ${this.regions()}`;
    else if (configured && screen === 'sign-up')
      panel = html`<gatehouse-sign-up exportparts=${PARTS} .app=${app} .messages=${this.messages} navigable no-heading
        password-signup-fields=${this.fields ?? nothing}></gatehouse-sign-up>`;
    else if (configured && screen === 'forgot-password')
      panel = html`<gatehouse-forgot-password exportparts=${PARTS} .app=${app} .messages=${this.messages} navigable no-heading></gatehouse-forgot-password>`;
    else if (configured)
      panel = html`${oauth}
        ${external.length > 0 && password ? html`<p class="divider" part="divider">${this.t('or')}</p>` : nothing}
        ${
          password
            ? html`<gatehouse-sign-in exportparts=${PARTS} .app=${app} .messages=${this.messages} navigable no-heading
                password-signup-fields=${this.fields ?? nothing}></gatehouse-sign-in>`
            : nothing
        }`;

    return html`<div class="wrap" @keydown=${this.#keydown} @gatehouse-navigate=${this.#navigate}
      @gatehouse-signed-in=${stop} @gatehouse-signed-out=${stop}>
      <button type="button" class="toggle" part="toggle" aria-expanded=${this.#open ? 'true' : 'false'} aria-controls="panel"
        @click=${() => this.#toggle(!this.#open)}>
        ${user ? html`<span class="avatar" part="avatar" aria-hidden="true">${[...name][0]?.toUpperCase() ?? '?'}</span>` : nothing}
        <span>${user ? name : this.t('signIn')}</span><span aria-hidden="true">▾</span>
      </button>
      <div id="panel" class="panel" part="panel" ?hidden=${!this.#open}>${this.#open ? panel : nothing}</div>
    </div>`;
  }

  #toggle(open: boolean, focus = true): void {
    this.#open = open;
    this.#screen = this.user ? 'menu' : 'sign-in';
    this.requestUpdate();
    this.updateComplete.then(() => {
      if (open) this.#focusPanel();
      else if (focus) this.renderRoot.querySelector<HTMLElement>('.toggle')?.focus();
    });
  }

  #show(screen: Screen): void {
    this.#screen = screen;
    this.requestUpdate();
    this.updateComplete.then(() => this.#focusPanel());
  }

  #focusPanel(): void {
    const panel = this.renderRoot.querySelector('.panel');
    if (panel) focusFirst(panel);
  }

  #navigate = (event: CustomEvent<{ to: string }>) => {
    const to = event.detail?.to;
    if (to === 'sign-in' || to === 'sign-up' || to === 'forgot-password') {
      event.preventDefault();
      this.#show(to);
    }
  };

  #keydown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && this.#open) this.#toggle(false);
  };

  #signOut = () => this.run('other', async () => void (await this.accounts?.logout()));
}

const stop = (event: Event) => event.stopPropagation();

/** The parts of the forms inside, passed on so that `gatehouse-login-buttons::part(input)` reaches them. */
const PARTS =
  'root, title, intro, form, field, label, input, field-error, rules, rule, error, status, button, submit, link, signed-in, oauth, oauth-button, google, facebook, apple';

define('gatehouse-login-buttons', GatehouseLoginButtons);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-login-buttons': GatehouseLoginButtons;
  }
}
