import type { MailMessage } from './mailer.js';
import { type AccountEmailKind, formatDuration, RTL_LANGUAGES, wordsOf } from './wordings.js';

/** What the account mails are built from. */
export interface AccountEmailInput {
  /** The app's display name, shown in the subject and body (escaped in HTML). */
  appName: string;
  /** The recipient, a bare address. */
  to: string;
  /** The complete link with token and token id, built by the caller; must be an absolute http(s) URL. */
  link: string;
  /** How long the link works: in words (used as is, `'30 minutes'`), or in milliseconds (put in words in `lang`). */
  expiresIn: string | number;
  /** The mail's language (one of the built-in six; anything else gets English). Default `'en'`. */
  lang?: string;
  /** The app's colour for the button and links, and its logo (built-in mails only). */
  brand?: { color?: string; logoUrl?: string };
  /** The app's own template for this mail and language, used instead of the built-in words. */
  template?: EmailTemplate;
  /** The passwordless code (the login-code mail). */
  code?: string;
}

/**
 * An app's own mail (`branding.emails.<lang>.<kind>` in the configuration). `{{appName}}`, `{{email}}`,
 * `{{link}}` and `{{expiresIn}}` are filled in — HTML-escaped in `html`. Without `html`, the HTML part is the
 * text part, escaped.
 */
export interface EmailTemplate {
  subject: string;
  text: string;
  html?: string;
}

/**
 * Escapes text for HTML element content and quoted attribute values (`&`, `<`, `>`, `"`, `'`).
 *
 * @example
 * ```ts
 * escapeHtml('<script>alert("x")</script>'); // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 * ```
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * The mail that confirms a new email/password account (App Services `local-userpass` register and
 * `confirm/send`): what it is, the link, when it expires, and to ignore it if unasked.
 *
 * @example
 * ```ts
 * const link = `${base}/app/${appId}/confirm?token=${token}&tokenId=${tokenId}`;
 * await mailer.send(confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link, expiresIn: '30 minutes' }));
 * ```
 */
export function confirmationEmail(input: AccountEmailInput): MailMessage {
  return accountEmail('confirm-email', input);
}

/**
 * The mail with a password-reset link (App Services `local-userpass` `reset/send`): what it is,
 * the link, when it expires, and to ignore it if unasked.
 *
 * @example
 * ```ts
 * const link = `${base}/app/${appId}/reset?token=${token}&tokenId=${tokenId}`;
 * await mailer.send(resetPasswordEmail({ appName: 'Notes', to: 'ada@example.com', link, expiresIn: '30 minutes' }));
 * ```
 */
export function resetPasswordEmail(input: AccountEmailInput): MailMessage {
  return accountEmail('reset-password', input);
}

/**
 * The mail that invites someone to an account made for them (Meteor's `Accounts.sendEnrollmentEmail`): the
 * link lets them choose their first password.
 *
 * @example
 * ```ts
 * await mailer.send(enrollmentEmail({ appName: 'Notes', to: 'ada@example.com', link, expiresIn: '30 days' }));
 * ```
 */
export function enrollmentEmail(input: AccountEmailInput): MailMessage {
  return accountEmail('enroll', input);
}

/**
 * The mail to the owner of an address someone tried to sign up with again, when the app hides which addresses
 * have accounts (`preventAccountEnumeration`): the sign-up was answered like any other, so only the owner
 * learns of it. The link is a password-reset link, in case it was them and they forgot the password.
 */
export function signUpAttemptEmail(input: AccountEmailInput): MailMessage {
  return accountEmail('signup-attempt', input);
}

/**
 * The mail with a passwordless sign-in code and link (Meteor's `Accounts.sendLoginTokenEmail`): the code to type
 * into the sign-in form, or the link that signs in at once.
 *
 * @example
 * ```ts
 * await mailer.send(loginCodeEmail({ appName: 'Notes', to: 'ada@example.com', code: '4F0A9C', link, expiresIn: '1 hour' }));
 * ```
 */
export function loginCodeEmail(input: AccountEmailInput & { code: string }): MailMessage {
  return accountEmail('login-code', input);
}

/** The variables an app's own mail template may use, as `{{name}}` (`code`: the login-code mail only). */
export const TEMPLATE_VARIABLES = ['appName', 'email', 'link', 'expiresIn', 'code'] as const;

/**
 * The account mail of `kind`: the app's own template when `input.template` is given (its `{{variables}}`
 * filled in, escaped in the HTML part), else the built-in words in `input.lang` (English when unknown).
 *
 * @example
 * ```ts
 * accountEmail('confirm-email', { appName: 'Notes', to, link, expiresIn: 1_800_000, lang: 'de' });
 * ```
 */
export function accountEmail(kind: AccountEmailKind, input: AccountEmailInput): MailMessage {
  assertHttpLink(input.link);
  const lang = input.lang ?? 'en';
  const app = displayName(input.appName);
  const expiresIn = typeof input.expiresIn === 'number' ? formatDuration(input.expiresIn, lang) : input.expiresIn;
  if (input.template)
    return fromTemplate(
      input.template,
      { appName: app, email: input.to, link: input.link, expiresIn, code: input.code ?? '' },
      input.to,
    );
  const words = wordsOf(lang);
  const wording = words.mails[kind](app, input.to, input.code ?? '');
  const expires = words.expires(expiresIn);
  const ignore = words.ignore(wording.ignore);

  const text = [wording.heading, '', ...wording.intro, '', input.link, '', expires, '', ignore, ''].join('\n');

  const link = escapeHtml(input.link);
  const color = input.brand?.color ?? '#2563eb';
  const p = 'margin:0 0 16px;font-size:16px;line-height:24px;';
  const small = 'margin:0 0 16px;font-size:14px;line-height:20px;color:#52525b;';
  const logo = input.brand?.logoUrl
    ? `<p style="margin:0 0 16px;"><img src="${escapeHtml(input.brand.logoUrl)}" alt="${escapeHtml(app)}" height="40" style="height:40px;width:auto;"></p>\n`
    : '';
  const dir = RTL_LANGUAGES.has(lang.split('-')[0] ?? '') ? ' dir="rtl"' : '';
  const html = `<!doctype html>
<html lang="${escapeHtml(lang)}"${dir}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(wording.subject)}</title>
</head>
<body style="margin:0;padding:24px 12px;background:#f4f4f5;color:#18181b;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<div style="max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px;">
${logo}<h1 style="margin:0 0 16px;font-size:22px;line-height:28px;">${escapeHtml(wording.heading)}</h1>
${wording.intro.map((sentence) => `<p style="${p}">${escapeHtml(sentence)}</p>`).join('\n')}
<p style="margin:24px 0;"><a href="${link}" style="display:inline-block;padding:12px 20px;background:${color};color:#ffffff;font-weight:600;text-decoration:none;border-radius:6px;">${escapeHtml(wording.button)}</a></p>
<p style="${small}">${escapeHtml(words.copyLink)}<br><a href="${link}" style="color:${color};word-break:break-all;">${link}</a></p>
<p style="${p}">${escapeHtml(expires)}</p>
<p style="${small}">${escapeHtml(ignore)}</p>
</div>
</body>
</html>
`;

  return { to: input.to, subject: wording.subject, text, html };
}

// An app name comes from configuration; keep it on one line so it cannot reshape the subject or the layout.
function displayName(appName: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we replace
  return appName.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || 'Gatehouse';
}

const VARIABLE = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/**
 * The names in `{{…}}` in `template` that are not {@link TEMPLATE_VARIABLES} (the configuration refuses
 * a template with any).
 */
export function unknownTemplateVariables(template: string): string[] {
  const known: readonly string[] = TEMPLATE_VARIABLES;
  return [...template.matchAll(VARIABLE)].map((m) => m[1] as string).filter((name) => !known.includes(name));
}

function fromTemplate(
  template: EmailTemplate,
  values: Record<(typeof TEMPLATE_VARIABLES)[number], string>,
  to: string,
): MailMessage {
  const fill = (source: string, encode: (v: string) => string) =>
    source.replace(VARIABLE, (whole, name: string) =>
      name in values ? encode(values[name as keyof typeof values]) : whole,
    );
  const oneLine = (v: string) => v.replace(/[\r\n]+/g, ' ');
  const text = fill(template.text, (v) => v);
  const html =
    template.html === undefined
      ? `<!doctype html>\n<html><head><meta charset="utf-8"></head><body><pre style="font:inherit;white-space:pre-wrap">${escapeHtml(text)}</pre></body></html>\n`
      : fill(template.html, escapeHtml);
  return { to, subject: oneLine(fill(template.subject, oneLine)), text, html };
}

function assertHttpLink(link: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(link).protocol;
  } catch {
    protocol = undefined;
  }
  // The link is not quoted: it holds the token.
  if (protocol !== 'https:' && protocol !== 'http:') throw new TypeError('email link must be an absolute http(s) URL');
}
