import type { JsonObject } from '@gatehouse-auth/core';
import type { SqlBool } from 'kysely';
import type { StorageDialect } from '../contract.js';

/**
 * Everything that differs between the dialects, in one place. The storage implementation, the row mappers and
 * the migrations read these values; nothing else asks which dialect it runs on.
 */
export interface DialectCapabilities {
  readonly dialect: StorageDialect;
  /** Column types used by the migrations. */
  readonly types: {
    /** Milliseconds since the epoch. */
    readonly millis: 'integer' | 'bigint';
    readonly bool: 'integer' | 'boolean';
    readonly json: 'text' | 'jsonb';
    /** An auto-assigned, increasing integer key (used as a primary key). */
    readonly serial: 'integer' | 'bigserial';
  };
  /** A boolean as the driver binds it. */
  encodeBool(value: boolean): SqlBool;
  /** A JSON column's value as the driver returns it → the object. */
  decodeJson(raw: unknown): JsonObject;
  /**
   * If `error` is a uniqueness (or primary key) violation, what the database says collided: PostgreSQL names
   * the constraint, SQLite only lists the columns (`table.column`). `null` for any other error.
   */
  uniqueViolation(error: unknown): UniqueViolation | null;
  /**
   * True when `error` says the database could not be reached or did not answer in time (the storage layer
   * turns it into a `StorageUnavailableError`), rather than refusing the statement itself.
   */
  unavailable(error: unknown): boolean;
}

export type UniqueViolation = { constraint: string } | { columns: string[] };

export const sqliteCapabilities: DialectCapabilities = {
  dialect: 'sqlite',
  // A single-column INTEGER PRIMARY KEY is the rowid: assigned max(rowid)+1, so it grows with insertion.
  types: { millis: 'integer', bool: 'integer', json: 'text', serial: 'integer' },
  encodeBool: (value) => (value ? 1 : 0),
  decodeJson: (raw) => parseJsonObject(typeof raw === 'string' ? JSON.parse(raw) : raw),
  uniqueViolation(error) {
    const code = errorField(error, 'code');
    if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
    // SQLite reports no constraint name, only "UNIQUE constraint failed: users.app_id, users.username_lower".
    const match = /constraint failed: (.+)$/.exec(errorField(error, 'message') ?? '');
    return match?.[1] ? { columns: match[1].split(', ') } : null;
  },
  // SQLite is a file in this process: there is no connection to lose. A lock held past the busy timeout is
  // the one "come back later" it has.
  unavailable: (error) => errorField(error, 'code') === 'SQLITE_BUSY',
};

/**
 * PostgreSQL SQLSTATEs that mean "the server is going away or cannot take us now", not "your statement is
 * wrong": connection exceptions (class 08), shutdowns and start-up (57P01–57P03), too many connections
 * (53300), a statement cancelled by `statement_timeout` (57014).
 */
const PG_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '25P03']);
/** Socket errors on the way to the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
/**
 * node-postgres reports a lost connection and its own timeouts with an `Error` that has no code: these are
 * its texts (pg 8 and pg-pool 3). The one place in Gatehouse that reads an error message, because the driver
 * offers nothing else; the fault tests would catch a change of wording.
 */
const PG_DRIVER_TEXTS = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'timeout expired',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
];

export const postgresCapabilities: DialectCapabilities = {
  dialect: 'postgres',
  types: { millis: 'bigint', bool: 'boolean', json: 'jsonb', serial: 'bigserial' },
  encodeBool: (value) => value,
  // `pg` parses JSONB itself.
  decodeJson: (raw) => parseJsonObject(raw),
  uniqueViolation(error) {
    if (errorField(error, 'code') !== '23505') return null;
    const constraint = errorField(error, 'constraint');
    return constraint ? { constraint } : null;
  },
  unavailable(error) {
    for (let e = error, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
      const code = errorField(e, 'code');
      if (code && (code.startsWith('08') || PG_UNAVAILABLE_STATES.has(code) || NETWORK_CODES.has(code))) return true;
      const message = errorField(e, 'message');
      if (message && PG_DRIVER_TEXTS.some((text) => message.startsWith(text))) return true;
    }
    return false;
  },
};

function errorField(error: unknown, field: 'code' | 'message' | 'constraint'): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

function parseJsonObject(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('storage: a JSON column does not hold an object');
  }
  return value as JsonObject;
}
