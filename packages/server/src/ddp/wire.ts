import { deserialize, EJSONError } from '@gatehouse-auth/core';
import { assertNoNul } from '../http/body.js';

/**
 * DDP framing: JSON text frames whose values are Meteor's EJSON — dates travel
 * as `{"$date": <ms>}` — and errors as the JSON of a `Meteor.Error`.
 */

/** DDP versions we speak, best first (Meteor's `SUPPORTED_DDP_VERSIONS`). */
export const DDP_VERSIONS = ['1', 'pre2', 'pre1'] as const;

/** A DDP message as received: an object with a string `msg`. */
export type DdpMessage = { msg: string } & Record<string, unknown>;

/** Parses a frame; `null` when it is not JSON or not a DDP message object. */
export function parseFrame(text: string): DdpMessage | null {
  let value: unknown;
  try {
    value = deserialize(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof EJSONError) return null;
    throw error;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  try {
    // As over HTTP: NUL characters have no use here and PostgreSQL cannot store them.
    assertNoNul(value);
  } catch {
    return null;
  }
  return typeof (value as { msg?: unknown }).msg === 'string' ? (value as DdpMessage) : null;
}

/** Serialises an outgoing message: Dates as `{"$date": ms}`, `undefined` members left out. */
export function stringifyFrame(message: Record<string, unknown>): string {
  return JSON.stringify(message, function replacer(this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.getTime() } : value;
  });
}

/** The JSON of a `Meteor.Error(error, reason, details)`. */
export interface MeteorErrorJson {
  isClientSafe: true;
  error: number | string;
  reason?: string;
  message: string;
  errorType: 'Meteor.Error';
  details?: unknown;
}

/** `new Meteor.Error(error, reason?, details?)` as it travels. */
export function meteorError(error: number | string, reason?: string, details?: unknown): MeteorErrorJson {
  return {
    isClientSafe: true,
    error,
    ...(reason === undefined ? {} : { reason }),
    message: reason === undefined ? `[${error}]` : `${reason} [${error}]`,
    errorType: 'Meteor.Error',
    ...(details === undefined ? {} : { details }),
  };
}

/** Thrown by method code to answer with a `Meteor.Error`. */
export class MeteorError extends Error {
  constructor(
    readonly error: number | string,
    readonly reason?: string,
    readonly details?: unknown,
  ) {
    super(reason ?? String(error));
  }
}

/** `check()` failures: Meteor answers every one with 400 `Match failed`. */
export function matchFailed(): MeteorError {
  return new MeteorError(400, 'Match failed');
}
