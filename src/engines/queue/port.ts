/**
 * The job-dispatch port. The queue only dispatches: durable state lives in the database, so a job
 * delivered twice, retried, or lost (and re-enqueued by the reconciler) must give the same result.
 *
 * Job ids are deterministic (`run-stage-batch-attempt`, `cycle-stage-attempt`): enqueueing an id that
 * is already waiting, delayed or running is a no-op. Ids never contain ':' (BullMQ rejects it).
 */
export interface QueueJob {
  name: string;
  id: string;
  payload: unknown;
  /** Start no sooner than this many milliseconds from now. */
  delayMs?: number;
}

export interface JobContext {
  id: string;
  name: string;
  /** 1 on the first delivery, 2 on the first retry, ... */
  attempt: number;
}

export type JobHandler = (payload: unknown, ctx: JobContext) => Promise<void>;

export interface RegisteredHandler {
  handler: JobHandler;
  /**
   * Writes to the database for most of its run (ingest, apply). On the embedded engines, where PGlite
   * has one connection and runs statements on the JavaScript thread, at most one such job runs at a
   * time; jobs that mostly wait on I/O overlap freely.
   */
  writesDatabase: boolean;
}

export interface QueueOptions {
  /** Jobs run at once by one process. */
  concurrency: number;
  /** Deliveries of one job before it is dropped as failed (NonRetryableError: at once). */
  attempts: number;
  /** Exponential backoff: base × 2^(attempt-1), capped, jittered; RetryLaterError overrides it. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface QueueEvents {
  /** A delivery threw; `final` when no retry follows. For logs: durable state is the database's. */
  onFailed?(job: JobContext, error: unknown, final: boolean): void;
}

export interface QueueEngine {
  readonly kind: 'in-process' | 'bullmq';
  /** Idempotent by job id. */
  enqueue(job: QueueJob): Promise<void>;
  /** Starts consuming jobs with these handlers (a producer-only process never calls it). */
  work(handlers: ReadonlyMap<string, RegisteredHandler>): Promise<void>;
  /** Jobs not yet finished, for progress and tests. */
  pending(): Promise<{ waiting: number; active: number; delayed: number }>;
  /** Stops taking jobs, waits for the running ones, releases connections. */
  close(): Promise<void>;
}

export const JOB_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
