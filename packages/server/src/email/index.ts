/**
 * Outgoing mail: the {@link Mailer} contract with an SMTP and a development-outbox implementation, the account
 * mails (confirmation, password reset) and the development outbox page.
 *
 * Mail bodies carry one-time tokens: nothing here logs a body or a link, and features must not either.
 *
 * @example
 * ```ts
 * import { confirmationEmail, createOutboxMailer, createSmtpMailer } from './email/index.js';
 *
 * const mailer = config.smtpUrl
 *   ? createSmtpMailer({ url: config.smtpUrl, from: config.mailFrom, logger })
 *   : createOutboxMailer({ from: config.mailFrom, logger });
 * await mailer.send(confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link, expiresIn: '30 minutes' }));
 * ```
 *
 * @module
 */
export {
  assertMailAddress,
  createOutboxMailer,
  createSmtpMailer,
  type Logger,
  type Mailer,
  type MailMessage,
  type OutboxMailer,
  type OutboxMailerOptions,
  type OutboxMessage,
  type SmtpMailerOptions,
  type SmtpTimeouts,
} from './mailer.js';
export { type OutboxPageOptions, renderOutboxPage } from './outbox-page.js';
export { createMailQueue, MAILS_PER_ADDRESS_PER_HOUR, type MailQueue, type MailQueueOptions } from './queue.js';
export { createSealer, type Sealer } from './seal.js';
export {
  type AccountEmailInput,
  accountEmail,
  confirmationEmail,
  type EmailTemplate,
  enrollmentEmail,
  escapeHtml,
  loginCodeEmail,
  resetPasswordEmail,
  signUpAttemptEmail,
  TEMPLATE_VARIABLES,
  unknownTemplateVariables,
} from './templates.js';
export {
  ACCOUNT_EMAIL_KINDS,
  type AccountEmailKind,
  BUILT_IN_LANGUAGES,
  formatDuration,
  pickLanguage,
  RTL_LANGUAGES,
  requestedLanguages,
} from './wordings.js';
