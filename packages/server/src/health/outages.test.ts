import { GatehouseError } from '@gatehouse-auth/core';
import { StorageUnavailableError } from '@gatehouse-auth/storage';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppSettings } from '../context.js';
import { toMeteorError } from '../ddp/errors.js';
import { errorResponse } from '../routes/errors.js';
import { startTestGatehouse } from '../testing/index.js';
import { asServiceUnavailable, createDatabaseOutages } from './outages.js';

const APP = { accounts: { ambiguousErrorMessages: true } } as unknown as AppSettings;
const unavailable = () => new StorageUnavailableError({ cause: new Error('connect ECONNREFUSED 127.0.0.1:5432') });

describe('database outages', () => {
  it('map to 503 ServiceUnavailable with Retry-After over HTTP, and to Meteor error 503 over DDP', async () => {
    const response = errorResponse(unavailable());
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({
      error: 'the database is unavailable, try again shortly',
      error_code: 'ServiceUnavailable',
    });
    expect(toMeteorError(unavailable(), APP)).toMatchObject({ error: 503, details: { retryAfterSeconds: 5 } });
    // Any other error is no outage.
    expect(asServiceUnavailable(new Error('syntax error at or near "selec"'))).toBeNull();
    expect(asServiceUnavailable(new GatehouseError('BadRequest', 'x'))).toBeNull();
    expect(errorResponse(new Error('boom')).status).toBe(500);
  });

  it('are logged once when they begin, counted meanwhile, and logged with the count when they end', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let up = false;
    const outages = createDatabaseOutages({
      logger,
      probe: async () => {
        if (!up) throw unavailable();
      },
      probeMs: 20,
    });
    try {
      expect(outages.note(new Error('not an outage'))).toBe(false);
      for (let i = 0; i < 50; i++) expect(outages.note(unavailable(), 'request')).toBe(true);
      expect(outages.state()).toMatchObject({ available: false, refused: 50, outages: 1 });
      expect(lines.map((l) => l.msg)).toEqual([
        'database unavailable: answering 503 until it is back (failures are counted, not logged one by one)',
      ]);
      expect(lines[0]?.reason).toBe('storage unavailable: connect ECONNREFUSED 127.0.0.1:5432');
      up = true;
      for (let i = 0; i < 50 && !outages.state().available; i++) await new Promise((r) => setTimeout(r, 20));
      expect(outages.state()).toMatchObject({ available: true, unavailableSince: null, refused: 50 });
      expect(lines.at(-1)).toMatchObject({ msg: 'database reachable again', refused: 50 });
      expect(lines).toHaveLength(2);
    } finally {
      outages.close();
    }
  });

  it('show in status() with the mail queue', async () => {
    const t = await startTestGatehouse('sqlite');
    try {
      expect(await t.gatehouse.status()).toEqual({
        database: { available: true, unavailableSince: null, refused: 0, outages: 0 },
        mailQueue: { pending: 0, oldestDueForMs: 0 },
        redis: null,
      });
    } finally {
      await t.close();
    }
  });
});
