import { Credentials, isGatehouseError } from '@gatehouse-auth/client';
import { html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';
import { signupFields } from '../config.js';

/**
 * `<gatehouse-sign-up>`: creates a password account with the fields `passwordSignupFields` names, showing the
 * app's password rules before submit. With a username it signs in at once (Meteor's `createUser`); with an
 * email only it signs in when the app confirms automatically, else it says to open the mailed link.
 *
 * Attributes: `app-id`, `base-url`, `password-signup-fields`, `sign-in-href`, `navigable`, `no-heading`.
 * Events: `gatehouse-signed-up` (`detail: { email, username, signedIn }`), `gatehouse-signed-in`,
 * `gatehouse-navigate` (`detail.to`: `sign-in`).
 */
export class GatehouseSignUp extends GatehouseElement {
  static override properties = {
    fields: { attribute: 'password-signup-fields' },
    signInHref: { attribute: 'sign-in-href' },
    navigable: { type: Boolean },
    noHeading: { type: Boolean, attribute: 'no-heading' },
  };
  declare fields: string | undefined;
  declare signInHref: string | undefined;
  declare navigable: boolean;
  declare noHeading: boolean;

  /** After sign-up: the address to confirm, if the app confirms by email. */
  #sentTo = '';
  #done = false;

  protected override view(): unknown {
    const mode = signupFields(this.fields);
    const closed = this.passwordProvider?.signUp === false;
    const withUsername = mode !== 'EMAIL_ONLY';
    const email = mode !== 'USERNAME_ONLY';
    const again = mode === 'USERNAME_AND_OPTIONAL_EMAIL' || mode === 'USERNAME_ONLY';
    const back =
      this.navigable || this.signInHref ? this.navLink('sign-in', this.t('backToSignIn'), this.signInHref) : nothing;
    const form = html`<form novalidate part="form" aria-busy=${this.busy ? 'true' : 'false'} @submit=${this.#submit}>
      ${withUsername ? this.field({ name: 'username', label: this.t('username'), autocomplete: 'username' }) : nothing}
      ${
        email
          ? this.field({
              name: 'email',
              label: this.t(mode === 'USERNAME_AND_OPTIONAL_EMAIL' ? 'emailOptional' : 'email'),
              type: 'email',
              inputmode: 'email',
              // Password managers save the account under the "username" of the form: here the email.
              autocomplete: withUsername ? 'email' : 'username',
              required: mode !== 'USERNAME_AND_OPTIONAL_EMAIL',
            })
          : nothing
      }
      ${this.field({
        name: 'password',
        label: this.t('password'),
        type: 'password',
        autocomplete: 'new-password',
        hint: this.rules('password'),
        hintId: 'password-rules',
      })}
      ${again ? this.field({ name: 'again', label: this.t('passwordAgain'), type: 'password', autocomplete: 'new-password' }) : nothing}
      ${this.regions()} ${this.submit(this.t('createAccount'))}
      <div class="links">${back}</div>
    </form>`;
    return html`${this.noHeading ? nothing : html`<h2 part="title">${this.t('signUpTitle')}</h2>`}
      ${
        closed
          ? html`<p part="error" class="error">${this.t('error.signUpClosed')}</p>`
          : this.#done
            ? html`<div class="stack">
                ${this.regions()}
                ${
                  this.#sentTo
                    ? html`<button type="button" part="button" @click=${this.#resend}>${this.t('resendConfirmation')}</button>`
                    : nothing
                }
                <div class="links">${back}</div>
              </div>`
            : form
      }`;
  }

  #submit = (event: Event) => {
    event.preventDefault();
    const mode = signupFields(this.fields);
    const username = mode === 'EMAIL_ONLY' ? '' : this.value('username');
    const email = mode === 'USERNAME_ONLY' ? '' : this.value('email');
    const password = this.value('password');
    const emailRequired = mode === 'EMAIL_ONLY' || mode === 'USERNAME_AND_EMAIL';
    const ok = this.check({
      username: mode !== 'EMAIL_ONLY' && [...username].length < 3 && this.t('invalidUsername'),
      email: (emailRequired || email !== '') && !email.includes('@') && this.t(email ? 'invalidEmail' : 'required'),
      password: this.passwordProblem(password),
      again:
        (mode === 'USERNAME_ONLY' || mode === 'USERNAME_AND_OPTIONAL_EMAIL') &&
        this.value('again') !== password &&
        this.t('mismatch'),
    });
    if (!ok) return;
    this.run('signUp', async () => {
      const app = this.boundApp;
      const accounts = this.accounts;
      if (!app || !accounts) return undefined;
      let signedIn = false;
      let status: string | undefined;
      if (username) {
        // A username signs in without a confirmed address: Meteor's createUser (register, then log in).
        await accounts.createUser({ username, ...(email ? { email } : {}), password });
        signedIn = true;
      } else {
        await app.emailPasswordAuth.registerUser({ email, password });
        const confirmation = this.passwordProvider?.confirmation;
        if (confirmation === 'email') {
          this.#sentTo = email;
          status = this.t('checkInbox', { email });
        } else {
          try {
            await app.logIn(Credentials.emailPassword(email, password));
            signedIn = true;
          } catch (error) {
            if (!isGatehouseError(error) || error.code !== 'AuthError') throw error;
            status = this.t(confirmation === 'function' ? 'pending' : 'checkInbox', { email });
          }
        }
      }
      this.#done = true;
      if (signedIn) status = this.t('signedInAs', { name: this.displayName() });
      this.emit('gatehouse-signed-up', { email: email || null, username: username || null, signedIn });
      if (signedIn) this.emit('gatehouse-signed-in', { user: this.user });
      if (status) this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[role=status]')?.focus());
      return status;
    });
  };

  #resend = () =>
    this.run('other', async () => {
      await this.boundApp?.emailPasswordAuth.resendConfirmationEmail({ email: this.#sentTo });
      return this.t('confirmationSent');
    });
}

define('gatehouse-sign-up', GatehouseSignUp);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-sign-up': GatehouseSignUp;
  }
}
