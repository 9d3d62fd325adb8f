import { escapeHtml } from '../email/index.js';

/** A plain, self-contained HTML page (no external assets). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.5rem; }
  label { display: block; margin: 1rem 0 .25rem; }
  input[type=password] { width: 100%; padding: .5rem; font: inherit; box-sizing: border-box; }
  button { margin-top: 1rem; padding: .5rem 1rem; font: inherit; cursor: pointer; }
  .error { color: #b00020; } .ok { color: #0a7a32; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export { escapeHtml };
