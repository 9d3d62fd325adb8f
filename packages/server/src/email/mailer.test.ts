import { once } from 'node:events';
import net from 'node:net';
import { GatehouseError } from '@gatehouse-auth/core';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { assertMailAddress, createOutboxMailer, createSmtpMailer, type Logger, type Mailer } from './mailer.js';
import { confirmationEmail, resetPasswordEmail } from './templates.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers: a real SMTP capture server, a spy logger, and just enough MIME parsing to read what arrived.

interface Received {
  raw: string;
  mailFrom: string | undefined;
  rcptTo: string[];
  user: string | undefined;
}

interface CaptureServer {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

async function startCaptureServer(overrides: Partial<SMTPServerOptions> = {}): Promise<CaptureServer> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
    ...overrides,
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const address = server.server.address() as net.AddressInfo;
  return {
    port: address.port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function spyLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (obj: object, msg?: string): void => {
      // Serialise everything the logger was handed, error objects included, as a log transport would.
      lines.push(
        `${level} ${JSON.stringify(obj, (_key, value: unknown) =>
          value instanceof Error ? { ...value, message: value.message, stack: value.stack } : value,
        )} ${msg ?? ''}`,
      );
    };
  return { lines, info: record('info'), warn: record('warn'), error: record('error') };
}

interface MimePart {
  headers: Map<string, string>;
  body: string;
  parts: MimePart[];
}

/** Parses an RFC 5322 message: unfolds headers, splits multiparts, decodes quoted-printable and base64. */
function parseMime(raw: string): MimePart {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const rest = split === -1 ? '' : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    const sections = rest.split(`--${boundary}`).slice(1);
    const parts = sections
      .filter((section) => !section.startsWith('--'))
      .map((section) => parseMime(section.replace(/^\r\n/, '').replace(/\r\n$/, '')));
    return { headers, body: '', parts };
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let body: string;
  if (encoding === 'quoted-printable') {
    const bytes = rest
      .replace(/=\r\n/g, '') // soft line breaks
      .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(rest.replace(/\s+/g, ''), 'base64').toString('utf8');
  } else {
    body = rest;
  }
  return { headers, body: body.replace(/\r\n/g, '\n'), parts: [] };
}

function findPart(message: MimePart, contentType: string): MimePart | undefined {
  if ((message.headers.get('content-type') ?? '').toLowerCase().startsWith(contentType)) return message;
  for (const part of message.parts) {
    const found = findPart(part, contentType);
    if (found) return found;
  }
  return undefined;
}

/** A port nothing listens on: bind an ephemeral port, then let it go. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// A realistic one-time token and link: long enough that quoted-printable must wrap the line.
const TOKEN = 'Zk3pQ9vX2mL7rT4wB8nY1cH6jD5sA0eF-_gKuMoPqRiStUvWxYz';
const TOKEN_ID = '66f1c2a4e3b0c9d1a2b3c4d5';
const LINK = `https://auth.example.com/app/notes-abcde/confirm?token=${TOKEN}&tokenId=${TOKEN_ID}`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track<T extends Mailer | CaptureServer>(thing: T): T {
  cleanups.push(() => thing.close());
  return thing;
}

// ---------------------------------------------------------------------------------------------------------

describe('createSmtpMailer against a real SMTP server', () => {
  it('delivers To, From, Subject and an intact link in both bodies, and logs only recipient, subject and id', async () => {
    const smtp = track(await startCaptureServer());
    const logger = spyLogger();
    const mailer = track(
      createSmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'Notes <no-reply@notes.example>', logger }),
    );

    await mailer.send(
      confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' }),
    );

    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail?.mailFrom).toBe('no-reply@notes.example');
    expect(mail?.rcptTo).toEqual(['ada@example.com']);

    const parsed = parseMime(mail?.raw ?? '');
    expect(parsed.headers.get('to')).toBe('ada@example.com');
    expect(parsed.headers.get('from')).toMatch(/^"?Notes"? <no-reply@notes\.example>$/);
    expect(parsed.headers.get('subject')).toBe('Confirm your email address for Notes');
    const text = findPart(parsed, 'text/plain')?.body ?? '';
    const html = findPart(parsed, 'text/html')?.body ?? '';
    expect(text.split('\n')).toContain(LINK);
    expect(text).toContain('48 hours');
    expect(html).toContain(`href="${LINK.replace('&', '&amp;')}"`);

    const messageId = parsed.headers.get('message-id');
    expect(messageId).toBeTruthy();
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/^info /);
    expect(logger.lines[0]).toContain('ada@example.com');
    expect(logger.lines[0]).toContain('Confirm your email address for Notes');
    expect(logger.lines[0]).toContain(JSON.stringify(messageId).slice(1, -1));
    for (const line of logger.lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(TOKEN.slice(0, 16));
    }
  });

  it('authenticates with percent-decoded credentials from the URL and never logs them', async () => {
    let seen: { username: string | null | undefined; password: string | null | undefined } | undefined;
    const smtp = track(
      await startCaptureServer({
        authOptional: false,
        allowInsecureAuth: true,
        onAuth(auth, _session, callback) {
          seen = { username: auth.username, password: auth.password };
          if (auth.username === 'gate@house' && auth.password === 'p@ss:w0rd/%')
            return callback(null, { user: 'gate@house' });
          return callback(new Error('Invalid username or password'));
        },
      }),
    );
    const logger = spyLogger();
    const mailer = track(
      createSmtpMailer({
        url: `smtp://gate%40house:p%40ss%3Aw0rd%2F%25@127.0.0.1:${smtp.port}`,
        from: 'no-reply@notes.example',
        logger,
      }),
    );

    await mailer.send(
      resetPasswordEmail({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '30 minutes' }),
    );

    expect(seen).toEqual({ username: 'gate@house', password: 'p@ss:w0rd/%' });
    expect(smtp.received[0]?.user).toBe('gate@house');
    for (const line of logger.lines) {
      expect(line).not.toContain('p@ss');
      expect(line).not.toContain('p%40ss');
      expect(line).not.toContain(TOKEN);
    }
  });

  it('rejects with a clear error, without the password or token in it or in the logs, when credentials are refused', async () => {
    const smtp = track(
      await startCaptureServer({
        authOptional: false,
        allowInsecureAuth: true,
        onAuth: (_auth, _session, callback) => callback(new Error('Invalid username or password')),
      }),
    );
    const logger = spyLogger();
    const mailer = track(
      createSmtpMailer({
        url: `smtp://gate:hunter2-secret@127.0.0.1:${smtp.port}`,
        from: 'no-reply@notes.example',
        logger,
      }),
    );

    const error = await mailer
      .send(confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({ code: 'InternalServerError' });
    expect((error as Error).message).toMatch(
      /^mail could not be sent: the SMTP server refused the credentials \(EAUTH/,
    );
    expect((error as Error).message).not.toContain('hunter2');
    expect(smtp.received).toHaveLength(0);
    expect(logger.lines.some((line) => line.startsWith('error '))).toBe(true);
    for (const line of logger.lines) {
      expect(line).not.toContain('hunter2');
      expect(line).not.toContain(TOKEN);
    }
  });

  it('rejects quickly with "cannot connect" when nothing listens', async () => {
    const port = await closedPort();
    const logger = spyLogger();
    const mailer = track(
      createSmtpMailer({
        url: `smtp://127.0.0.1:${port}`,
        from: 'no-reply@notes.example',
        logger,
        timeouts: { connectionMs: 500, greetingMs: 500, socketMs: 1000 },
      }),
    );

    const started = Date.now();
    await expect(
      mailer.send(confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' })),
    ).rejects.toMatchObject({
      name: 'GatehouseError',
      code: 'InternalServerError',
      message: expect.stringMatching(
        /^mail could not be sent: cannot connect to the SMTP server \(ESOCKET: connect ECONNREFUSED/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    for (const line of logger.lines) expect(line).not.toContain(TOKEN);
  });

  it('rejects within the greeting timeout when the server accepts the connection but never speaks', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const { port } = silent.address() as net.AddressInfo;
    const mailer = track(
      createSmtpMailer({
        url: `smtp://127.0.0.1:${port}`,
        from: 'no-reply@notes.example',
        timeouts: { connectionMs: 300, greetingMs: 300, socketMs: 600 },
      }),
    );

    const started = Date.now();
    await expect(
      mailer.send(confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' })),
    ).rejects.toMatchObject({
      code: 'InternalServerError',
      message: expect.stringMatching(/^mail could not be sent: the SMTP server did not answer in time \(ETIMEDOUT/),
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('rejects within the socket timeout when the server stalls after the message data', async () => {
    const smtp = track(
      await startCaptureServer({
        onData(stream) {
          stream.resume(); // read the message, never answer
        },
      }),
    );
    const mailer = track(
      createSmtpMailer({
        url: `smtp://127.0.0.1:${smtp.port}`,
        from: 'no-reply@notes.example',
        timeouts: { connectionMs: 300, greetingMs: 300, socketMs: 500 },
      }),
    );

    const started = Date.now();
    await expect(
      mailer.send(confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' })),
    ).rejects.toMatchObject({ code: 'InternalServerError', message: expect.stringContaining('ETIMEDOUT') });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('delivers concurrent sends over the pool, then close() waits for sends under way and refuses new ones', async () => {
    const smtp = track(await startCaptureServer());
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'no-reply@notes.example' });

    const recipients = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'];
    const sends = recipients.map((to) =>
      mailer.send(confirmationEmail({ appName: 'Notes', to, link: LINK, expiresIn: '48 hours' })),
    );
    const closing = mailer.close();
    await Promise.all([...sends, closing]);

    expect(smtp.received.flatMap((mail) => mail.rcptTo).sort()).toEqual(recipients);
    await expect(
      mailer.send(confirmationEmail({ appName: 'Notes', to: 'e@example.com', link: LINK, expiresIn: '48 hours' })),
    ).rejects.toMatchObject({ code: 'InternalServerError', message: expect.stringContaining('closed') });
  });

  it('refuses header-injection and multi-recipient addresses before talking to the server', async () => {
    const smtp = track(await startCaptureServer());
    const mailer = track(createSmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'no-reply@notes.example' }));

    for (const to of [
      'a@x.com\r\nBcc: evil@x.com',
      'a@x.com, evil@x.com',
      'Evil <evil@x.com>',
      'a@x.com\nevil@x.com',
    ]) {
      await expect(
        mailer.send(confirmationEmail({ appName: 'Notes', to, link: LINK, expiresIn: '48 hours' })),
      ).rejects.toMatchObject({ name: 'GatehouseError', code: 'BadRequest', message: 'invalid email address' });
    }
    expect(smtp.received).toHaveLength(0);
  });

  it('keeps a hostile subject on one line', async () => {
    const smtp = track(await startCaptureServer());
    const mailer = track(createSmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'no-reply@notes.example' }));

    await mailer.send({ to: 'ada@example.com', subject: 'Hi\r\nBcc: evil@x.com', text: 'x', html: '<p>x</p>' });

    expect(smtp.received[0]?.rcptTo).toEqual(['ada@example.com']);
    const parsed = parseMime(smtp.received[0]?.raw ?? '');
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.headers.get('subject')).toBe('Hi Bcc: evil@x.com');
  });

  it('fails at creation on a bad url or from, naming the option and never echoing the url', () => {
    for (const url of [
      'http://user:hunter2@mail.example.com',
      'smtp://user:hunter2@',
      'not a url hunter2',
      'smtp://u:%E0%A4%A@host',
    ]) {
      let error: unknown;
      try {
        createSmtpMailer({ url, from: 'no-reply@notes.example' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('`url`');
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).cause).toBeUndefined();
    }
    for (const from of ['', 'a@x.com\r\nBcc: evil@x.com', 'a@x.com, b@x.com', 'nobody']) {
      expect(() => createSmtpMailer({ url: 'smtp://127.0.0.1:25', from })).toThrow(/`from`/);
    }
  });
});

describe('assertMailAddress', () => {
  it.each([
    'ada@example.com',
    'ada.lovelace+tag@example.co.uk',
    "o'brien@x.io",
    'UPPER_case-1@sub-domain.example',
    'a@localhost',
    'jösé@bücher.de',
    '用户@例子.广告',
  ])('accepts %j', (address) => {
    expect(() => assertMailAddress(address)).not.toThrow();
  });

  it.each([
    'a@x.com\r\nBcc: evil@x.com',
    'a@x.com\nBcc: evil@x.com',
    'a@x.com\rBcc: evil@x.com',
    'a@x.com, evil@x.com',
    'a@x.com,evil@x.com',
    'a@x.com; evil@x.com',
    'a@x.com evil@x.com',
    'Evil <evil@x.com>',
    '<evil@x.com>',
    'undisclosed: a@x.com, b@x.com;',
    '"a b"@x.com',
    'a@x.com (comment)',
    ' a@x.com',
    'a@x.com ',
    'a@x.com\u0000',
    'a@x.com\u2028b@x.com',
    'a@@x.com',
    'a@',
    '@x.com',
    'a.@x.com',
    '.a@x.com',
    'a..b@x.com',
    'a@-x.com',
    'a@x..com',
    'a@[127.0.0.1]',
    'plainaddress',
    '',
    `${'a'.repeat(65)}@x.com`,
    `a@${'b'.repeat(250)}.com`,
  ])('refuses %j', (address) => {
    let error: unknown;
    try {
      assertMailAddress(address);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({ code: 'BadRequest', message: 'invalid email address' });
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 42, ['a@x.com'], { address: 'a@x.com' }]) {
      expect(() => assertMailAddress(value)).toThrow(GatehouseError);
    }
  });
});

describe('createOutboxMailer', () => {
  it('keeps mails newest first with from and time, and logs one line without body or token', async () => {
    const logger = spyLogger();
    let clock = Date.parse('2025-01-02T03:04:05.000Z');
    const outbox = track(
      createOutboxMailer({ from: 'Notes <no-reply@localhost>', logger, now: () => new Date((clock += 1000)) }),
    );

    await outbox.send(
      confirmationEmail({ appName: 'Notes', to: 'ada@example.com', link: LINK, expiresIn: '48 hours' }),
    );
    await outbox.send(
      resetPasswordEmail({ appName: 'Notes', to: 'bob@example.com', link: LINK, expiresIn: '30 minutes' }),
    );

    const [newest, oldest] = outbox.list();
    expect(outbox.list()).toHaveLength(2);
    expect(newest).toMatchObject({
      to: 'bob@example.com',
      from: 'Notes <no-reply@localhost>',
      subject: 'Reset your password for Notes',
    });
    expect(oldest).toMatchObject({ to: 'ada@example.com', subject: 'Confirm your email address for Notes' });
    expect(oldest?.at.toISOString()).toBe('2025-01-02T03:04:06.000Z');
    expect(newest?.at.toISOString()).toBe('2025-01-02T03:04:07.000Z');
    expect(oldest?.text).toContain(LINK);
    expect(oldest?.html).toContain(LINK.replace('&', '&amp;'));
    expect(newest?.id).not.toBe(oldest?.id);
    expect(outbox.get(oldest?.id ?? '')).toBe(oldest);
    expect(outbox.get('no-such-id')).toBeNull();

    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[0]).toMatch(
      /^info .*ada@example\.com.*Confirm your email address for Notes.*see the outbox page/,
    );
    for (const line of logger.lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain('https://');
    }
  });

  it('is a ring buffer: keeps the newest `max` mails and forgets evicted ones', async () => {
    const outbox = track(createOutboxMailer({ from: 'no-reply@localhost', max: 3 }));
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await outbox.send({ to: `u${i}@example.com`, subject: `mail ${i}`, text: '', html: '' });
      ids.push(outbox.list()[0]?.id ?? '');
    }
    expect(outbox.list().map((m) => m.subject)).toEqual(['mail 5', 'mail 4', 'mail 3']);
    expect(outbox.get(ids[0] ?? '')).toBeNull();
    expect(outbox.get(ids[4] ?? '')?.subject).toBe('mail 5');
  });

  it('defaults to keeping 200 mails', async () => {
    const outbox = track(createOutboxMailer({ from: 'no-reply@localhost' }));
    for (let i = 1; i <= 205; i++) await outbox.send({ to: 'a@example.com', subject: `mail ${i}`, text: '', html: '' });
    expect(outbox.list()).toHaveLength(200);
    expect(outbox.list().at(-1)?.subject).toBe('mail 6');
  });

  it('clear() empties it; list() hands out a copy', async () => {
    const outbox = track(createOutboxMailer({ from: 'no-reply@localhost' }));
    await outbox.send({ to: 'a@example.com', subject: 's', text: 't', html: 'h' });
    const list = outbox.list();
    list.pop();
    expect(outbox.list()).toHaveLength(1);
    expect(Object.isFrozen(outbox.list()[0])).toBe(true);
    outbox.clear();
    expect(outbox.list()).toEqual([]);
  });

  it('refuses bad recipients like the SMTP mailer, and sends after close()', async () => {
    const outbox = createOutboxMailer({ from: 'no-reply@localhost' });
    await expect(
      outbox.send({ to: 'a@x.com\r\nBcc: evil@x.com', subject: 's', text: 't', html: 'h' }),
    ).rejects.toMatchObject({ code: 'BadRequest' });
    expect(outbox.list()).toEqual([]);
    await outbox.close();
    await expect(outbox.send({ to: 'a@x.com', subject: 's', text: 't', html: 'h' })).rejects.toMatchObject({
      code: 'InternalServerError',
    });
  });

  it('fails at creation on a bad from or max', () => {
    expect(() => createOutboxMailer({ from: 'a@x.com\nBcc: b@x.com' })).toThrow(/`from`/);
    expect(() => createOutboxMailer({ from: 'a@x.com', max: 0 })).toThrow(/`max`/);
    expect(() => createOutboxMailer({ from: 'a@x.com', max: 1.5 })).toThrow(/`max`/);
  });
});
