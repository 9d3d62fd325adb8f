/** A duration written the way configuration files write it: `'30s'`, `'30m'`, `'12h'`, `'60d'`, `'1y'`. */
export type DurationText = `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'y'}`;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/**
 * Milliseconds in a duration string, or `null` when it is not one.
 *
 * @example
 * ```ts
 * parseDuration('30m'); // 1_800_000
 * ```
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
}
