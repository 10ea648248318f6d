import { z } from 'zod';

/**
 * Every job vendorflow dispatches: its name, the schema of its payload and whether it mostly writes to
 * the database (on the embedded engines those run one at a time). Handlers are registered separately
 * (`bindHandlers`) and a start-up with a job that has no handler, or two, fails.
 */
const runRef = z.object({ runId: z.string().min(1) }).strict();
const batchRef = z.object({ runId: z.string().min(1), batchId: z.string().min(1) }).strict();
const cycleRef = z.object({ cycleId: z.string().min(1) }).strict();
const inboxRef = z.object({ tenantId: z.string().min(1), vendorId: z.string().min(1) }).strict();
const fileRef = z.object({ tenantId: z.string().min(1), vendorId: z.string().min(1), fileId: z.string().min(1) }).strict();

export const JOB_CATALOGUE = {
  /** Org units -> batch rows of the run. */
  'run.plan': { payload: runRef, writesDatabase: true },
  /** One batch's snapshots from the internal services; fan-in counts it on the run. */
  'run.gather-batch': { payload: batchRef, writesDatabase: false },
  'cycle.generate': { payload: cycleRef, writesDatabase: false },
  'cycle.deliver': { payload: cycleRef, writesDatabase: false },
  'cycle.ingest': { payload: cycleRef, writesDatabase: true },
  'cycle.apply': { payload: cycleRef, writesDatabase: true },
  'cycle.reconcile': { payload: cycleRef, writesDatabase: true },
  /** Polls one vendor's inbox and moves the cycles whose responses arrived. */
  'vendor.pickup': { payload: inboxRef, writesDatabase: false },
  /** A response that answers no outbound file: ingested against current versions. */
  'vendor.ingest-unsolicited': { payload: fileRef, writesDatabase: true },
} as const satisfies Record<string, { payload: z.ZodType; writesDatabase: boolean }>;

export type JobName = keyof typeof JOB_CATALOGUE;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_CATALOGUE)[N]['payload']>;
