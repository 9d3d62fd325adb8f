import { describe, expect, it } from 'vitest';
import { WORKER_SEMI_SPACE_MB, workerExecArgv } from './cluster.js';

describe('workerExecArgv', () => {
  it("adds the worker's young-generation size to the primary's node flags", () => {
    expect(workerExecArgv({}, ['--enable-source-maps'])).toEqual([
      '--enable-source-maps',
      `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`,
    ]);
  });

  it('keeps a size given on the command line or in NODE_OPTIONS', () => {
    expect(workerExecArgv({}, ['--max-semi-space-size=16'])).toEqual(['--max-semi-space-size=16']);
    expect(workerExecArgv({ NODE_OPTIONS: '--trace-gc --max_semi_space_size=8' }, [])).toEqual([]);
  });
});
