import type { Io } from './command.js';
import { serveCommand } from './commands/serve.js';
import { runCommands } from './runner.js';

/**
 * `gatehouse serve` alone, for `bin.ts`: loading only this command keeps the primary of `serve --workers` lean
 * (it hashes passwords and relays news, and never loads the routes, the account core or the database drivers,
 * which the other commands import). A single process or a worker loads them when it starts its server.
 */
export function run(argv: readonly string[], partialIo: Partial<Io> = {}): Promise<number> {
  return runCommands([serveCommand], argv, partialIo);
}
