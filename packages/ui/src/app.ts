import { App } from '@gatehouse-auth/client';

const apps = new Map<string, App>();
let defaultApp: App | null = null;

/**
 * Sets the `App` every Gatehouse element on the page uses unless it has its own (`app` property, or
 * `app-id`/`base-url` attributes on it or an ancestor). Use it when your code already made the `App`, so the
 * elements and your code share one store: one current user, one set of tokens.
 *
 * @example
 * ```ts
 * import { App } from '@gatehouse-auth/client';
 * import { setDefaultApp } from '@gatehouse-auth/ui';
 *
 * export const app = new App({ id: 'my-app', baseUrl: 'https://auth.example.com' });
 * setDefaultApp(app);
 * ```
 */
export function setDefaultApp(app: App | null): void {
  defaultApp = app;
  for (const listener of listeners) listener();
}

const listeners = new Set<() => void>();
/** @internal Elements re-connect when the default app changes. */
export function onDefaultAppChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/**
 * The `App` for an app id and server: one per pair on the page, so every element naming the same app shares
 * its store. Without an id, the default app ({@link setDefaultApp}), or `null`.
 */
export function appFor(id: string | null | undefined, baseUrl: string | null | undefined): App | null {
  if (!id) return defaultApp;
  if (defaultApp && defaultApp.id === id && (!baseUrl || defaultApp.baseUrl === baseUrl.replace(/\/+$/, '')))
    return defaultApp;
  const key = `${id} ${baseUrl ?? ''}`;
  let app = apps.get(key);
  if (!app) apps.set(key, (app = new App(baseUrl ? { id, baseUrl } : { id })));
  return app;
}

/** The value of `name` on `element` or its nearest ancestor that has it, looking through shadow roots. */
export function inherited(element: Element, name: string): string | null {
  for (let node: Node | null = element; node; ) {
    if (node instanceof Element && node.hasAttribute(name)) return node.getAttribute(name);
    node = node.parentNode ?? (node instanceof ShadowRoot ? node.host : null);
  }
  return null;
}
