import { describe, expect, it } from 'vitest';
import { WORKER_V8_FLAGS, workerExecArgv } from './cluster.js';

describe('workerExecArgv', () => {
  it("adds the workers' V8 heap settings to the primary's node flags", () => {
    expect(workerExecArgv({}, ['--enable-source-maps'])).toEqual(['--enable-source-maps', ...WORKER_V8_FLAGS]);
    expect(WORKER_V8_FLAGS).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=50']);
  });

  it('keeps a setting given on the command line or in NODE_OPTIONS, and adds the others', () => {
    expect(workerExecArgv({}, ['--max-semi-space-size=16'])).toEqual([
      '--max-semi-space-size=16',
      '--heap-growing-percent=50',
    ]);
    expect(
      workerExecArgv({ NODE_OPTIONS: '--trace-gc --max_semi_space_size=8 --heap-growing-percent=20' }, []),
    ).toEqual([]);
  });
});
