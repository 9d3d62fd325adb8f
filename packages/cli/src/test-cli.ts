import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from './command.js';
import { run } from './main.js';

/** Test-speed Argon2id, for configs of tests that register users (never a default). */
export const TEST_PASSWORD_HASHING = { memoryCost: 1024, timeCost: 1 };

/** An Io that records what a command prints. Logs are silenced through the environment, as a user would. */
export function captureIo(overrides: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    // One process unless a test asks for workers: `serve`'s default (`auto`) would fork one per core.
    env: { GATEHOUSE_LOG_LEVEL: 'silent', GATEHOUSE_WORKERS: '1', ...overrides.env },
    cwd: overrides.cwd ?? process.cwd(),
    ...(overrides.signal ? { signal: overrides.signal } : {}),
    ...(overrides.readStdin ? { readStdin: overrides.readStdin } : {}),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** Runs a command to completion. */
export async function runCli(argv: string[], overrides: Partial<Io> = {}) {
  const capture = captureIo(overrides);
  const code = await run(argv, capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

/** A long-running command (`dev`, `serve`) started in-process; `stop()` aborts it as SIGTERM would. */
export interface RunningCli {
  /** The first match of `ready` in stdout (its first group). */
  url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number>;
}

/**
 * Starts `argv` and waits until stdout matches `ready` (the URL line). Fails with the command's output if it
 * exits first or takes longer than `timeoutMs`.
 */
export async function startCli(
  argv: string[],
  ready: RegExp,
  overrides: Partial<Io> = {},
  timeoutMs = 20_000,
): Promise<RunningCli> {
  const controller = new AbortController();
  const capture = captureIo({ ...overrides, signal: controller.signal });
  let exited: number | undefined;
  const exit = run(argv, capture.io).then((code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = ready.exec(capture.stdout());
    if (match) {
      return {
        url: match[1] ?? match[0],
        stdout: capture.stdout,
        stderr: capture.stderr,
        stop: async () => {
          controller.abort('SIGTERM');
          return exit;
        },
      };
    }
    if (exited !== undefined || Date.now() > deadline) {
      controller.abort('SIGTERM');
      await exit;
      throw new Error(
        `gatehouse ${argv.join(' ')} ${exited !== undefined ? `exited with ${exited}` : 'did not start in time'}\n` +
          `stdout:\n${capture.stdout()}\nstderr:\n${capture.stderr()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A fresh temporary directory, and a function removing every one made so far. */
export function tempDirs() {
  const made: string[] = [];
  return {
    make(): string {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
      made.push(dir);
      return dir;
    },
    cleanup(): void {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
