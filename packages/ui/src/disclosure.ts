import { css } from 'lit';
import { GatehouseElement } from './base.js';

/** The dropdown panel of `<gatehouse-login-buttons>` and `<gatehouse-user-menu>`. */
export const panelStyles = css`
  .wrap { position: relative; display: inline-block; }
  .toggle { display: inline-flex; align-items: center; gap: 0.5rem; }
  .panel { position: absolute; z-index: 10; inset-inline-start: 0; top: calc(100% + 0.25rem); box-sizing: border-box; width: max-content; min-width: 16rem; max-width: min(22rem, calc(100vw - 1rem)); padding: 1rem; display: grid; gap: 0.75rem; background: var(--_bg); border: 1px solid var(--_border); border-radius: var(--_radius); box-shadow: 0 6px 24px rgb(0 0 0 / 0.15); }
  .panel[hidden] { display: none; }
  :host([align='right']) .panel { inset-inline-start: auto; inset-inline-end: 0; }
  .avatar { display: inline-grid; place-items: center; width: 1.75rem; height: 1.75rem; border-radius: 50%; background: var(--_primary); color: var(--_on-primary); font-weight: 600; }
`;

/**
 * Moves the focus to the first input or button inside `root`, waiting for Gatehouse elements in it to render
 * (their controls live in their shadow roots).
 */
export async function focusFirst(root: ParentNode): Promise<void> {
  for (const element of root.querySelectorAll<HTMLElement>('*')) {
    if (element instanceof GatehouseElement) {
      await element.updateComplete;
      const target = element.shadowRoot?.querySelector<HTMLElement>('input:not([hidden]), button, a[href]');
      if (target) return target.focus();
    } else if (element.matches('input:not([hidden]), button, a[href]')) return element.focus();
  }
}

/**
 * Open/close behaviour of a disclosure: Escape closes and returns the focus to the toggle, a click outside the
 * host closes. Returns the function that removes the document listener.
 */
export function closeOnOutside(host: HTMLElement, isOpen: () => boolean, close: () => void): () => void {
  const onClick = (event: Event) => {
    if (isOpen() && !event.composedPath().includes(host)) close();
  };
  document.addEventListener('click', onClick);
  return () => document.removeEventListener('click', onClick);
}
