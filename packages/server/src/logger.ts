import { pino } from 'pino';

/** The logging surface features use (pino-compatible). Never pass a token, password or secret. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * A JSON logger (pino) writing to stdout. Authorization headers, passwords and tokens are redacted by path
 * as a second line of defence; features do not log them in the first place.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'gatehouse' },
    redact: {
      paths: ['*.authorization', '*.password', '*.token', '*.refreshToken', '*.accessToken', '*.secret', '*.key'],
      censor: '[redacted]',
    },
  });
}
