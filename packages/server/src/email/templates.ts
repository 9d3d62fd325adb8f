import type { MailMessage } from './mailer.js';

/** What the account mails are built from. */
export interface AccountEmailInput {
  /** The app's display name, shown in the subject and body (escaped in HTML). */
  appName: string;
  /** The recipient, a bare address. */
  to: string;
  /** The complete link with token and token id, built by the caller; must be an absolute http(s) URL. */
  link: string;
  /** How long the link works, in words. @example '30 minutes' */
  expiresIn: string;
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
  const app = displayName(input.appName);
  return accountEmail(input, {
    subject: `Confirm your email address for ${app}`,
    heading: `Confirm your email address`,
    intro: [
      `Someone, hopefully you, signed up for ${app} with this email address (${input.to}).`,
      'To confirm it, open this link:',
    ],
    button: 'Confirm email address',
    ignore: 'the address will not be confirmed.',
  });
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
  const app = displayName(input.appName);
  return accountEmail(input, {
    subject: `Reset your password for ${app}`,
    heading: 'Reset your password',
    intro: [
      `Someone, hopefully you, asked to reset the password of the ${app} account ${input.to}.`,
      'To choose a new password, open this link:',
    ],
    button: 'Choose a new password',
    ignore: 'your password stays as it is.',
  });
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
  const app = displayName(input.appName);
  return accountEmail(input, {
    subject: `An account has been created for you on ${app}`,
    heading: 'Your new account',
    intro: [`An account on ${app} has been created for ${input.to}.`, 'To start using it, choose a password here:'],
    button: 'Choose your password',
    ignore: 'the account stays without a password.',
  });
}

/**
 * The mail to the owner of an address someone tried to sign up with again, when the app hides which addresses
 * have accounts (`preventAccountEnumeration`): the sign-up was answered like any other, so only the owner
 * learns of it. The link is a password-reset link, in case it was them and they forgot the password.
 */
export function signUpAttemptEmail(input: AccountEmailInput): MailMessage {
  const app = displayName(input.appName);
  return accountEmail(input, {
    subject: `Someone tried to sign up to ${app} with your address`,
    heading: 'You already have an account',
    intro: [
      `Someone, hopefully you, tried to create a ${app} account with ${input.to}, which already has one.`,
      'If it was you, sign in instead. If you forgot your password, choose a new one here:',
    ],
    button: 'Reset my password',
    ignore: 'nothing has changed.',
  });
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
  const app = displayName(input.appName);
  return accountEmail(input, {
    subject: `Your sign-in code for ${app}`,
    heading: `Your sign-in code: ${input.code}`,
    intro: [
      `Someone, hopefully you, asked to sign in to ${app} as ${input.to}.`,
      `Type this code into the sign-in form: ${input.code}`,
      'Or open this link to sign in at once:',
    ],
    button: 'Sign in',
    ignore: 'nobody can sign in without the code.',
  });
}

interface Wording {
  subject: string;
  heading: string;
  /** Plain-text sentences before the link. */
  intro: string[];
  button: string;
  /** Ends "If you did not ask for this, ignore this mail: …". */
  ignore: string;
}

// An app name comes from configuration; keep it on one line so it cannot reshape the subject or the layout.
function displayName(appName: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we replace
  return appName.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || 'Gatehouse';
}

function accountEmail(input: AccountEmailInput, wording: Wording): MailMessage {
  assertHttpLink(input.link);
  const expires = `The link expires in ${input.expiresIn}.`;
  const ignore = `If you did not ask for this, ignore this mail: ${wording.ignore}`;

  const text = [wording.heading, '', ...wording.intro, '', input.link, '', expires, '', ignore, ''].join('\n');

  const link = escapeHtml(input.link);
  const p = 'margin:0 0 16px;font-size:16px;line-height:24px;';
  const small = 'margin:0 0 16px;font-size:14px;line-height:20px;color:#52525b;';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(wording.subject)}</title>
</head>
<body style="margin:0;padding:24px 12px;background:#f4f4f5;color:#18181b;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<div style="max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px;">
<h1 style="margin:0 0 16px;font-size:22px;line-height:28px;">${escapeHtml(wording.heading)}</h1>
${wording.intro.map((sentence) => `<p style="${p}">${escapeHtml(sentence)}</p>`).join('\n')}
<p style="margin:24px 0;"><a href="${link}" style="display:inline-block;padding:12px 20px;background:#2563eb;color:#ffffff;font-weight:600;text-decoration:none;border-radius:6px;">${escapeHtml(wording.button)}</a></p>
<p style="${small}">If the button does not work, copy this link into your browser:<br><a href="${link}" style="color:#2563eb;word-break:break-all;">${link}</a></p>
<p style="${p}">${escapeHtml(expires)}</p>
<p style="${small}">${escapeHtml(ignore)}</p>
</div>
</body>
</html>
`;

  return { to: input.to, subject: wording.subject, text, html };
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
