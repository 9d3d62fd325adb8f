/** Where a command writes: anything with `write(text)` (a stream, or a test's capture). */
export interface Output {
  write(text: string): unknown;
}

/**
 * What a command may touch of the outside world. `run` fills what is missing from `process`, so tests pass
 * their own captures, environment and working directory and run commands in-process.
 */
export interface Io {
  stdout: Output;
  stderr: Output;
  /** Environment variables (config overrides such as `DATABASE_URL` are read from here, never from `process.env`). */
  env: Record<string, string | undefined>;
  /** The directory relative paths are resolved against. */
  cwd: string;
  /**
   * Aborting it stops a running server gracefully (`bin.ts` wires SIGINT and SIGTERM to it). Its `reason`,
   * when a string, names what stopped it (`'SIGINT'`). Without it, `dev` and `serve` run until the process ends.
   */
  signal?: AbortSignal;
  /**
   * Reads all of standard input (for secrets, which must never be command-line arguments: they would land in
   * the shell history and the process list). `run` fills it from `process.stdin`.
   */
  readStdin?: () => Promise<string>;
}

/** One option of a command, as `node:util` `parseArgs` takes it plus what `--help` shows. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help for a string option (`<dir>`). */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Parsed option values: strings for string options, booleans for flags, `undefined` when not given. */
export type OptionValues<T extends OptionSpecs> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
};

/** A `gatehouse <verb>`: its help and its action. Returns the process exit code. */
export interface Command<T extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line for `gatehouse --help`. */
  summary: string;
  /** Paragraphs for `gatehouse <verb> --help`. */
  description: string;
  options: T;
  /** Positional arguments, in order, for help; a command without them refuses any. */
  arguments?: { name: string; description: string }[];
  examples: string[];
  run(values: OptionValues<T>, io: Io, args: string[]): Promise<number>;
}

/** Exit codes: 0 done, 1 failed (bad config, port taken, database down), 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A wrong command line (unknown flag, bad value): printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help to point at, if any. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** An expected failure with a message written for the user (printed without a stack trace), exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Defines a command, keeping its option types for `run`. */
export function defineCommand<T extends OptionSpecs>(command: Command<T>): Command<T> {
  return command;
}
