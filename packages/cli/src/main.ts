import type { Command, Io } from './command.js';
import { adminKeysCommand } from './commands/admin-keys.js';
import { devCommand } from './commands/dev.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';
import { servicesCommand } from './commands/services.js';
import { usersCommand } from './commands/users.js';
import { runCommands } from './runner.js';

/** Every `gatehouse <verb>`, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  devCommand,
  serveCommand,
  migrateCommand,
  importCommand,
  usersCommand,
  keysCommand,
  adminKeysCommand,
  servicesCommand,
];

export { version } from './version.js';

/**
 * Runs the `gatehouse` command line in-process and resolves to its exit code: 0 done, 1 failed (the message
 * is on stderr, without a stack trace), 2 the command line was wrong. `dev` and `serve` resolve once
 * `io.signal` aborts and the server has shut down.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * const code = await run(['init', '--dir', dir], { stdout: { write: (s) => out.push(s) } });
 * ```
 */
export function run(argv: readonly string[], partialIo: Partial<Io> = {}): Promise<number> {
  return runCommands(COMMANDS, argv, partialIo);
}
