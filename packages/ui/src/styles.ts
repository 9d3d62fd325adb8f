import { css } from 'lit';

/**
 * The look every element shares. Branding goes through CSS custom properties set on the page (they inherit
 * into the shadow roots) and `::part()`; docs/ui.md lists both. One rule per line, to keep the bundle small.
 * `.root` sets `text-align: start` because Chromium maps an `align="right"` attribute on the host to text-align;
 * empty live regions stay in the accessibility tree (so what is put in them later is announced), out of the way.
 */
export const styles = css`
  :host { display: block; font: var(--gatehouse-font, inherit); color: var(--gatehouse-color-text, #1d1d1f);
    --_primary: var(--gatehouse-color-primary, #1f5fbf); --_on-primary: var(--gatehouse-color-on-primary, #fff);
    --_muted: var(--gatehouse-color-muted, #555); --_border: var(--gatehouse-color-border, #767676); --_bg: var(--gatehouse-color-background, #fff);
    --_error: var(--gatehouse-color-error, #b00020); --_ok: var(--gatehouse-color-success, #0a6e2e); --_radius: var(--gatehouse-radius, 6px); }
  :host([hidden]) { display: none; }
  .root { max-width: var(--gatehouse-max-width, 24rem); line-height: 1.45; text-align: start; }
  h2 { font-size: 1.25rem; margin: 0 0 0.75rem; }
  p { margin: 0; }
  form, .stack { display: grid; gap: 0.75rem; }
  .field { display: grid; gap: 0.25rem; }
  label { font-weight: 600; }
  input { box-sizing: border-box; width: 100%; min-height: 44px; padding: 0.5rem 0.75rem; font: inherit; color: inherit; background: var(--_bg); border: 1px solid var(--_border); border-radius: var(--_radius); }
  input[aria-invalid='true'] { border: 2px solid var(--_error); }
  button, a { box-sizing: border-box; min-height: 44px; min-width: 44px; font: inherit; border-radius: var(--_radius); cursor: pointer; }
  button { padding: 0.5rem 1rem; border: 1px solid var(--_primary); background: var(--_bg); color: var(--_primary); }
  button.primary { background: var(--_primary); color: var(--_on-primary); font-weight: 600; }
  button.link, a { display: inline-flex; align-items: center; padding: 0 0.25rem; border: 0; background: none; color: var(--_primary); text-decoration: underline; }
  :focus-visible { outline: 3px solid var(--gatehouse-color-focus, #1f5fbf); outline-offset: 2px; }
  [aria-busy='true'] button[type='submit'] { cursor: progress; }
  .error, .field-error { color: var(--_error); }
  .error:empty, .status:empty { position: absolute; }
  .status { color: var(--_ok); }
  .muted, .rules { color: var(--_muted); font-size: 0.95em; }
  .rules { margin: 0; padding-inline-start: 1.25rem; }
  .rules .met { color: var(--_ok); }
  .links { display: flex; flex-wrap: wrap; gap: 0 1rem; justify-content: space-between; }
  .divider { display: flex; align-items: center; gap: 0.75rem; color: var(--_muted); }
  .divider::before, .divider::after { content: ''; flex: 1; border-top: 1px solid var(--_border); }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
