import { GatehouseError } from '@gatehouse-auth/core';
import type { Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';

/**
 * One outgoing mail. Both bodies are complete: `text` for plain-text readers, `html` for everyone else.
 *
 * The bodies of Gatehouse mails carry one-time tokens, so a mailer never logs them.
 *
 * @example
 * ```ts
 * const message: MailMessage = { to: 'ada@example.com', subject: 'Hello', text: 'Hi', html: '<p>Hi</p>' };
 * ```
 */
export interface MailMessage {
  /** One bare address (`local@domain`, no display name), checked with {@link assertMailAddress}. */
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Something that delivers mail: SMTP in production ({@link createSmtpMailer}), an in-memory outbox in
 * development ({@link createOutboxMailer}), or a test double.
 *
 * @example
 * ```ts
 * await mailer.send(confirmationEmail({ appName: 'Notes', to, link, expiresIn: '30 minutes' }));
 * await mailer.close(); // at shutdown
 * ```
 */
export interface Mailer {
  /**
   * Delivers one message, resolving once the SMTP server accepted it (or the outbox kept it). Rejects with
   * `GatehouseError('BadRequest')` for an unusable recipient and `GatehouseError('InternalServerError')`
   * when the mail could not be handed over.
   */
  send(message: MailMessage): Promise<void>;
  /** Waits for sends under way, then releases connections. Later sends reject. */
  close(): Promise<void>;
}

/**
 * The slice of a logger the mailers use; a pino logger fits. Mailers log recipient, subject and message id,
 * never a body (one-time tokens) or SMTP credentials.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const mailer = createOutboxMailer({ from: 'no-reply@localhost', logger: pino() });
 * ```
 */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

// A bare RFC 5321 mailbox: dot-atom local part and a host name, letters of any script allowed (SMTPUTF8).
// Quoted local parts, display names, comments, groups and IP literals are refused on purpose: they are where
// address parsers disagree, and a disagreement is how `a@x.com, evil@y` or `a@x.com\r\nBcc: evil@y` would
// turn one recipient into several.
const ATOM = String.raw`[\p{L}\p{M}\p{N}!#$%&'*+/=?^_\x60{|}~-]+`;
const LABEL = String.raw`[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?`;
const MAILBOX = new RegExp(String.raw`^${ATOM}(?:\.${ATOM})*@${LABEL}(?:\.${LABEL})*$`, 'u');

/**
 * Throws `GatehouseError('BadRequest', 'invalid email address')` unless `address` is one bare mailbox
 * (`local@domain`): no display name, no list, no whitespace or control characters (so no header injection),
 * at most 254 characters with a local part of at most 64 (RFC 5321 §4.5.3.1).
 *
 * Every feature that takes an address from a request checks it with this before storing or mailing it.
 *
 * @example
 * ```ts
 * assertMailAddress('ada@example.com'); // passes
 * assertMailAddress('ada@example.com\r\nBcc: evil@example.net'); // throws BadRequest
 * ```
 */
export function assertMailAddress(address: unknown): asserts address is string {
  if (
    typeof address !== 'string' ||
    address.length > 254 ||
    !MAILBOX.test(address) ||
    address.indexOf('@') > 64 ||
    // Belt and braces: nodemailer must read it as exactly this one address.
    !parsesAsSingleAddress(address, address)
  ) {
    throw new GatehouseError('BadRequest', 'invalid email address');
  }
}

function parsesAsSingleAddress(value: string, expected?: string): boolean {
  const parsed = addressparser(value, { flatten: true });
  const only = parsed.length === 1 ? parsed[0] : undefined;
  if (!only?.address) return false;
  return expected === undefined || only.address === expected;
}

/** Checks the configured sender at start-up; `Notes <no-reply@example.com>` and a bare address both work. */
function assertFromOption(factory: string, from: unknown): asserts from is string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (typeof from !== 'string' || /[\u0000-\u001f\u007f]/.test(from) || !parsesAsSingleAddress(from)) {
    throw new TypeError(`${factory}: \`from\` must be one sender address, e.g. 'Notes <no-reply@example.com>'`);
  }
}

// nodemailer folds and encodes headers, but a subject stays one line whatever a template put into it.
function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we replace
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** Timeouts of an SMTP mailer, in milliseconds. */
export interface SmtpTimeouts {
  /** How long to wait for the TCP (and TLS) connection. Default 10 000. */
  connectionMs?: number;
  /** How long to wait for the server's greeting once connected. Default 10 000. */
  greetingMs?: number;
  /** How long a connection may sit silent during a conversation. Default 20 000. */
  socketMs?: number;
}

/** Options of {@link createSmtpMailer}. */
export interface SmtpMailerOptions {
  /**
   * Where to send: `smtp://user:pass@host:port` (STARTTLS when the server offers it; port 587 by default) or
   * `smtps://user:pass@host:port` (TLS from the first byte; port 465 by default). User and password are
   * percent-decoded.
   *
   * @example 'smtps://gatehouse:s3cret@smtp.example.com:465'
   */
  url: string;
  /**
   * The `From:` of every mail.
   *
   * @example 'Notes <no-reply@notes.example.com>'
   */
  from: string;
  /** Where `mail sent` / `mail could not be sent` lines go. Default: nowhere. */
  logger?: Logger;
  /**
   * Overrides of the default timeouts (connection 10 s, greeting 10 s, socket 20 s); tests shorten them.
   *
   * @example { connectionMs: 500, greetingMs: 500, socketMs: 1000 }
   */
  timeouts?: SmtpTimeouts;
}

/**
 * A {@link Mailer} that hands mail to an SMTP server through a small pool of reused connections.
 *
 * Configuration mistakes (a URL that is not `smtp:`/`smtps:`, a malformed `from`) throw at once, naming the
 * option and never echoing the URL (it holds the password). A failed send rejects with
 * `GatehouseError('InternalServerError', 'mail could not be sent: …')`, the nodemailer error as `cause`;
 * with the default timeouts that happens within about 10 s for an unreachable server and 20 s for one that
 * stops answering. Each mail is logged at info level with recipient, subject and SMTP message id only.
 *
 * @example
 * ```ts
 * const mailer = createSmtpMailer({
 *   url: 'smtps://gatehouse:s3cret@smtp.example.com',
 *   from: 'Notes <no-reply@notes.example.com>',
 *   logger,
 * });
 * await mailer.send(resetPasswordEmail({ appName: 'Notes', to, link, expiresIn: '30 minutes' }));
 * ```
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const { from } = options;
  assertFromOption('createSmtpMailer', from);
  const logger = options.logger ?? silentLogger;
  const server = parseSmtpUrl(options.url);
  const timeouts = options.timeouts ?? {};

  const transportOptions: SMTPPool.Options & { maxRequeues: number } = {
    pool: true,
    host: server.host,
    port: server.port,
    secure: server.secure,
    ...(server.auth ? { auth: server.auth } : {}),
    connectionTimeout: timeouts.connectionMs ?? 10_000,
    greetingTimeout: timeouts.greetingMs ?? 10_000,
    socketTimeout: timeouts.socketMs ?? 20_000,
    dnsTimeout: timeouts.connectionMs ?? 10_000,
    maxConnections: 5,
    // Without a limit the pool re-queues a message forever when a server keeps dropping the connection, and
    // the caller waits forever. One retry covers a pooled connection the server closed while idle; more could
    // deliver the same mail several times.
    maxRequeues: 1,
    // Our bodies are strings; never let message content make nodemailer read files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
    // nodemailer's own logger would print whole messages, tokens included.
    logger: false,
    debug: false,
  };
  // nodemailer is loaded with the first mail, not at startup: a server that sends none (the outbox, or no
  // confirmation mails) does not pay its memory.
  let transport: Transporter | undefined;
  let loading: Promise<Transporter> | undefined;
  const openTransport = () =>
    (loading ??= import('nodemailer').then(({ default: nodemailer }) => {
      const opened = nodemailer.createTransport(transportOptions);
      opened.on('error', (err) => {
        logger.warn({ err: describeSmtpError(err) }, 'SMTP connection pool error');
      });
      transport = opened;
      return opened;
    }));

  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  async function deliver(message: MailMessage): Promise<void> {
    const subject = oneLine(message.subject);
    let messageId: string;
    try {
      const info = await (await openTransport()).sendMail({
        from,
        to: message.to,
        subject,
        text: message.text,
        html: message.html,
      });
      messageId = info.messageId;
    } catch (err) {
      const reason = describeSmtpError(err);
      logger.error({ to: message.to, subject, err: reason }, 'mail could not be sent');
      throw new GatehouseError('InternalServerError', `mail could not be sent: ${reason.summary}`, { cause: err });
    }
    logger.info({ to: message.to, subject, messageId }, 'mail sent');
  }

  return {
    async send(message) {
      if (closed) throw new GatehouseError('InternalServerError', 'mail could not be sent: the mailer is closed');
      assertMailAddress(message.to);
      const sending = deliver(message);
      const tracked = sending.catch(() => {});
      inFlight.add(tracked);
      try {
        await sending;
      } finally {
        inFlight.delete(tracked);
      }
    },
    async close() {
      closed = true;
      await Promise.all(inFlight);
      transport?.close();
    },
  };
}

interface SmtpServer {
  host: string;
  port: number;
  secure: boolean;
  auth: { user: string; pass: string } | undefined;
}

function parseSmtpUrl(url: unknown): SmtpServer {
  const invalid = () =>
    // The URL is not quoted: it usually carries the SMTP password.
    new TypeError('createSmtpMailer: `url` must look like smtp://user:pass@host:port or smtps://user:pass@host:port');
  if (typeof url !== 'string') throw invalid();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid();
  }
  if ((parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') || parsed.hostname === '') throw invalid();
  const secure = parsed.protocol === 'smtps:';
  let auth: SmtpServer['auth'];
  if (parsed.username !== '' || parsed.password !== '') {
    try {
      auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
    } catch {
      throw invalid();
    }
  }
  return {
    // WHATWG URL keeps the brackets of an IPv6 literal; sockets want the bare address.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? (secure ? 465 : 587) : Number(parsed.port),
    secure,
    auth,
  };
}

interface SmtpErrorSummary {
  code: string | undefined;
  responseCode: number | undefined;
  command: string | undefined;
  summary: string;
}

const SMTP_ERROR_TEXT: Record<string, string> = {
  ECONNECTION: 'cannot connect to the SMTP server',
  ETIMEDOUT: 'the SMTP server did not answer in time',
  EDNS: 'cannot resolve the SMTP server host name',
  ESOCKET: 'the connection to the SMTP server failed',
  ETLS: 'TLS with the SMTP server failed',
  EAUTH: 'the SMTP server refused the credentials',
  EENVELOPE: 'the SMTP server refused the sender or recipient',
  EMESSAGE: 'the SMTP server refused the message',
  EPROTOCOL: 'the SMTP server answered unexpectedly',
};

// Picks the fields worth logging out of a nodemailer error. The error's `message` is nodemailer's own text
// plus at most the server's reply; neither contains our message body nor the credentials.
function describeSmtpError(err: unknown): SmtpErrorSummary {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    responseCode?: unknown;
    command?: unknown;
    message?: unknown;
    syscall?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = typeof e.command === 'string' ? e.command : undefined;
  const detail = typeof e.message === 'string' ? oneLine(e.message).slice(0, 300) : String(err);
  // nodemailer reports a refused or unresolvable connection as ESOCKET; the socket's syscall tells them apart.
  const connecting = code === 'ESOCKET' && (e.syscall === 'connect' || e.syscall === 'getaddrinfo');
  const what = (connecting ? SMTP_ERROR_TEXT.ECONNECTION : code && SMTP_ERROR_TEXT[code]) ?? 'SMTP error';
  return {
    code,
    responseCode,
    command,
    summary: `${what} (${[code, responseCode].filter(Boolean).join(' ') || 'no code'}: ${detail})`,
  };
}

/** One mail kept by {@link createOutboxMailer}. */
export interface OutboxMessage {
  /** Random id, unique within the process. */
  readonly id: string;
  /** When it was "sent". */
  readonly at: Date;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** A {@link Mailer} that keeps mail in memory instead of sending it. */
export interface OutboxMailer extends Mailer {
  /** The kept mails, newest first. */
  list(): OutboxMessage[];
  /** One kept mail, or `null` when there is none with this id (any more). */
  get(id: string): OutboxMessage | null;
  /** Forgets every kept mail. */
  clear(): void;
}

/** Options of {@link createOutboxMailer}. */
export interface OutboxMailerOptions {
  /** The `from` recorded on each mail. @example 'Notes <no-reply@localhost>' */
  from: string;
  /** How many mails to keep; the oldest go first. Default 200. */
  max?: number;
  /** Gets one line per mail (recipient and subject, never the body). Default: nowhere. */
  logger?: Logger;
  /** The clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * A development {@link Mailer}: nothing leaves the process. Mails are kept in a ring buffer (newest first) for
 * the outbox page ({@link renderOutboxPage}) and for tests that need to read a confirmation link; each one is
 * logged as a single line with recipient and subject, never the body or its links.
 *
 * @example
 * ```ts
 * const outbox = createOutboxMailer({ from: 'Notes <no-reply@localhost>' });
 * await outbox.send(confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link, expiresIn: '30 minutes' }));
 * outbox.list()[0]?.subject; // 'Confirm your email address for Notes'
 * ```
 */
export function createOutboxMailer(options: OutboxMailerOptions): OutboxMailer {
  const { from } = options;
  assertFromOption('createOutboxMailer', from);
  const max = options.max ?? 200;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('createOutboxMailer: `max` must be a positive integer');
  }
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  let kept: OutboxMessage[] = []; // oldest first
  let closed = false;

  return {
    async send(message) {
      if (closed) throw new GatehouseError('InternalServerError', 'mail could not be sent: the mailer is closed');
      assertMailAddress(message.to);
      const entry: OutboxMessage = Object.freeze({
        id: crypto.randomUUID(),
        at: now(),
        from,
        to: message.to,
        subject: oneLine(message.subject),
        text: message.text,
        html: message.html,
      });
      kept.push(entry);
      if (kept.length > max) kept.splice(0, kept.length - max);
      logger.info(
        { to: entry.to, subject: entry.subject, outboxId: entry.id },
        'mail kept in the development outbox, not sent: see the outbox page',
      );
    },
    async close() {
      closed = true;
    },
    list() {
      return kept.slice().reverse();
    },
    get(id) {
      return kept.find((message) => message.id === id) ?? null;
    },
    clear() {
      kept = [];
    },
  };
}
