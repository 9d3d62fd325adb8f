/**
 * `@gatehouse-auth/cli`: the `gatehouse` command (`init`, `dev`, `serve`, `migrate`), runnable in-process.
 *
 * @example
 * ```ts
 * import { run } from '@gatehouse-auth/cli';
 * process.exitCode = await run(['init', '--dir', './auth']);
 * ```
 */

export type { Command, Io, Output } from './command.js';
export { type DevOverrides, devConfig } from './commands/dev.js';
export { type InitOptions, type InitResult, initConfig, newAppId } from './commands/init.js';
export { COMMANDS, run, version } from './main.js';
export { onShutdownSignals } from './signals.js';
