import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';

/** How long any one call to a service may take; a slower service ends the login with an error. */
export const SERVICE_TIMEOUT_MS = 5000;
const MAX_ANSWER_BYTES = 256 * 1024;

/** The refusal of a login at an external service: shown in the popup or on the redirect page. */
export function serviceError(label: string, why: string): GatehouseError {
  return new GatehouseError('AuthError', `${label} login failed: ${why}`);
}

/**
 * Calls a service and reads its answer as text, bounded in time ({@link SERVICE_TIMEOUT_MS}) and size. A
 * network failure or timeout becomes a {@link serviceError}; the HTTP status is the caller's to judge.
 */
export async function callService(
  label: string,
  what: string,
  url: string | URL,
  init: RequestInit = {},
): Promise<{ status: number; ok: boolean; text: string; contentType: string }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(SERVICE_TIMEOUT_MS) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw serviceError(label, timedOut ? `the ${what} did not answer in time` : `the ${what} could not be reached`);
  }
  let text: string;
  try {
    text = await readBounded(response);
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw serviceError(label, timedOut ? `the ${what} did not answer in time` : `the ${what} answered too much`);
  }
  return { status: response.status, ok: response.ok, text, contentType: response.headers.get('content-type') ?? '' };
}

/** {@link callService} expecting a JSON object; anything else is a {@link serviceError}. */
export async function callServiceJson(
  label: string,
  what: string,
  url: string | URL,
  init: RequestInit = {},
): Promise<{ status: number; ok: boolean; body: Record<string, unknown> }> {
  const answer = await callService(label, what, url, {
    ...init,
    headers: { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw serviceError(label, `the ${what} answered something that is not JSON (HTTP ${answer.status})`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw serviceError(label, `the ${what} answered something that is not a JSON object (HTTP ${answer.status})`);
  return { status: answer.status, ok: answer.ok, body: body as Record<string, unknown> };
}

async function readBounded(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new Error('answer too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A string field of a service's answer, bounded; `undefined` otherwise. */
export function text(value: unknown, max = 2048): string | undefined {
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

/** An access token from a token endpoint's answer, or a refusal naming the service's error. */
export function accessTokenOf(label: string, answer: { ok: boolean; body: Record<string, unknown> }): string {
  const { body } = answer;
  const token = body.access_token;
  if (answer.ok && typeof token === 'string' && token.length > 0 && token.length <= 8192) return token;
  const error = body.error;
  const code =
    typeof error === 'string'
      ? error
      : error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string'
        ? (error as { message: string }).message
        : null;
  throw serviceError(
    label,
    code === 'invalid_grant' || code === 'bad_verification_code'
      ? 'the code is invalid, expired or already used'
      : `the token endpoint refused the code${code ? ` (${code.slice(0, 100)})` : ''}`,
  );
}

/** `expires_in` seconds → Meteor's `expiresAt` (ms since the epoch), when the service said. */
export function expiresAtOf(now: number, expiresIn: unknown): number | undefined {
  const seconds = typeof expiresIn === 'string' ? Number.parseInt(expiresIn, 10) : expiresIn;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? now + seconds * 1000 : undefined;
}

/** A copy of `data` without `undefined` members (what JSON keeps anyway, made explicit). */
export function defined(data: Record<string, unknown>): JsonObject {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)) as JsonObject;
}
