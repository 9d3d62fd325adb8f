import type { SessionInfo, User } from '@gatehouse-auth/client';
import { css, html, nothing } from 'lit';
import { define, GatehouseElement } from '../base.js';
import { styles } from '../styles.js';

/**
 * `<gatehouse-sessions>`: "Signed in on 3 devices — sign out the others". Lists the signed-in user's sessions
 * (how they signed in, when, last activity, which one is this device), ends one, or ends all but this one.
 * Shows nothing when signed out.
 *
 * Attributes: `app-id`, `base-url`, `no-heading`. Events: `gatehouse-sessions-ended` (`detail.count`).
 */
export class GatehouseSessions extends GatehouseElement {
  static override properties = { noHeading: { type: Boolean, attribute: 'no-heading' } };
  // In the style sheet, not in style attributes: pages with a strict CSP (no 'unsafe-inline') refuse those.
  static override styles = [
    styles,
    css`
      .sessions { list-style: none; padding: 0; margin: 0; }
      .session { gap: 0.25rem; padding-block: 0.5rem; border-top: 1px solid var(--_border); }
    `,
  ];
  declare noHeading: boolean;

  #list: SessionInfo[] | null = null;
  #for: User | null = null;

  protected override view(): unknown {
    const user = this.user;
    if (!user) return nothing;
    if (user !== this.#for) {
      this.#for = user;
      this.#list = null;
      this.#load(user);
    }
    const list = this.#list;
    const date = new Intl.DateTimeFormat(this.language, { dateStyle: 'medium', timeStyle: 'short' });
    const provider = (type: string) => {
      const words = this.t(`provider.${type}`);
      return words === `provider.${type}` ? type : words;
    };
    return html`${this.noHeading ? nothing : html`<h2 part="title">${this.t('sessionsTitle')}</h2>`}
      <div class="stack" aria-busy=${list ? 'false' : 'true'}>
        ${
          list
            ? html`<p part="summary">${this.t('sessionsCount', { count: list.length })}</p>
                <ul class="stack sessions" part="list">
                  ${list.map(
                    (s) => html`<li class="stack session" part=${s.current ? 'session current' : 'session'}>
                      <p><strong>${provider(s.providerType)}</strong> · <span dir="ltr">${this.t('device', { id: s.deviceId.slice(-6) })}</span>
                        ${s.current ? html` · <strong part="this-device">${this.t('thisDevice')}</strong>` : nothing}</p>
                      <p class="muted">${this.t('sessionDates', { created: date.format(s.createdAt), used: date.format(s.lastUsedAt) })}</p>
                      ${
                        s.current
                          ? nothing
                          : html`<div><button type="button" part="button" @click=${() => this.#end(user, s)}>${this.t('endSession')}</button></div>`
                      }
                    </li>`,
                  )}
                </ul>
                ${
                  list.length > 1
                    ? html`<div><button type="button" class="primary" part="button sign-out-others" @click=${() => this.#others(user)}>
                        ${this.busy ? this.t('working') : this.t('signOutOthers')}</button></div>`
                    : nothing
                }`
            : html`<p class="muted">${this.t('loading')}</p>`
        }
        ${this.regions()}
      </div>`;
  }

  async #load(user: User): Promise<void> {
    try {
      const list = await user.sessions.list();
      if (this.#for !== user) return;
      this.#list = list;
      this.requestUpdate();
    } catch (error) {
      if (this.#for === user) this.run('other', () => Promise.reject(error));
    }
  }

  #end = (user: User, session: SessionInfo) =>
    this.run('other', async () => {
      await user.sessions.revoke(session.id);
      this.#list = this.#list?.filter((s) => s.id !== session.id) ?? null;
      this.emit('gatehouse-sessions-ended', { count: 1 });
      return this.t('sessionEnded');
    });

  #others = (user: User) =>
    this.run('other', async () => {
      const count = await user.sessions.revokeOthers();
      this.#list = this.#list?.filter((s) => s.current) ?? null;
      this.emit('gatehouse-sessions-ended', { count });
      this.#load(user);
      return this.t('othersSignedOut', { count });
    });
}

define('gatehouse-sessions', GatehouseSessions);

declare global {
  interface HTMLElementTagNameMap {
    'gatehouse-sessions': GatehouseSessions;
  }
}
