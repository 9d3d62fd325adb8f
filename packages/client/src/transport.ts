import { deserialize, serialize } from '@gatehouse-auth/core';
import { badResponse, ServerError } from './errors.js';

/** The `fetch` the SDK calls; any WHATWG-compatible implementation (browsers, Node ≥ 18, React Native). */
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

/** Path of the App Services client API. */
export const API = '/api/client/v2.0';
/** `/auth/session`, `/auth/profile`, `/auth/delete` and `/auth/api_keys` live here. */
export const AUTH = `${API}/auth`;

/** One request: the method, the absolute URL, the bearer token if any, and a JSON body if any. */
export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  token?: string | undefined;
  body?: unknown;
  /** Extra fetch options (the OAuth link request needs `mode` and `credentials`). */
  init?: RequestInit | undefined;
}

/**
 * Sends one request the way realm-web 2.0.1 does: `Accept: application/json` always;
 * `Content-Type: application/json` and a canonical-EJSON body only when there is a body; `Authorization:
 * Bearer …` only when there is a token. A non-2xx answer rejects with a {@link ServerError}.
 */
export async function send(fetch: FetchFunction, call: Call): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (call.body !== undefined) {
    body = JSON.stringify(serialize(call.body));
    headers['Content-Type'] = 'application/json';
  }
  if (call.token !== undefined) headers.Authorization = `Bearer ${call.token}`;
  const response = await fetch(call.url, { ...call.init, method: call.method, headers, body });
  if (response.ok) return response;
  const fields: { error?: string; errorCode?: string; link?: string; challenge?: string } = {};
  if (isJson(response)) {
    // A body that is not JSON after all (a proxy's page) leaves only the status to go by.
    const parsed = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    const pick = (key: string) => (typeof parsed?.[key] === 'string' ? (parsed[key] as string) : undefined);
    fields.error = pick('error');
    fields.errorCode = pick('error_code');
    fields.link = pick('link');
    fields.challenge = pick('challenge');
  }
  throw new ServerError(call.method, call.url, response.status, response.statusText, fields);
}

/**
 * The JSON body of a successful answer with Extended JSON turned into values, or `null` for an empty answer
 * (a 204, or any answer without a content type).
 */
export async function readBody(response: Response): Promise<unknown> {
  if (isJson(response)) return deserialize(await response.json());
  if (!response.headers.get('content-type')) return null;
  throw badResponse(`expected JSON, got "${response.headers.get('content-type')}"`);
}

function isJson(response: Response): boolean {
  return response.headers.get('content-type')?.startsWith('application/json') === true;
}

/** `value` as a plain object, or `null`. */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
