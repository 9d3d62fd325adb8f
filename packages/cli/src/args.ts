import { parseArgs } from 'node:util';
import { type OptionSpecs, type OptionValues, UsageError } from './command.js';

/**
 * Parses a command's arguments with `node:util` `parseArgs`, then checks the tokens itself so every mistake
 * gets a short message naming the option (Node's strict-mode messages are long and generic).
 *
 * @example
 * ```ts
 * parseOptions('init', { dir: { type: 'string', value: '<dir>', description: '…' } }, ['--dir', 'x']); // { dir: 'x' }
 * ```
 */
export function parseOptions<T extends OptionSpecs>(
  command: string,
  specs: T,
  args: string[],
  positionals?: string[],
): OptionValues<T> {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
    ]),
  );
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      // Commands that take arguments collect them; the others refuse them.
      if (positionals) positionals.push(token.value);
      else throw new UsageError(`unexpected argument '${token.value}'`, command);
      continue;
    }
    const spec = specs[token.name];
    if (!spec) {
      const hint = closest(token.name, Object.keys(specs));
      throw new UsageError(`unknown option '${token.rawName}'${hint ? ` (did you mean --${hint}?)` : ''}`, command);
    }
    const display = `--${token.name}`;
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`option ${display} takes no value`, command);
      values[token.name] = true;
      continue;
    }
    const placeholder = spec.value ?? '<value>';
    if (token.value === undefined)
      throw new UsageError(`option ${display} needs a value: ${display} ${placeholder}`, command);
    // `--dir --force` would otherwise take "--force" as the directory.
    if (!token.inlineValue && token.value.startsWith('-'))
      throw new UsageError(
        `option ${display} needs a value, got '${token.value}' (write ${display}=${token.value} if you meant it)`,
        command,
      );
    values[token.name] = token.value;
  }
  return values as OptionValues<T>;
}

/** Parses a `--port` value: a whole number from 0 (any free port) to 65535. */
export function parsePort(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new UsageError(`option --port expects a number from 0 to 65535, got '${value}'`, command);
  return Number(value);
}

/** The candidate nearest to `input` when it is a plausible typo (edit distance ≤ 2), else `undefined`. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = distance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
