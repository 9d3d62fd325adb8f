/** The slice of `process` signal handling needs (an `EventEmitter` in tests). */
export interface SignalSource {
  on(event: string, listener: (signal: string) => void): unknown;
  off(event: string, listener: (signal: string) => void): unknown;
}

/**
 * Wires shutdown signals: the first SIGINT or SIGTERM calls `graceful` (the server drains and closes), any
 * later one calls `immediate` (a person pressing Ctrl+C again does not want to wait). Returns a function that
 * removes the listeners.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * onShutdownSignals(process, { graceful: (s) => controller.abort(s), immediate: () => process.exit(130) });
 * ```
 */
export function onShutdownSignals(
  source: SignalSource,
  handlers: { graceful(signal: string): void; immediate(signal: string): void },
  signals: readonly string[] = ['SIGINT', 'SIGTERM'],
): () => void {
  let received = false;
  const listener = (signal: string) => {
    if (received) return handlers.immediate(signal);
    received = true;
    handlers.graceful(signal);
  };
  for (const signal of signals) source.on(signal, listener);
  return () => {
    for (const signal of signals) source.off(signal, listener);
  };
}

/** The conventional exit code for death by a signal: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: string): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}
