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
};

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
