import { GatehouseError } from '@gatehouse-auth/core';
import type { Storage } from '@gatehouse-auth/storage';
import { openTestStorage } from '@gatehouse-auth/storage/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { testSigningKey } from '../testing/index.js';
import type { Mailer, MailMessage } from './mailer.js';
import { createMailQueue, MAILS_PER_ADDRESS_PER_HOUR, type MailQueue } from './queue.js';
import { createSealer } from './seal.js';

const message = (to: string, n = 0): MailMessage => ({ to, subject: `Hello ${n}`, text: `t${n}`, html: `<p>${n}</p>` });

/** A transport that is "down" until told otherwise, keeping what it delivered. */
function flakyTransport() {
  const delivered: MailMessage[] = [];
  let up = false;
  let attempts = 0;
  const mailer: Mailer = {
    async send(m) {
      attempts++;
      if (!up) throw new GatehouseError('InternalServerError', 'mail could not be sent: cannot connect');
      delivered.push(m);
    },
    async close() {},
  };
  return {
    mailer,
    delivered,
    attempts: () => attempts,
    setUp(value: boolean) {
      up = value;
    },
  };
}

describe.each(['sqlite', 'postgres'] as const)('the mail outbox (%s)', (dialect) => {
  let env: { storage: Storage; cleanup(): Promise<void> };
  let queue: MailQueue;
  let clock: number;
  let transport: ReturnType<typeof flakyTransport>;
  /** What the queue told the metrics: `outcome kind`. */
  let outcomes: string[];
  const APP = 'mail-app';

  beforeEach(async () => {
    env = await openTestStorage(dialect);
    clock = Date.UTC(2026, 0, 1);
    transport = flakyTransport();
    outcomes = [];
    queue = createMailQueue({
      onOutcome: (outcome, kind) => outcomes.push(`${outcome} ${kind}`),
      storage: env.storage,
      transport: transport.mailer,
      sealer: await createSealer([await testSigningKey()]),
      delivery: { firstRetryMs: 1_000, maxRetryMs: 8_000, giveUpAfterMs: 60_000, pollIntervalMs: 3_600_000 },
      logger: createLogger('silent'),
      now: () => clock,
    });
  });
  afterEach(async () => {
    await queue.close();
    await env.cleanup();
  });

  it('keeps mail while the transport is down, retries with doubling waits, and delivers it once it is back', async () => {
    await queue.send(APP, message('ada@example.com'), { kind: 'confirm-email' });
    await queue.deliverDue();
    expect(transport.attempts()).toBe(1);
    expect(await queue.depth()).toEqual({ pending: 1, oldestDueForMs: 0 });
    // Not due again before the first wait (1 s), then after 2 s more, …
    await queue.deliverDue();
    expect(transport.attempts()).toBe(1);
    clock += 1_000;
    await queue.deliverDue();
    expect(transport.attempts()).toBe(2);
    clock += 1_999;
    await queue.deliverDue();
    expect(transport.attempts()).toBe(2);
    clock += 1;
    await queue.deliverDue();
    expect(transport.attempts()).toBe(3);
    transport.setUp(true);
    clock += 4_000;
    await queue.deliverDue();
    expect(transport.delivered.map((m) => m.to)).toEqual(['ada@example.com']);
    expect(await queue.depth()).toEqual({ pending: 0, oldestDueForMs: 0 });
    expect(outcomes).toEqual([...Array(3).fill('retried confirm-email'), 'sent confirm-email']);
  });

  it('counts only mail actually sent against the hourly limit', async () => {
    // Ten resends while the transport is down: each replaces the one before (its link is void anyway), unless
    // a delivery attempt holds it at that moment.
    for (let i = 0; i < 10; i++) await queue.send(APP, message('bo@example.com', i), { kind: 'confirm-email' });
    await queue.deliverDue();
    expect((await queue.depth()).pending).toBeLessThanOrEqual(2);
    transport.setUp(true);
    clock += 1_000;
    await queue.deliverDue();
    expect(transport.delivered.at(-1)?.subject).toBe('Hello 9');
    expect(transport.delivered.length).toBeLessThanOrEqual(2);
    // Failed attempts did not count: the address gets the rest of its five this hour, then no more.
    const before = transport.delivered.length;
    for (let i = 0; i < MAILS_PER_ADDRESS_PER_HOUR + 2; i++) {
      await queue.send(APP, message('bo@example.com', 10 + i), { kind: 'confirm-email' });
      await queue.deliverDue();
    }
    expect(transport.delivered).toHaveLength(MAILS_PER_ADDRESS_PER_HOUR);
    expect(outcomes.filter((o) => o.startsWith('sent'))).toHaveLength(MAILS_PER_ADDRESS_PER_HOUR);
    // The rest are dropped (and counted so), not sent.
    const dropped = MAILS_PER_ADDRESS_PER_HOUR + 2 - (MAILS_PER_ADDRESS_PER_HOUR - before);
    expect(outcomes.filter((o) => o.startsWith('dropped'))).toEqual(Array(dropped).fill('dropped confirm-email'));
    clock += 3_600_001;
    await queue.send(APP, message('bo@example.com', 99), { kind: 'confirm-email' });
    await queue.deliverDue();
    expect(transport.delivered.at(-1)?.subject).toBe('Hello 99');
  });

  it('gives a mail up after giveUpAfter and records it, without its body', async () => {
    await queue.send(APP, message('cy@example.com'), { kind: 'reset-password' });
    for (let i = 0; i < 12; i++) {
      await queue.deliverDue();
      clock += 8_000;
    }
    expect(await queue.depth()).toEqual({ pending: 0, oldestDueForMs: 0 });
    const attempts = transport.attempts();
    expect(attempts).toBeGreaterThan(3);
    transport.setUp(true);
    clock += 60_000;
    await queue.deliverDue();
    expect(transport.attempts()).toBe(attempts);
    expect(transport.delivered).toEqual([]);
    expect(outcomes).toEqual([...Array(attempts - 1).fill('retried reset-password'), 'failed reset-password']);
  });

  it('stores mail bodies sealed, never the one-time link in clear', async () => {
    await queue.send(APP, { ...message('di@example.com'), text: 'secret-link-123' }, { kind: 'confirm-email' });
    await queue.deliverDue();
    const [claimed] = await env.storage.claimDueMail(clock + 60_000, 60_000, 1);
    expect(claimed?.payload).toMatch(/^v1\./);
    expect(claimed?.payload).not.toContain('secret-link-123');
  });
});
