import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { isPermanentFailure, VendorflowError } from '../../shared/errors.js';
import { retryDelay } from './backoff.js';
import { JOB_ID_PATTERN, type JobContext, type QueueEngine, type QueueEvents, type QueueOptions } from './port.js';

export interface BullmqOptions extends QueueOptions {
  url: string;
  /** Key prefix: every key of this deployment (or test) lives under it. */
  prefix: string;
  /** A worker that has not renewed its lock for this long loses the job to another worker. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Stalls before a job is failed for good (the reconciler still re-enqueues its database row). */
  maxStalledCount: number;
}

const QUEUE_NAME = 'jobs';
const BACKOFF_TYPE = 'vendorflow';

/**
 * BullMQ on Redis: any number of `vendorflow worker` processes share one queue. Finished jobs are
 * removed at once so a deterministic id can be enqueued again when the database says the work is
 * still pending (after a lost lease, or a Redis that lost everything).
 */
export function createBullmqQueue(opts: BullmqOptions, events: QueueEvents = {}): QueueEngine {
  // The producer fails fast while Redis is down (the reconciler retries); the worker waits it out.
  const producerConnection = new Redis(opts.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  producerConnection.on('error', () => {});
  const queue = new Queue(QUEUE_NAME, { connection: producerConnection, prefix: opts.prefix });
  queue.on('error', () => {});
  let worker: Worker | null = null;
  let workerConnection: Redis | null = null;

  const ready = new Promise<void>((resolve, reject) => {
    if (producerConnection.status === 'ready') return resolve();
    const t = setTimeout(() => reject(new VendorflowError('REDIS_UNREACHABLE', 'Redis did not become ready within 5 s')), 5000);
    producerConnection.once('ready', () => { clearTimeout(t); resolve(); });
  });
  ready.catch(() => {});

  return {
    kind: 'bullmq',
    async enqueue(job) {
      if (!JOB_ID_PATTERN.test(job.id)) throw new VendorflowError('INTERNAL', `invalid job id "${job.id}"`);
      await ready;
      await queue.add(job.name, job.payload, {
        jobId: job.id,
        delay: job.delayMs ?? 0,
        attempts: opts.attempts,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: true,
        removeOnFail: true,
      });
    },
    async work(handlers) {
      if (worker) throw new VendorflowError('INTERNAL', 'work() called twice');
      const connection = new Redis(opts.url, { maxRetriesPerRequest: null });
      connection.on('error', () => {});
      workerConnection = connection;
      worker = new Worker(QUEUE_NAME, async (job: Job) => {
        const registered = handlers.get(job.name);
        if (!registered) throw new UnrecoverableError(`no handler for job ${job.name}`);
        try {
          await registered.handler(job.data, contextOf(job));
        } catch (e) {
          if (isPermanentFailure(e)) throw new UnrecoverableError(`${e.code}: ${e.message}`);
          throw e;
        }
      }, {
        connection,
        prefix: opts.prefix,
        concurrency: opts.concurrency,
        lockDuration: opts.lockDurationMs,
        stalledInterval: opts.stalledIntervalMs,
        maxStalledCount: opts.maxStalledCount,
        settings: {
          // Called only when a retry follows; retryDelay's null (no retry) cannot reach here.
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
            retryDelay(err, attemptsMade, { ...opts, attempts: Number.POSITIVE_INFINITY }) ?? 0,
        },
      });
      worker.on('error', () => {});
      worker.on('failed', (job, err) => {
        if (!job) return;
        const final = err instanceof UnrecoverableError || job.attemptsMade >= opts.attempts;
        // By now BullMQ has counted the failed delivery in attemptsMade.
        events.onFailed?.({ id: job.id ?? '', name: job.name, attempt: job.attemptsMade }, err, final);
      });
      await worker.waitUntilReady();
    },
    async pending() {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 };
    },
    async close() {
      if (worker) {
        await worker.close();
      }
      workerConnection?.disconnect();
      await queue.close().catch(() => {});
      producerConnection.disconnect();
    },
  };
}

function contextOf(job: Job): JobContext {
  return { id: job.id ?? '', name: job.name, attempt: job.attemptsMade + 1 };
}
