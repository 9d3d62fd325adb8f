import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that keeps every mail it receives, one entry per recipient. */
export interface SmtpCapture {
  /** `smtp://127.0.0.1:<port>`, for the config's `email.url`. */
  url: string;
  inbox: { to: string; raw: string }[];
  close(): Promise<void>;
}

/** Starts a capture (no auth, no STARTTLS): what the compat tests point `gatehouse serve` at. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const inbox: SmtpCapture['inbox'] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d) => (raw += d));
      stream.on('end', () => {
        for (const rcpt of session.envelope.rcptTo) inbox.push({ to: rcpt.address, raw });
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const { port } = smtp.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    inbox,
    close: () => new Promise<void>((r) => smtp.close(() => r())),
  };
}
