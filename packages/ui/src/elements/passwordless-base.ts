import { GatehouseElement } from '../base.js';
import type { ErrorContext } from '../errors.js';
import { translator } from '../i18n/index.js';
import { passwordlessMessages } from '../i18n/passwordless.js';

const english = passwordlessMessages.en as Record<string, string>;

/**
 * The base of the passwordless and two-factor elements. They load after the login buttons' first view, so they
 * bring their own texts (every language, `i18n/passwordless.ts`) instead of growing the main catalogues: what
 * the page's texts and overrides (`setMessages`, `messages`) do not have comes from those. The server codes
 * these screens meet (`LoginTokenInvalid`, `TwoFactorInvalid`, …) are put in words from them too.
 */
export class PasswordlessElement extends GatehouseElement {
  /** Set by `render()` before `view()`: the page's translator, falling back to this element's texts. */
  protected override view(): unknown {
    const page = this.t;
    const own = translator(this.language, this.boundApp?.id, {
      ...english,
      ...(passwordlessMessages[this.language] ?? {}),
    });
    this.t = (key, values) => {
      const text = page(key, values);
      return text === key ? own(key, values) : text;
    };
    return this.screen();
  }

  /** What the element shows (its app is set). */
  protected screen(): unknown {
    return null;
  }

  /** `run`, with the codes of these screens in words (`error.<code>`, or `error.<key>` from `codeKey`). */
  protected override async run(context: ErrorContext, work: () => Promise<string | undefined>): Promise<boolean> {
    let key = '';
    const done = await super.run(context, () =>
      work().catch((error: { code?: unknown }) => {
        const code = this.codeKey(String(error?.code));
        if (`error.${code}` in english) key = `error.${code}`;
        throw error;
      }),
    );
    if (key) this.set({ error: this.t(key) });
    return done;
  }

  /** The message of a server code here (`enableCode` for a wrong first code, …). */
  protected codeKey(code: string): string {
    return code;
  }
}
