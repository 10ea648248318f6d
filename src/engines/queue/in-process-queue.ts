import { VendorflowError } from '../../shared/errors.js';
import { retryDelay } from './backoff.js';
import { JOB_ID_PATTERN, type JobContext, type QueueEngine, type QueueEvents, type QueueJob, type QueueOptions, type RegisteredHandler } from './port.js';

interface Entry { job: QueueJob; attempt: number }

/**
 * The embedded runner: jobs live in this process's memory (the database holds everything that
 * matters, and the reconciler re-enqueues it after a restart). At most one database-writing job runs
 * at a time — PGlite has one connection on the JavaScript thread — while I/O-bound jobs overlap.
 */
export function createInProcessQueue(opts: QueueOptions, events: QueueEvents = {}): QueueEngine {
  const known = new Set<string>(); // waiting, delayed or running ids: enqueue is a no-op for them
  const ready: Entry[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let handlers: ReadonlyMap<string, RegisteredHandler> | null = null;
  let writerBusy = false;
  let closed = false;

  const pump = () => {
    if (!handlers || closed) return;
    while (running.size < opts.concurrency) {
      const i = ready.findIndex((e) => !writerBusy || !writes(e));
      if (i < 0) return;
      const [entry] = ready.splice(i, 1);
      start(entry!);
    }
  };

  const writes = (e: Entry) => handlers?.get(e.job.name)?.writesDatabase ?? false;

  const start = (entry: Entry) => {
    const registered = handlers!.get(entry.job.name);
    const ctx: JobContext = { id: entry.job.id, name: entry.job.name, attempt: entry.attempt };
    const exclusive = writes(entry);
    if (exclusive) writerBusy = true;
    const p = (async () => {
      try {
        if (!registered) throw new VendorflowError('INTERNAL', `no handler for job ${entry.job.name}`);
        await registered.handler(entry.job.payload, ctx);
        known.delete(entry.job.id);
      } catch (e) {
        const delay = closed ? null : retryDelay(e, entry.attempt, opts);
        events.onFailed?.(ctx, e, delay === null);
        if (delay === null) known.delete(entry.job.id);
        else schedule({ ...entry, attempt: entry.attempt + 1 }, delay);
      } finally {
        if (exclusive) writerBusy = false;
      }
    })();
    running.add(p);
    void p.finally(() => {
      running.delete(p);
      pump();
    });
  };

  const schedule = (entry: Entry, delayMs: number) => {
    if (delayMs <= 0) {
      ready.push(entry);
      queueMicrotask(pump);
      return;
    }
    const t = setTimeout(() => {
      timers.delete(entry.job.id);
      ready.push(entry);
      pump();
    }, delayMs);
    timers.set(entry.job.id, t);
  };

  return {
    kind: 'in-process',
    async enqueue(job) {
      if (!JOB_ID_PATTERN.test(job.id)) throw new VendorflowError('INTERNAL', `invalid job id "${job.id}"`);
      if (closed || known.has(job.id)) return;
      known.add(job.id);
      schedule({ job, attempt: 1 }, job.delayMs ?? 0);
    },
    async work(h) {
      handlers = h;
      pump();
    },
    async pending() {
      return { waiting: ready.length, active: running.size, delayed: timers.size };
    },
    async close() {
      closed = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      ready.length = 0;
      await Promise.allSettled([...running]);
      known.clear();
    },
  };
}
