import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The size budget of issue 4, enforced: scripts/bundle-size.mjs on the browser build of @gatehouse-auth/client. */

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/bundle-size.mjs');

function measure(...args: string[]): { status: number; report: Record<string, any> } {
  try {
    return {
      status: 0,
      report: JSON.parse(execFileSync(process.execPath, [SCRIPT, '--json', ...args], { cwd: ROOT, encoding: 'utf8' })),
    };
  } catch (error) {
    const e = error as { status: number; stdout: string };
    return { status: e.status, report: JSON.parse(e.stdout) };
  }
}

describe('bundle size of @gatehouse-auth/client', () => {
  it('is at most 12 KiB minified and gzipped, with no Node built-in', () => {
    const { status, report } = measure();
    expect(report.nodeBuiltins).toEqual([]);
    expect(report.gzipBytes).toBeGreaterThan(2_000); // the whole SDK is in it
    expect(report.gzipBytes).toBeLessThanOrEqual(12 * 1024);
    expect(report.ok).toBe(true);
    expect(status).toBe(0);
  });

  it('fails when a Node built-in reaches the browser build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-size-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(entry, "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
      const { status, report } = measure('--entry', entry);
      expect(report.nodeBuiltins).toEqual([expect.stringContaining('node:fs')]);
      expect(status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
