import { deserialize, EJSONError, GatehouseError } from '@gatehouse-auth/core';

/**
 * Reads a request body as a JSON object, within `maxBytes` (see {@link readBodyText}).
 *
 * - An empty body is `{}`: realm-core sends `Content-Type: application/json;charset=utf-8` with an empty
 *   body on every method.
 * - A non-empty body must be labelled `application/json` (any parameters); anything else is 415. This also
 *   keeps HTML forms on other sites from posting to the API as "simple" requests.
 * - Canonical Extended JSON wrappers are decoded: `{"$numberInt":"1"}` → `1`.
 */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readBodyText(request, maxBytes);
  if (text.trim() === '') return {};
  const type = request.headers.get('content-type');
  if (type !== null && !/^application\/json\s*(;|$)/i.test(type))
    throw new GatehouseError('UnsupportedMediaType', 'request body must be JSON (Content-Type: application/json)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatehouseError('BadRequest', 'request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new GatehouseError('BadRequest', 'request body must be a JSON object');
  assertNoNul(parsed);
  try {
    return deserialize(parsed) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof EJSONError) throw new GatehouseError('BadRequest', `invalid Extended JSON: ${error.message}`);
    throw error;
  }
}

/**
 * The body as UTF-8 text, refusing more than `maxBytes` — by `Content-Length` first, then while streaming, so
 * a lying or missing header cannot make the server buffer more.
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new GatehouseError('BadRequest', 'request body is not valid UTF-8');
  }
}

function tooLarge(maxBytes: number): GatehouseError {
  return new GatehouseError('PayloadTooLarge', `request body is larger than ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}

/**
 * Refuses NUL characters anywhere in a parsed body (keys and strings). No field of ours has a use for them,
 * and PostgreSQL cannot store them in text: refusing them here keeps every later layer from failing on them.
 */
export function assertNoNul(value: unknown, depth = 0): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new GatehouseError('BadRequest', 'request contains a NUL character');
  } else if (value && typeof value === 'object' && depth < 64) {
    for (const [k, v] of Object.entries(value)) {
      assertNoNul(k, depth + 1);
      assertNoNul(v, depth + 1);
    }
  }
}
