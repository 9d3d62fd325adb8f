import { en, type MessageKey } from './en.js';

export type { MessageKey } from './en.js';

/** A catalogue: message key → text. Partial ones (overrides) fall back key by key. */
export type Messages = Partial<Record<MessageKey, string>> & Record<string, string>;

/** The languages Gatehouse ships, besides English: loaded on first use (a separate chunk each). */
const loaders: Record<string, () => Promise<{ default: Messages }>> = {
  de: () => import('./de.js'),
  fr: () => import('./fr.js'),
  es: () => import('./es.js'),
  ja: () => import('./ja.js'),
  ar: () => import('./ar.js'),
};

const catalogues = new Map<string, Messages>([['en', en]]);
const loading = new Map<string, Promise<void>>();
/** Overrides by language, then by app id (`''`: every app). */
const overrides = new Map<string, Map<string, Messages>>();
const RTL = new Set(['ar', 'he', 'fa', 'ur']);

/**
 * The shipped language for a BCP 47 tag: `de-AT` → `de`; anything unknown (or empty) → `en`. Languages
 * that only have overrides (see {@link setMessages}) count as known.
 *
 * @example
 * ```ts
 * matchLanguage('fr-CA'); // 'fr'
 * matchLanguage('pt-BR'); // 'en'
 * ```
 */
export function matchLanguage(tag: string | null | undefined): string {
  const base = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return base && (Object.hasOwn(loaders, base) || catalogues.has(base) || overrides.has(base)) ? base : 'en';
}

/** True for right-to-left languages. */
export function isRtl(language: string): boolean {
  return RTL.has(language);
}

/** Whether `language`'s catalogue is ready (English always is). */
export function languageReady(language: string): boolean {
  return catalogues.has(language) || !Object.hasOwn(loaders, language);
}

/** Loads `language`'s catalogue once; resolves when it is ready (a failed load falls back to English). */
export function loadLanguage(language: string): Promise<void> {
  if (languageReady(language)) return Promise.resolve();
  let pending = loading.get(language);
  if (!pending) {
    pending = (loaders[language] as () => Promise<{ default: Messages }>)()
      .then((module) => void catalogues.set(language, module.default))
      .catch(() => void catalogues.set(language, {}));
    loading.set(language, pending);
  }
  return pending;
}

/**
 * Replaces some texts: for one language, for every app or (with `appId`) for one app only. Call it before the
 * elements render, or they show the new texts at their next render. A language Gatehouse does not ship can
 * be added this way (keys missing from it fall back to English).
 *
 * @example
 * ```ts
 * setMessages('en', { signInTitle: 'Sign in to Acme', 'error.credentials': 'Wrong email or password.' });
 * setMessages('de', { signInTitle: 'Bei Acme anmelden' }, { appId: 'acme-prod' });
 * ```
 */
export function setMessages(language: string, messages: Messages, options: { appId?: string } = {}): void {
  const key = language.toLowerCase();
  let byApp = overrides.get(key);
  if (!byApp) overrides.set(key, (byApp = new Map()));
  byApp.set(options.appId ?? '', { ...byApp.get(options.appId ?? ''), ...messages });
  changed();
}

const listeners = new Set<() => void>();
/** @internal Elements re-render when overrides change. */
export function onMessagesChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
function changed(): void {
  for (const listener of listeners) listener();
}

/** Translates with a language, an app's overrides and an element's own `messages`. */
export type Translate = (key: MessageKey | string, values?: Record<string, string | number>) => string;

/**
 * A translator for `language` (which should be loaded): the element's `messages`, then the app's overrides,
 * then every app's overrides, then the catalogue, then the same in English. `{count}` picks a plural form.
 *
 * @example
 * ```ts
 * const t = translator('de');
 * t('signInWith', { service: 'Google' }); // 'Mit Google anmelden'
 * t('sessionsCount', { count: 2 });        // 'Auf 2 Geräten angemeldet'
 * ```
 */
export function translator(language: string, appId = '', local: Messages = {}): Translate {
  const chain = (lang: string): Messages[] => {
    const byApp = overrides.get(lang);
    return [byApp?.get(appId), byApp?.get(''), catalogues.get(lang)].filter((m): m is Messages => m !== undefined);
  };
  const sources = [local, ...chain(language), ...(language === 'en' ? [] : chain('en'))];
  const plural = new Intl.PluralRules(language);
  const find = (key: string) => {
    for (const source of sources) if (source[key] !== undefined) return source[key];
    return undefined;
  };
  return (key, values = {}) => {
    const count = values.count;
    const text =
      (typeof count === 'number' ? (find(`${key}.${plural.select(count)}`) ?? find(`${key}.other`)) : undefined) ??
      find(key) ??
      key;
    return text.replace(/\{(\w+)\}/g, (all, name: string) =>
      values[name] === undefined
        ? all
        : typeof values[name] === 'number'
          ? values[name].toLocaleString(language)
          : String(values[name]),
    );
  };
}
