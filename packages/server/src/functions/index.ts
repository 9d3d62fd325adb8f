import { GatehouseError } from '@gatehouse-auth/core';
import type { ServerContext } from '../context.js';

/** How long a config-module function may run before the request fails, unless the caller says otherwise. */
const FUNCTION_TIMEOUT_MS = 10_000;

/**
 * Runs a function from the config module (confirmation, reset, custom-function login) by name, bounded in
 * time (`timeoutMs`, 10 s by default). A throw or a time-out becomes `FunctionFailed` with the function's own
 * message — never a 500, and the function's stack stays in the log.
 *
 * @example
 * ```ts
 * const id = await runConfigFunction(ctx, 'authenticate', [payload], { timeoutMs: 5_000 });
 * ```
 */
export async function runConfigFunction(
  ctx: ServerContext,
  name: string,
  args: unknown[],
  { timeoutMs = FUNCTION_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<unknown> {
  const fn = ctx.config.functions[name] as ((...a: unknown[]) => unknown) | undefined;
  if (typeof fn !== 'function') throw new GatehouseError('FunctionFailed', `function '${name}' is not defined`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(() => fn(...args)),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new GatehouseError('FunctionFailed', `function '${name}' timed out`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    ctx.logger.warn({ fn: name, err: error }, 'config function threw');
    const message = error instanceof Error ? error.message : String(error);
    throw new GatehouseError('FunctionFailed', message.slice(0, 500) || `function '${name}' failed`);
  } finally {
    clearTimeout(timer);
  }
}

/** The `{ status }` App Services confirmation and reset functions return. */
export function functionStatus(result: unknown, name: string): 'success' | 'pending' | 'fail' {
  const status = (result as { status?: unknown } | null)?.status;
  if (status === 'success' || status === 'pending' || status === 'fail') return status;
  throw new GatehouseError(
    'FunctionFailed',
    `function '${name}' must return { status: 'success' | 'pending' | 'fail' }`,
  );
}
