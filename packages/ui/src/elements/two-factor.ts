import {
  disableUser2fa,
  enableUser2fa,
  generate2faActivationQrCode,
  type TwoFactorActivation,
  type TwoFactorStatus,
  twoFactorStatus,
} from '@gatehouse-auth/client/passwordless';
import { html, nothing } from 'lit';
import { define } from '../base.js';
import { PasswordlessElement } from './passwordless-base.js';

/**
 * `<gatehouse-two-factor>`: the signed-in user's two-factor authentication (TOTP). Off: "Turn on two-factor"
 * shows the QR code for their authenticator app (the server's SVG, shown as an image — never as markup) and the
 * key to type by hand, and asks for a first code; a right one turns two-factor on and shows the ten recovery
 * codes, once. On: how many recovery codes are left, and "Turn off two-factor".
 *
 * Attributes: `app-id`, `base-url`, `app-name` (the issuer the authenticator app shows; default: the Gatehouse
 * app's name), `no-heading`.
 * Events: `gatehouse-two-factor-changed` (`detail.enabled`).
 */
export class GatehouseTwoFactor extends PasswordlessElement {
  static override properties = {
    appName: { attribute: 'app-name' },
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare appName: string | undefined;
  declare noHeading: boolean;

  /** The user's state, once loaded (for `#for`, the user it was loaded for). */
  #status: TwoFactorStatus | null = null;
  #for: string | null = null;
  /** A started activation, waiting for its first code. */
  #activation: TwoFactorActivation | null = null;
  /** The recovery codes of the activation just finished (shown once). */
  #codes: string[] = [];

  protected override screen(): unknown {
    const user = this.user;
    const heading = this.noHeading ? nothing : html`<h2 part="title">${this.t('totpTitle')}</h2>`;
    if (!user || user.providerType === 'anon-user') {
      // Whoever signs in next (the same user too: a recovery code may have been spent meanwhile) is loaded anew.
      this.#for = null;
      this.#activation = null;
      this.#codes = [];
      return html`${heading}<p class="muted" part="intro">${this.t('twoFactorSignIn')}</p>`;
    }
    if (this.#for !== user.id) {
      this.#for = user.id;
      this.#status = null;
      queueMicrotask(() => this.#load());
    }
    if (this.#codes.length > 0)
      return html`${heading}<div class="stack" part="recovery">
          <h3 part="recovery-title" tabindex="-1">${this.t('recoveryTitle')}</h3>
          <p part="intro">${this.t('recoveryCodesIntro')}</p>
          <ul part="recovery-codes" dir="ltr">${this.#codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
          <button type="button" class="primary" part="button done" @click=${this.#done}>${this.t('done')}</button>
          ${this.regions()}
        </div>`;
    const activation = this.#activation;
    if (activation)
      return html`${heading}
        <form novalidate part="form two-factor" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#enable}>
          <p part="intro">${this.t('scanIntro')}</p>
          <img part="qr" width="200" height="200" alt=${this.t('qrAlt')}
            src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(activation.svg)}`} />
          <p class="muted" part="secret">${this.t('manualKey')} <code dir="ltr">${activation.secret}</code></p>
          ${this.field({ name: 'totpCode', label: this.t('totpCode'), autocomplete: 'one-time-code', inputmode: 'numeric' })}
          ${this.regions()} ${this.submit(this.t('turnOn'))}
          <button type="button" part="button cancel" @click=${this.#cancel}>${this.t('cancel')}</button>
        </form>`;
    const status = this.#status;
    if (!status) return html`${heading}<p class="muted">${this.t('loading')}</p>${this.regions()}`;
    return html`${heading}<div class="stack" part="two-factor">
        <p part="state">${
          status.enabled ? this.t('twoFactorOn', { count: status.recoveryCodesLeft }) : this.t('twoFactorOff')
        }</p>
        ${
          status.enabled
            ? html`<button type="button" part="button turn-off" @click=${this.#disable}>${this.busy ? this.t('working') : this.t('turnOff')}</button>`
            : html`<button type="button" class="primary" part="button turn-on" @click=${this.#start}>${this.busy ? this.t('working') : this.t('turnOn')}</button>`
        }
        ${this.regions()}
      </div>`;
  }

  protected override codeKey(code: string): string {
    return code === 'TwoFactorInvalid' ? 'enableCode' : code;
  }

  #load(): void {
    const user = this.boundApp?.currentUser;
    if (!user) return;
    this.run('other', async () => {
      this.#status = await twoFactorStatus(user);
      return undefined;
    });
  }

  #signedIn() {
    const user = this.boundApp?.currentUser;
    if (!user) throw new TypeError('nobody is signed in');
    return user;
  }

  async #focus(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  #start = () =>
    this.run('other', async () => {
      this.#activation = await generate2faActivationQrCode(this.#signedIn(), this.appName || undefined);
      return undefined;
    }).then((ok) => {
      if (ok) this.#focus('[name="totpCode"]');
    });

  #enable = (event: Event) => {
    event.preventDefault();
    const code = this.value('totpCode').replace(/\s+/g, '');
    if (!this.check({ totpCode: !code && this.t('required') })) return;
    this.run('other', async () => {
      const { recoveryCodes } = await enableUser2fa(this.#signedIn(), code);
      this.#activation = null;
      this.#codes = recoveryCodes;
      this.#status = { enabled: true, recoveryCodesLeft: recoveryCodes.length };
      this.emit('gatehouse-two-factor-changed', { enabled: true });
      return undefined;
    }).then((ok) => {
      if (ok) this.#focus('[part~="recovery-title"]');
    });
  };

  #cancel = () => {
    this.#activation = null;
    this.set({ error: '', status: '', invalid: {} });
    this.#focus('[part~="turn-on"]');
  };

  #done = () => {
    this.#codes = [];
    this.set({ error: '', status: this.t('twoFactorOn', { count: this.#status?.recoveryCodesLeft ?? 0 }) });
    this.#focus('[part~="turn-off"]');
  };

  #disable = () =>
    this.run('other', async () => {
      await disableUser2fa(this.#signedIn());
      this.#status = { enabled: false, recoveryCodesLeft: 0 };
      this.emit('gatehouse-two-factor-changed', { enabled: false });
      return this.t('twoFactorTurnedOff');
    });
}

define('gatehouse-two-factor', GatehouseTwoFactor);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-two-factor': GatehouseTwoFactor;
  }
}
