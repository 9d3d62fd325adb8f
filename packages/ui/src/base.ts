import {
  type Accounts,
  type App,
  createAccounts,
  type LoginServiceConfiguration,
  type User,
} from '@gatehouse-auth/client';
import {
  type CSSResultGroup,
  html,
  LitElement,
  nothing,
  type PropertyDeclarations,
  type PropertyValues,
  type TemplateResult,
} from 'lit';
import { appFor, inherited, onDefaultAppChanged } from './app.js';
import { type ErrorContext, errorKey } from './errors.js';
import {
  isRtl,
  languageReady,
  loadLanguage,
  type Messages,
  matchLanguage,
  onMessagesChanged,
  type Translate,
  translator,
} from './i18n/index.js';
import { styles } from './styles.js';

/** Every connected element, for page-wide changes (the page's `lang`, overridden texts, the default app). */
const live = new Set<GatehouseElement>();
let observer: MutationObserver | undefined;
const refreshAll = () => {
  for (const element of live) element.requestUpdate();
};

/** One input of a form. */
export interface FieldSpec {
  name: string;
  label: string;
  autocomplete: string;
  type?: string;
  required?: boolean;
  /** Extra content under the input (the password rules), with the id it is described by. */
  hint?: TemplateResult;
  hintId?: string;
  inputmode?: string;
}

/**
 * The base of Gatehouse's elements: finds the `App` (the `app` property; else `app-id` / `base-url` on the
 * element or an ancestor; else the page's default app), re-renders on every change of its store, picks the
 * language from the nearest `lang`, and gives forms their shared parts: fields, live regions, a busy state,
 * errors in words.
 */
export class GatehouseElement extends LitElement {
  static override styles: CSSResultGroup = styles;
  static override properties: PropertyDeclarations = {
    app: { attribute: false },
    appId: { attribute: 'app-id' },
    baseUrl: { attribute: 'base-url' },
    messages: { attribute: false },
  };

  /** The `App` to use (takes precedence over `app-id`). */
  declare app: App | undefined;
  /** The Gatehouse app id (attribute `app-id`). */
  declare appId: string | undefined;
  /** The Gatehouse server (attribute `base-url`); default: the page's origin. */
  declare baseUrl: string | undefined;
  /** Texts replacing the catalogue's for this element only. */
  declare messages: Messages | undefined;

  /** The translator for the current language (set at each render). */
  protected t: Translate = (key) => key;
  /** The language in use (`en`, `de`, …). */
  protected language = 'en';
  /** An operation is under way. */
  protected busy = false;
  /** The error of the last operation, in words (in the `role="alert"` region). */
  protected error = '';
  /** The outcome of the last operation, in words (in the `role="status"` region). */
  protected status = '';
  /** Client-side problems by field name. */
  protected invalid: Record<string, string> = {};

  #bound: App | null = null;
  #accounts: Accounts | null = null;
  #stop: (() => void)[] = [];
  #unsubscribe: (() => void) | null = null;

  /** The app's Meteor-style accounts facade (`createAccounts(app)`: one per app). */
  protected get accounts(): Accounts | null {
    return this.#accounts;
  }

  /** The app in use, or `null` when none is set. */
  protected get boundApp(): App | null {
    return this.#bound;
  }

  /** The current user, from the store. */
  protected get user(): User | null {
    return this.#bound?.getSnapshot().currentUser ?? null;
  }

  /** The app's email/password settings (policy, confirmation), once the login methods have loaded. */
  protected get passwordProvider(): LoginServiceConfiguration | undefined {
    return this.#accounts?.loginServiceConfiguration().find((p) => p.type === 'local-userpass');
  }

  override connectedCallback(): void {
    super.connectedCallback();
    live.add(this);
    if (!observer && typeof MutationObserver === 'function') {
      observer = new MutationObserver(refreshAll);
      observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'], subtree: true });
      onMessagesChanged(refreshAll);
      onDefaultAppChanged(refreshAll);
    }
    this.#connect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    live.delete(this);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#bound = null;
    for (const stop of this.#stop.splice(0)) stop();
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    this.#connect();
  }

  #connect(): void {
    const app =
      this.app ?? appFor(this.appId ?? inherited(this, 'app-id'), this.baseUrl ?? inherited(this, 'base-url'));
    if (app === this.#bound) return;
    this.#unsubscribe?.();
    this.#bound = app;
    this.#accounts = app ? createAccounts(app) : null;
    this.#unsubscribe = app ? app.subscribe(() => this.requestUpdate()) : null;
    this.appChanged();
  }

  /** Called when the element got (another) app. */
  protected appChanged(): void {}

  override render(): unknown {
    const language = matchLanguage(inherited(this, 'lang'));
    if (!languageReady(language)) {
      loadLanguage(language).then(() => this.requestUpdate());
      return nothing;
    }
    this.language = language;
    this.t = translator(language, this.#bound?.id, this.messages);
    const body = this.#bound
      ? this.view()
      : html`<p class="error" part="error">No Gatehouse app: set the app-id attribute (see docs/ui.md).</p>`;
    return html`<div class="root" part="root" lang=${language} dir=${isRtl(language) ? 'rtl' : 'ltr'}>${body}</div>`;
  }

  /** What the element shows (its app is set). */
  protected view(): unknown {
    return nothing;
  }

  /** Sets state fields and re-renders. */
  protected set(patch: { busy?: boolean; error?: string; status?: string; invalid?: Record<string, string> }): void {
    Object.assign(this, patch);
    this.requestUpdate();
  }

  /** Fires a bubbling, composed `CustomEvent`; returns false when a listener called `preventDefault()`. */
  protected emit(type: string, detail: unknown = null): boolean {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }));
  }

  /** The trimmed value of a named input of this element's form. */
  protected value(name: string): string {
    const input = this.renderRoot.querySelector<HTMLInputElement>(`[name="${name}"]`);
    return input?.type === 'password' ? (input?.value ?? '') : (input?.value.trim() ?? '');
  }

  /**
   * Runs a form's operation: refuses a second one while busy, shows the busy state, puts the result in the
   * status region or the error (in words, for `context`) in the alert region. After a failure password inputs
   * are emptied (what else was typed stays) and the first one gets focus.
   */
  protected async run(context: ErrorContext, work: () => Promise<string | undefined>): Promise<boolean> {
    if (this.busy) return false;
    this.set({ busy: true, error: '', status: '', invalid: {} });
    try {
      const status = await work();
      this.set({ busy: false, status: status ?? '' });
      return true;
    } catch (error) {
      this.set({ busy: false, error: this.t(errorKey(error, context)) });
      const passwords = [...this.renderRoot.querySelectorAll<HTMLInputElement>('input[type="password"]')];
      for (const input of passwords) input.value = '';
      this.onFailure();
      await this.updateComplete;
      passwords[0]?.focus();
      return false;
    }
  }

  /** Called after a failed operation (before the focus moves). */
  protected onFailure(): void {}

  /**
   * Shows client-side problems at their fields and focuses the first; returns true when there were none.
   */
  protected check(problems: Record<string, string | false | undefined>): boolean {
    const invalid = Object.fromEntries(Object.entries(problems).filter((e): e is [string, string] => !!e[1]));
    this.set({ invalid, error: '', status: '' });
    const first = Object.keys(invalid)[0];
    if (first) this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[name="${first}"]`)?.focus());
    return first === undefined;
  }

  /** One labelled input, with its error and hint tied to it by `aria-describedby`. */
  protected field(f: FieldSpec): TemplateResult {
    const problem = this.invalid[f.name];
    const described = [problem ? `${f.name}-error` : '', f.hint ? (f.hintId ?? '') : ''].filter(Boolean).join(' ');
    return html`<div class="field" part="field">
      <label for=${f.name} part="label">${f.label}</label>
      <input
        id=${f.name}
        name=${f.name}
        part="input"
        type=${f.type ?? 'text'}
        autocomplete=${f.autocomplete}
        inputmode=${f.inputmode ?? nothing}
        ?required=${f.required !== false}
        aria-invalid=${problem ? 'true' : 'false'}
        aria-describedby=${described || nothing}
        dir=${f.type === 'email' || f.type === 'password' ? 'ltr' : nothing}
        @input=${f.name === 'password' || f.name === 'newPassword' ? () => this.requestUpdate() : nothing}
      />
      ${problem ? html`<p id="${f.name}-error" class="field-error" part="field-error">${problem}</p>` : nothing}
      ${f.hint ?? nothing}
    </div>`;
  }

  /** The password rules of the app's policy, shown before submit, ticked as they are met. */
  protected rules(input: string): TemplateResult | undefined {
    const policy = this.passwordProvider?.password;
    if (!policy) return undefined;
    const length = [...this.value(input)].length;
    const met = length >= policy.minLength;
    return html`<ul id="${input}-rules" class="rules" part="rules" aria-label=${this.t('rulesLabel')}>
      <li class=${met ? 'met' : ''} part="rule">
        ${this.t('ruleMin', { min: policy.minLength })}${met ? html` <span aria-hidden="true">✓</span><span class="sr-only">${this.t('ruleMet')}</span>` : nothing}
      </li>
      ${policy.rejectCommon ? html`<li part="rule">${this.t('ruleCommon')}</li>` : nothing}
    </ul>`;
  }

  /** The problem with a new password under the app's policy (or `false`). */
  protected passwordProblem(password: string): string | false {
    const policy = this.passwordProvider?.password ?? { minLength: 1, maxLength: 1024 };
    const length = [...password.normalize('NFKC')].length;
    if (length === 0) return this.t('required');
    if (length < policy.minLength) return this.t('passwordShort', { min: policy.minLength });
    if (length > policy.maxLength) return this.t('passwordLong', { max: policy.maxLength });
    return false;
  }

  /** The form's live regions: errors (`role="alert"`) and outcomes (`role="status"`). */
  protected regions(): TemplateResult {
    return html`<p class="error" part="error" role="alert">${this.error}</p>
      <p class="status" part="status" role="status" aria-live="polite" tabindex="-1">${this.status}</p>`;
  }

  /** A submit button that says when it is working. */
  protected submit(label: string): TemplateResult {
    return html`<button type="submit" class="primary" part="button submit">${this.busy ? this.t('working') : label}</button>`;
  }

  /**
   * A link to another screen: an `<a href>` when the page gave one, else a button. Either way a cancelable
   * `gatehouse-navigate` event (`detail: { to }`) fires first; `preventDefault()` keeps the page where it is.
   */
  protected navLink(to: string, label: string, href: string | null | undefined): TemplateResult {
    const go = (event: Event) => {
      if (!this.emit('gatehouse-navigate', { to })) event.preventDefault();
    };
    return href
      ? html`<a part="link" href=${href} @click=${go}>${label}</a>`
      : html`<button type="button" class="link" part="link" @click=${go}>${label}</button>`;
  }

  /** Token and token id of an emailed link: the `token` / `token-id` attributes, else the page's query. */
  protected linkToken(token: string | undefined, tokenId: string | undefined): string | null {
    const query = new URLSearchParams(globalThis.location?.search ?? '');
    const t = token ?? query.get('token');
    const id = tokenId ?? query.get('tokenId');
    return t && id ? `${id}.${t}` : null;
  }

  /** A user's name as accounts-ui shows it: `profile.name`, then username, then first email; else "Guest". */
  protected displayName(): string {
    const doc = this.#accounts?.user();
    const user = this.user;
    const name = (doc?.profile as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string' && name) return name;
    if (doc?.username) return doc.username;
    if (doc?.emails?.[0]?.address) return doc.emails[0].address;
    const profile = user?.profile;
    return profile?.name ?? profile?.email ?? (user?.providerType === 'anon-user' ? this.t('guest') : (user?.id ?? ''));
  }
}

/** Defines `name` unless the page already has it (two copies of the bundle on one page must not throw). */
export function define(name: string, element: CustomElementConstructor): void {
  if (typeof customElements !== 'undefined' && !customElements.get(name)) customElements.define(name, element);
}
