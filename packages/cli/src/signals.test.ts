import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { onShutdownSignals, signalExitCode } from './signals.js';

describe('onShutdownSignals', () => {
  it('shuts down gracefully on the first SIGINT or SIGTERM and at once on the next', () => {
    const source = new EventEmitter();
    const graceful = vi.fn();
    const immediate = vi.fn();
    onShutdownSignals(source, { graceful, immediate });

    source.emit('SIGTERM', 'SIGTERM');
    expect(graceful).toHaveBeenCalledExactlyOnceWith('SIGTERM');
    expect(immediate).not.toHaveBeenCalled();

    source.emit('SIGINT', 'SIGINT');
    expect(graceful).toHaveBeenCalledOnce();
    expect(immediate).toHaveBeenCalledExactlyOnceWith('SIGINT');
  });

  it('removes its listeners when disposed', () => {
    const source = new EventEmitter();
    const dispose = onShutdownSignals(source, { graceful: () => {}, immediate: () => {} });
    expect(source.listenerCount('SIGINT')).toBe(1);
    expect(source.listenerCount('SIGTERM')).toBe(1);
    dispose();
    expect(source.listenerCount('SIGINT')).toBe(0);
    expect(source.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits with 128 + the signal number when forced', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
