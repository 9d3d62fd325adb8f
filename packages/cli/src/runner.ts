import { ConfigError } from '@gatehouse-auth/server/primary';
import { closest, parseOptions } from './args.js';
import { CliError, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io, UsageError } from './command.js';
import { commandHelp, mainHelp } from './help.js';
import { version } from './version.js';

/**
 * Runs a `gatehouse` command line in-process with these `COMMANDS` (`main.ts` has them all) and resolves to its exit code: 0 done, 1 failed (the message
 * is on stderr, without a stack trace), 2 the command line was wrong. `dev` and `serve` resolve once
 * `io.signal` aborts and the server has shut down.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * const code = await runCommands(COMMANDS, ['init', '--dir', dir], { stdout: { write: (s) => out.push(s) } });
 * ```
 */
export async function runCommands(
  COMMANDS: readonly Command[],
  argv: readonly string[],
  partialIo: Partial<Io> = {},
): Promise<number> {
  const io: Io = {
    stdout: partialIo.stdout ?? process.stdout,
    stderr: partialIo.stderr ?? process.stderr,
    env: partialIo.env ?? process.env,
    cwd: partialIo.cwd ?? process.cwd(),
    ...(partialIo.signal ? { signal: partialIo.signal } : {}),
    readStdin: partialIo.readStdin ?? readProcessStdin,
  };
  const [first, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout.write(mainHelp(COMMANDS));
      return EXIT_OK;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    if (first === 'help') {
      const topic = rest[0] === undefined ? undefined : find(COMMANDS, rest[0]);
      io.stdout.write(topic ? commandHelp(topic) : mainHelp(COMMANDS));
      return EXIT_OK;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (options go after the command)`);
    command = find(COMMANDS, first);
    const helpIndex = rest.findIndex((a) => a === '--help' || a === '-h');
    const terminator = rest.indexOf('--');
    if (helpIndex !== -1 && (terminator === -1 || helpIndex < terminator)) {
      io.stdout.write(commandHelp(command));
      return EXIT_OK;
    }
    const args: string[] = [];
    const values = parseOptions(command.name, command.options, [...rest], command.arguments ? args : undefined);
    const expected = command.arguments ?? [];
    // `[name]` arguments are optional; the others are required.
    const required = expected.filter((a) => !a.name.startsWith('[')).length;
    if (args.length < required || args.length > expected.length) {
      const usage = expected.map((a) => a.name).join(' ');
      const count = required === expected.length ? String(required) : `${required} to ${expected.length}`;
      throw new UsageError(`expected ${count} argument${expected.length === 1 ? '' : 's'}: ${usage}`, command.name);
    }
    return await command.run(values, io, args);
  } catch (error) {
    return report(error, io, command);
  }
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function find(COMMANDS: readonly Command[], name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const hint = closest(
    name,
    COMMANDS.map((c) => c.name),
  );
  throw new UsageError(
    `unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}. Commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
  );
}

/** Prints an error the way its kind deserves and chooses the exit code. */
function report(error: unknown, io: Io, command: Command | undefined): number {
  if (error instanceof UsageError) {
    const where = error.command ?? command?.name;
    io.stderr.write(`gatehouse${where ? ` ${where}` : ''}: ${error.message}\n`);
    io.stderr.write(`Run 'gatehouse ${where ? `${where} ` : ''}--help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (error instanceof ConfigError || error instanceof CliError) {
    io.stderr.write(`gatehouse: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  // Start-up failures (a key that does not import, an unreachable database): the message says what; the
  // stack is for us, on request.
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`gatehouse${command ? ` ${command.name}` : ''}: ${message}\n`);
  if (io.env.GATEHOUSE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('(set GATEHOUSE_DEBUG=1 to see the stack trace)\n');
  return EXIT_FAILURE;
}
