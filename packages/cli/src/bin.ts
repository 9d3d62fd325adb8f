#!/usr/bin/env node
import { onShutdownSignals, signalExitCode } from './signals.js';

const controller = new AbortController();
onShutdownSignals(process, {
  graceful: (signal) => controller.abort(signal),
  immediate: (signal) => {
    process.stderr.write(`gatehouse: ${signal} again: exiting without waiting.\n`);
    process.exit(signalExitCode(signal));
  },
});
// `serve` loads only its own command (see serve-main.ts); every other command line the whole CLI.
const { run } = process.argv[2] === 'serve' ? await import('./serve-main.js') : await import('./main.js');
const code = await run(process.argv.slice(2), { signal: controller.signal });
// Exit explicitly: a library may keep a handle open after close (a pool timer), and the work is done.
process.exit(code);
