import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from '../rate-limit/index.js';
import { type ClusterClient, createClusterClient, createClusterHub } from './index.js';

/** A pair of IPC ends joined in memory, delivering asynchronously as a real channel does. */
function channel() {
  const primarySide = new EventEmitter();
  const workerSide = new EventEmitter();
  let open = true;
  const deliver = (to: EventEmitter, message: unknown) => {
    if (!open) throw new Error('channel closed');
    const copy = JSON.parse(JSON.stringify(message)); // what crosses a process boundary: JSON
    setImmediate(() => to.emit('message', copy));
  };
  return {
    primary: Object.assign(primarySide, { send: (m: unknown) => deliver(workerSide, m) }),
    worker: Object.assign(workerSide, { send: (m: unknown) => deliver(primarySide, m) }),
    close() {
      open = false;
      workerSide.emit('disconnect');
    },
  };
}

function cluster(workers: number, pool = fakePool()) {
  const hub = createClusterHub({ pool, limiter: createMemoryRateLimiter(), relayChanges: true });
  const channels = Array.from({ length: workers }, () => channel());
  for (const c of channels) hub.attach(c.primary);
  return { hub, pool, channels, clients: channels.map((c) => createClusterClient(c.worker)) as ClusterClient[] };
}

function fakePool() {
  const jobs: unknown[] = [];
  return {
    jobs,
    run: async (task: { op: string }) => {
      jobs.push(task);
      return task.op === 'hash' ? '$argon2id$fake' : true;
    },
    stats: () => ({ running: 0, queued: 0 }),
    close: async () => {},
  };
}

describe('cluster hub and clients', () => {
  it('runs every worker’s hashing jobs on the one pool of the primary', async () => {
    const { clients, pool } = cluster(2);
    const task = { op: 'hash', password: 'p', memoryCost: 8, timeCost: 1, parallelism: 1 } as const;
    expect(await clients[0]?.pool.run(task)).toBe('$argon2id$fake');
    expect(await clients[1]?.pool.run({ op: 'verify', phc: '$x', password: 'p' })).toBe(true);
    expect(pool.jobs).toHaveLength(2);
  });

  it('counts rate limits once for all workers', async () => {
    const { clients } = cluster(2);
    const [a, b] = clients as [ClusterClient, ClusterClient];
    await a.limiter.count(['k'], 60_000, 1000);
    await b.limiter.count(['k'], 60_000, 1000);
    expect(await a.limiter.blocked([{ key: 'k', limit: 2 }], 1001)).toMatchObject({ key: 'k' });
    await b.limiter.reset('k');
    expect(await a.limiter.blocked([{ key: 'k', limit: 2 }], 1001)).toBeNull();
  });

  it('relays news of a changed user to every other worker, once, and to local listeners', async () => {
    const { clients } = cluster(3);
    const heard = clients.map(() => [] as string[]);
    for (const [i, client] of clients.entries()) client.changes.subscribe((id) => void heard[i]?.push(id));
    clients[0]?.changes.userChanged('u1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard).toEqual([['u1'], ['u1'], ['u1']]);
  });

  it('passes the pool’s refusal on as ServiceBusy, and refuses once the primary is gone', async () => {
    const busy = Object.assign(fakePool(), {
      run: async () => {
        const { GatehouseError } = await import('@gatehouse-auth/core');
        throw new GatehouseError('ServiceBusy', 'too many password checks in progress, try again');
      },
    });
    const { clients, channels } = cluster(1, busy);
    const task = { op: 'verify', phc: '$x', password: 'p' } as const;
    await expect(clients[0]?.pool.run(task)).rejects.toMatchObject({ code: 'ServiceBusy' });
    channels[0]?.close();
    await expect(clients[0]?.pool.run(task)).rejects.toMatchObject({ code: 'ServiceBusy' });
    await expect(clients[0]?.limiter.blocked([{ key: 'k', limit: 1 }], 1)).rejects.toMatchObject({
      code: 'ServiceBusy',
    });
  });
});
