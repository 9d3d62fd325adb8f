import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The size budget of issue 11, enforced: scripts/ui-bundle-size.mjs on each element's browser bundle. */

const ROOT = resolve(import.meta.dirname, '../..');

function measure(): { status: number; report: Record<string, any> } {
  const script = join(ROOT, 'scripts/ui-bundle-size.mjs');
  try {
    return {
      status: 0,
      report: JSON.parse(execFileSync(process.execPath, [script, '--json'], { cwd: ROOT, encoding: 'utf8' })),
    };
  } catch (error) {
    const e = error as { status: number; stdout: string };
    return { status: e.status, report: JSON.parse(e.stdout) };
  }
}

describe('bundle size of @gatehouse-auth/ui', () => {
  const { status, report } = measure();

  it('<gatehouse-login-buttons>, with Lit and the SDK, is at most 25 KiB gzipped', () => {
    const buttons = report.blocks['login-buttons'];
    expect(buttons.gzipBytes).toBeGreaterThan(15_000); // Lit, the SDK and the forms are in it
    expect(buttons.gzipBytes).toBeLessThanOrEqual(25 * 1024);
    expect(report.problems).toEqual([]);
    expect(status).toBe(0);
  });

  it('importing one block does not pull in the others, nor the other languages', () => {
    for (const [block, r] of Object.entries<{ others: string[]; languages: string[]; gzipBytes: number }>(
      report.blocks,
    )) {
      expect(r.others, block).toEqual([]);
      expect(r.languages, block).toEqual([]);
    }
    // login-buttons is made of the sign-in, sign-up, forgot-password and change-password blocks: bigger than one.
    expect(report.blocks['login-buttons'].gzipBytes).toBeGreaterThan(report.blocks['sign-in'].gzipBytes + 1000);
  });
});
