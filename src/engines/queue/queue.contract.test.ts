import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NonRetryableError, RetryLaterError, VendorflowError } from '../../shared/errors.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { openQueue, type QueueTarget } from './open-queue.js';
import type { JobContext, QueueEngine, RegisteredHandler } from './port.js';
import { dropRedisPrefix } from '../../../test/support/redis.js';

const base = { concurrency: 3, attempts: 3, backoffMs: 20, maxBackoffMs: 100 };

const targets: Array<[string, () => QueueTarget]> = [
  ['in-process', () => ({ engine: 'in-process', ...base })],
  ['bullmq', () => ({
    engine: 'bullmq', ...base, url: TEST_REDIS_URL, prefix: `vf-test-${randomBytes(4).toString('hex')}`,
    lockDurationMs: 2000, stalledIntervalMs: 1000, maxStalledCount: 1,
  })],
];


function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const handlers = (map: Record<string, RegisteredHandler['handler']>, writes: string[] = []) =>
  new Map(Object.entries(map).map(([k, handler]) => [k, { handler, writesDatabase: writes.includes(k) }]));

describe.each(targets)('queue engine contract: %s', (_name, makeTarget) => {
  let queue: QueueEngine | null = null;
  let target: QueueTarget;
  const failures: Array<{ ctx: JobContext; final: boolean }> = [];
  const open = () => {
    target = makeTarget();
    failures.length = 0;
    queue = openQueue(target, { onFailed: (ctx, _e, final) => failures.push({ ctx, final }) });
    return queue;
  };

  afterEach(async () => {
    await queue?.close();
    queue = null;
    if (target.engine === 'bullmq') await dropRedisPrefix(target.prefix);
  });

  it('delivers the payload with the job id and attempt', async () => {
    const q = open();
    const seen: Array<[unknown, JobContext]> = [];
    await q.work(handlers({ 'stage.one': async (p, ctx) => { seen.push([p, ctx]); } }));
    await q.enqueue({ name: 'stage.one', id: 'cyc1-generate-1', payload: { cycleId: 'cyc1' } });
    await until(() => seen.length === 1, 'the job');
    expect(seen[0]).toEqual([{ cycleId: 'cyc1' }, { id: 'cyc1-generate-1', name: 'stage.one', attempt: 1 }]);
  });

  it('enqueues an id once while it is waiting or running, and again after it finished', async () => {
    const q = open();
    const gate = deferred();
    let runs = 0;
    await q.work(handlers({ j: async () => { runs++; await gate.promise; } }));
    for (let i = 0; i < 3; i++) await q.enqueue({ name: 'j', id: 'run1-gather-b1-1', payload: {} });
    await until(() => runs === 1, 'first delivery');
    await q.enqueue({ name: 'j', id: 'run1-gather-b1-1', payload: {} });
    gate.resolve();
    await until(async () => (await q.pending()).active === 0 && (await q.pending()).waiting === 0, 'drain');
    expect(runs).toBe(1);
    await q.enqueue({ name: 'j', id: 'run1-gather-b1-1', payload: {} });
    await until(() => runs === 2, 'delivery after completion');
  });

  it('retries a failing job with backoff and counts the attempts', async () => {
    const q = open();
    const attempts: number[] = [];
    await q.work(handlers({ flaky: async (_p, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error('transient');
    } }));
    await q.enqueue({ name: 'flaky', id: 'flaky-1', payload: {} });
    await until(() => attempts.length === 3, 'three attempts');
    expect(attempts).toEqual([1, 2, 3]);
    expect(failures.map((f) => f.final)).toEqual([false, false]);
  });

  it('honours RetryLaterError and gives up after the configured attempts', async () => {
    const q = open();
    let n = 0;
    await q.work(handlers({ busy: async () => { n++; throw new RetryLaterError(10, 'rate limited'); } }));
    await q.enqueue({ name: 'busy', id: 'busy-1', payload: {} });
    await until(() => failures.some((f) => f.final), 'final failure');
    expect(n).toBe(base.attempts);
    expect(failures.map((f) => f.ctx.attempt)).toEqual([1, 2, 3]);
  });

  it.each([
    ['a NonRetryableError', () => new NonRetryableError('INPUT_INVALID', 'bad input')],
    // The same config fails the same way on every attempt.
    ['a configuration error', () => new VendorflowError('CONFIG_INVALID', 'config: vendors.x.outbox is not set')],
  ])('does not retry %s', async (_what, error) => {
    const q = open();
    let n = 0;
    await q.work(handlers({ bad: async () => { n++; throw error(); } }));
    await q.enqueue({ name: 'bad', id: 'bad-1', payload: {} });
    await until(() => failures.length === 1, 'failure');
    expect(failures[0]!.final).toBe(true);
    expect(n).toBe(1);
  });

  it('runs at most `concurrency` jobs at once, and does overlap them', async () => {
    const q = open();
    let now = 0;
    let peak = 0;
    let done = 0;
    await q.work(handlers({ io: async () => {
      now++;
      peak = Math.max(peak, now);
      await new Promise((r) => setTimeout(r, 50));
      now--;
      done++;
    } }));
    for (let i = 0; i < 9; i++) await q.enqueue({ name: 'io', id: `io-${i}`, payload: {} });
    await until(() => done === 9, 'nine jobs');
    expect(peak).toBeLessThanOrEqual(base.concurrency);
    expect(peak).toBeGreaterThan(1);
  });

  it('starts a delayed job after the ones enqueued without delay', async () => {
    const q = open();
    const order: string[] = [];
    await q.work(handlers({ j: async (p) => { order.push((p as { k: string }).k); } }));
    await q.enqueue({ name: 'j', id: 'late', payload: { k: 'late' }, delayMs: 300 });
    await q.enqueue({ name: 'j', id: 'now', payload: { k: 'now' } });
    await until(() => order.length === 2, 'both jobs');
    expect(order).toEqual(['now', 'late']);
  });

  it('close waits for running jobs', async () => {
    const q = open();
    const started = deferred();
    let finished = false;
    await q.work(handlers({ slow: async () => {
      started.resolve();
      await new Promise((r) => setTimeout(r, 100));
      finished = true;
    } }));
    await q.enqueue({ name: 'slow', id: 'slow-1', payload: {} });
    await started.promise;
    await q.close();
    queue = null;
    expect(finished).toBe(true);
  });

  it('rejects job ids BullMQ would refuse', async () => {
    const q = open();
    await expect(q.enqueue({ name: 'j', id: 'run:1', payload: {} })).rejects.toThrow(/invalid job id/);
  });
});

describe('in-process runner on the embedded database', () => {
  it('runs one database-writing job at a time while I/O jobs overlap', async () => {
    const q = openQueue({ engine: 'in-process', concurrency: 4, attempts: 1, backoffMs: 10, maxBackoffMs: 10 });
    let writers = 0;
    let peakWriters = 0;
    let io = 0;
    let peakIo = 0;
    let done = 0;
    const work = (kind: 'w' | 'io') => async () => {
      if (kind === 'w') { writers++; peakWriters = Math.max(peakWriters, writers); } else { io++; peakIo = Math.max(peakIo, io); }
      await new Promise((r) => setTimeout(r, 30));
      if (kind === 'w') writers--; else io--;
      done++;
    };
    await q.work(handlers({ apply: work('w'), fetch: work('io') }, ['apply']));
    for (let i = 0; i < 4; i++) {
      await q.enqueue({ name: 'apply', id: `a-${i}`, payload: {} });
      await q.enqueue({ name: 'fetch', id: `f-${i}`, payload: {} });
    }
    await until(() => done === 8, 'all jobs');
    await q.close();
    expect(peakWriters).toBe(1);
    expect(peakIo).toBeGreaterThan(1);
  });
});
