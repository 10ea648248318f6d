import { randomBytes } from 'node:crypto';
import type { Database, Repositories } from '../engines/database/port.js';
import type { ClaimResult, Lease, LeaseKind } from '../engines/database/repositories/leases.js';
import type { CycleRow, CycleStage, CycleStatus } from '../engines/database/repositories/cycles.js';
import type { QueueEngine } from '../engines/queue/port.js';
import { retryDelay } from '../engines/queue/backoff.js';
import { implement, type JobImplementation } from '../jobs/bind-handlers.js';
import type { JobName } from '../jobs/catalogue.js';
import { crashPoint } from '../shared/crash.js';
import { isPermanentFailure, VendorflowError } from '../shared/errors.js';
import { fencedDatabase, keepLeaseAlive, LeaseLostError } from './fenced-database.js';
import type { Counts, CycleStageInput, PipelineStages } from './stage-ports.js';

/**
 * The one place the order is written. A run gathers a tenant once (plan -> gather, batches fanned out
 * and counted back in by the database); then each vendor's cycle goes generate -> deliver -> await ->
 * ingest -> apply -> reconcile. Await is a state with a deadline, not a job: the pickup poller moves
 * a cycle on when its response arrives.
 */
type JobStage = Exclude<CycleStage, 'gather' | 'await' | 'done'>;
const NEXT: Record<JobStage, { stage: CycleStage; status: CycleStatus }> = {
  generate: { stage: 'deliver', status: 'running' },
  deliver: { stage: 'await', status: 'awaiting' },
  ingest: { stage: 'apply', status: 'running' },
  apply: { stage: 'reconcile', status: 'running' },
  reconcile: { stage: 'done', status: 'done' },
};
const STAGE_JOB: Record<JobStage, JobName> = {
  generate: 'cycle.generate', deliver: 'cycle.deliver', ingest: 'cycle.ingest', apply: 'cycle.apply', reconcile: 'cycle.reconcile',
};
const isJobStage = (s: string): s is JobStage => s in NEXT;

export interface OrchestratorOptions {
  db: Database;
  queue: QueueEngine;
  stages: PipelineStages;
  leaseMs: number;
  maxAttempts: number;
  pickupIntervalMs: number;
  defaultResponseWindowMs: number;
  /** The queue's retry policy, so a failed stage keeps its lease through the backoff. */
  backoff: { attempts: number; backoffMs: number; maxBackoffMs: number; concurrency: number };
  /** Names this process in lease_owner. */
  owner?: string;
  now?: () => Date;
}

export interface StartRunRequest {
  tenantId: string;
  vendorIds: string[];
  kind: 'full' | 'change';
  gatherMode?: 'batched' | 'per-employee';
  trigger?: 'manual' | 'schedule';
  /** Cycles are unique on (tenant, vendor, scheduled_for): a schedule passes its fire time. */
  scheduledFor?: Date;
}

export interface Orchestrator {
  startRun(req: StartRunRequest): Promise<{ runId: string; cycleIds: string[] }>;
  /** Every job handler of the catalogue. */
  jobs(): JobImplementation<any>[];
  /** Re-enqueues what the rows say is pending or whose lease expired; marks overdue awaits; polls inboxes. */
  reconcile(): Promise<{ enqueued: number; overdue: string[]; responses: number }>;
  /** Runs `reconcile` now and every `intervalMs` until stopped. */
  startReconciler(intervalMs: number, onError?: (e: unknown) => void): { stop(): Promise<void> };
  /** A cycle back on its feet after an operator fixed the cause. */
  resumeCycle(cycleId: string): Promise<CycleRow>;
  cancelCycle(cycleId: string): Promise<CycleRow>;
  retryBatch(runId: string, unit: string): Promise<string[]>;
}

export const newId = (prefix: string, now = new Date()) =>
  `${prefix}-${now.toISOString().replace(/[-:TZ.]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;

export const jobId = (...parts: Array<string | number>) => parts.map((p) => String(p).replace(/[^A-Za-z0-9_.-]/g, '_')).join('-');

export function createOrchestrator(o: OrchestratorOptions): Orchestrator {
  const owner = o.owner ?? `${process.pid}-${randomBytes(3).toString('hex')}`;
  const now = o.now ?? (() => new Date());

  const enqueueCycle = (cycleId: string, stage: JobStage, attempt: number) =>
    o.queue.enqueue({ name: STAGE_JOB[stage], id: jobId(cycleId, stage, attempt), payload: { cycleId } });
  const enqueueBatch = (runId: string, batchId: string, attempt: number) =>
    o.queue.enqueue({ name: 'run.gather-batch', id: jobId(runId, 'gather', batchId, attempt), payload: { runId, batchId } });
  const enqueuePlan = (runId: string, attempt: number) =>
    o.queue.enqueue({ name: 'run.plan', id: jobId(runId, 'plan', attempt), payload: { runId } });

  /**
   * Claim, run with a renewed lease and a fenced database, commit the outcome under the same token.
   * A delivery that finds nothing to claim (done, or owned by a live worker) is a no-op.
   */
  async function leased(kind: LeaseKind, id: string, stage: string,
    work: (lease: Lease, fenced: Database, signal: AbortSignal) => Promise<void>): Promise<void> {
    // A cycle failed here (out of attempts, or below) finishes its run in the same transaction, as a
    // completed one does: nobody reading both ever sees every cycle settled beside a running run.
    const claim: ClaimResult = await o.db.unitOfWork(async (r) => {
      const c = await r.leases.claim(kind, id, stage, owner, o.leaseMs, o.maxAttempts);
      if (c.status === 'exhausted' && kind === 'cycle') await finishRunIn(r, id);
      return c;
    });
    if (claim.status !== 'claimed') return;
    const { lease } = claim;
    const alive = keepLeaseAlive(o.db, lease, o.leaseMs);
    try {
      await work(lease, fencedDatabase(o.db, lease, o.leaseMs), alive.signal);
    } catch (e) {
      if (e instanceof LeaseLostError) throw e;
      if (isPermanentFailure(e)) {
        await o.db.unitOfWork(async (r) => {
          if ((await r.leases.fail(lease, describe(e))) && kind === 'cycle') await finishRunIn(r, id);
        }).catch(() => {});
        throw e;
      }
      // Keep the lease through the backoff so the reconciler does not jump the queue's retry.
      const hold = retryDelay(e, claim.attempt, o.backoff) ?? 0;
      await o.db.unitOfWork(async (r) => {
        if (kind === 'cycle') await r.cycles.recordError(lease, describe(e));
        if (kind === 'batch') await r.runs.recordBatchError(lease, describe(e));
        if (kind === 'run') await r.runs.recordRunError(lease, describe(e));
        await r.leases.fence(lease, Math.max(hold, 1));
      }).catch(() => {});
      throw e;
    } finally {
      alive.stop();
    }
  }

  async function finishRunIn(r: Repositories, cycleId: string): Promise<void> {
    const c = await r.cycles.get(cycleId);
    if (c) await r.runs.finishIfCyclesDone(c.runId);
  }
  const finishRunOf = (cycleId: string) => o.db.unitOfWork((r) => finishRunIn(r, cycleId));

  async function runCycleStage(stage: JobStage, cycleId: string): Promise<void> {
    await leased('cycle', cycleId, stage, async (lease, fenced, signal) => {
      const cycle = await o.db.unitOfWork((r) => r.cycles.get(cycleId));
      if (!cycle) throw new VendorflowError('NOT_FOUND', `no cycle ${cycleId}`);
      const started = now();
      const input: CycleStageInput = {
        db: fenced, tenantId: cycle.tenantId, runId: cycle.runId, cycleId, vendorId: cycle.vendorId,
        kind: cycle.kind, counters: cycle.counters, signal,
      };
      const counts = await runStage(stage, input);
      crashPoint(`cycle.${stage}.before-commit`);
      const next = NEXT[stage];
      const deadline = next.stage === 'await'
        ? new Date(now().getTime() + ((await o.stages.responseWindowMs(cycle.tenantId, cycle.vendorId)) ?? o.defaultResponseWindowMs))
        : undefined;
      const timing = { [stage]: { startedAt: started.toISOString(), ms: now().getTime() - started.getTime(), rssMb: Math.round(process.memoryUsage().rss / 1048576) } };
      await o.db.unitOfWork(async (r) => {
        const moved = await r.cycles.advance(lease, stage, { ...next, deadline, counters: prefixed(stage, counts), timing });
        if (!moved) throw new LeaseLostError(lease);
        if (next.stage === 'done') await r.runs.finishIfCyclesDone(cycle.runId);
      });
      if (isJobStage(next.stage)) await enqueueCycle(cycleId, next.stage, 1);
    });
  }

  async function runStage(stage: JobStage, input: CycleStageInput): Promise<Counts> {
    const responseFileId = String(input.counters.responseFileId ?? '');
    switch (stage) {
      case 'generate': return o.stages.generateFile(input);
      case 'deliver': {
        const outboundFileId = String(input.counters['generate.outboundFileId'] ?? '');
        if (!outboundFileId) throw new VendorflowError('INTERNAL', `cycle ${input.cycleId}: no outbound file recorded by generate`);
        return o.stages.deliverFile({ ...input, outboundFileId });
      }
      case 'ingest': return o.stages.ingestFile({ ...input, responseFileId });
      case 'apply': return o.stages.applyFile({ ...input, responseFileId });
      case 'reconcile': return o.stages.reconcileCycle({ ...input, responseFileId });
    }
  }

  const handlers: JobImplementation<any>[] = [
    implement('run.plan', async ({ runId }) => {
      await leased('run', runId, 'plan', async (lease, fenced, signal) => {
        const run = await o.db.unitOfWork((r) => r.runs.get(runId));
        if (!run) throw new VendorflowError('NOT_FOUND', `no run ${runId}`);
        const counts = await o.stages.planRun({ db: fenced, tenantId: run.tenantId, runId, gatherMode: run.gatherMode, signal });
        crashPoint('run.plan.before-commit');
        const fan = await o.db.unitOfWork(async (r) => {
          await r.runs.mergeSummary(runId, { plan: counts });
          return r.runs.planned(lease);
        });
        if (fan.gathered) for (const c of fan.cycleIds) await enqueueCycle(c, 'generate', 1);
        else await enqueueAllBatches(runId);
      });
    }),
    implement('run.gather-batch', async ({ runId, batchId }) => {
      await leased('batch', batchId, 'gather', async (lease, fenced, signal) => {
        const run = await o.db.unitOfWork((r) => r.runs.get(runId));
        if (!run) throw new VendorflowError('NOT_FOUND', `no run ${runId}`);
        const counts = await o.stages.gatherBatch({ db: fenced, tenantId: run.tenantId, runId, batchId, gatherMode: run.gatherMode, signal });
        crashPoint('run.gather.before-fan-in');
        // Fan-in: the batch's completion and the run's count commit together, under our token.
        const fan = await o.db.unitOfWork(async (r) => {
          const f = await r.runs.completeBatch(lease, counts);
          if (!f) throw new LeaseLostError(lease);
          return f;
        });
        crashPoint('run.gather.after-fan-in');
        if (fan.gathered) for (const c of fan.cycleIds) await enqueueCycle(c, 'generate', 1);
      });
    }),
    ...(Object.keys(STAGE_JOB) as JobStage[]).map((stage) =>
      implement(STAGE_JOB[stage] as 'cycle.generate', async ({ cycleId }) => runCycleStage(stage, cycleId))),
    implement('vendor.pickup', async ({ tenantId, vendorId }) => {
      const controller = new AbortController();
      const found = await o.stages.pollInbox({ db: o.db, tenantId, vendorId, signal: controller.signal });
      for (const f of found) {
        if (f.answersFileId === null) {
          await o.queue.enqueue({ name: 'vendor.ingest-unsolicited', id: jobId('unsolicited', f.fileId), payload: { tenantId, vendorId, fileId: f.fileId } });
        }
      }
      await correlateResponses(found.filter((f) => f.answersFileId !== null) as Array<{ fileId: string; answersFileId: string }>);
    }),
    implement('vendor.ingest-unsolicited', async ({ tenantId, vendorId, fileId }) => {
      await o.stages.ingestUnsolicited({ db: o.db, tenantId, vendorId, fileId, signal: new AbortController().signal });
    }),
  ];

  /** A response file that answers an awaiting cycle's outbound file moves that cycle on to ingest. */
  async function correlateResponses(files: Array<{ fileId: string; answersFileId: string }>): Promise<number> {
    let moved = 0;
    for (const f of files) {
      const cycleId = await o.db.unitOfWork(async (r) => {
        const c = await r.cycles.awaitingFor(f.answersFileId);
        return c && (await r.cycles.responseArrived(c.cycleId, f.fileId)) ? c.cycleId : null;
      });
      if (cycleId) { moved++; await enqueueCycle(cycleId, 'ingest', 1); }
    }
    return moved;
  }

  async function enqueueAllBatches(runId: string): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<Repositories['runs']['batches']>> = await o.db.unitOfWork((r) => r.runs.batches(runId, after, 500));
      for (const b of page) if (b.status === 'pending') await enqueueBatch(runId, b.batchId, b.attempts + 1);
      if (page.length < 500) return;
      after = page[page.length - 1]!.batchId;
    }
  }

  async function reconcile() {
    const due = await o.db.unitOfWork((r) => r.leases.due(500));
    for (const d of due) {
      if (d.kind === 'run') await enqueuePlan(d.id, d.attempts + 1);
      else if (d.kind === 'batch') await enqueueBatch(d.runId, d.id, d.attempts + 1);
      else if (isJobStage(d.stage)) await enqueueCycle(d.id, d.stage, d.attempts + 1);
    }
    const overdue = await o.db.unitOfWork((r) => r.cycles.markOverdue());
    // Responses recorded but not yet acted on (a crash between pickup and correlation) are found from the rows.
    const responses = await correlateResponses(await o.db.unitOfWork((r) => r.cycles.answeredWhileAwaiting(500)));
    const inboxes = await o.db.unitOfWork((r) => r.cycles.awaitingInboxes());
    const bucket = Math.floor(now().getTime() / o.pickupIntervalMs);
    for (const i of inboxes) {
      await o.queue.enqueue({ name: 'vendor.pickup', id: jobId('pickup', i.tenantId, i.vendorId, bucket), payload: i });
    }
    return { enqueued: due.length, overdue, responses };
  }

  return {
    async startRun(req) {
      if (req.vendorIds.length === 0) throw new VendorflowError('USAGE', 'a run needs at least one vendor');
      const at = now();
      const runId = newId('run', at);
      const cycleIds = req.vendorIds.map(() => newId('cyc', at));
      await o.db.unitOfWork(async (r) => {
        const tenant = await r.tenants.get(req.tenantId);
        if (!tenant) throw new VendorflowError('NOT_FOUND', `no tenant ${req.tenantId}`);
        await r.runs.create({ tenantId: req.tenantId, runId, kind: req.kind, gatherMode: req.gatherMode ?? 'batched', options: { vendorIds: req.vendorIds, trigger: req.trigger ?? 'manual' } });
        await r.cycles.createMany(req.vendorIds.map((vendorId, i) => ({
          tenantId: req.tenantId, cycleId: cycleIds[i]!, runId, vendorId, kind: req.kind,
          scheduledFor: req.scheduledFor ?? at, trigger: req.trigger ?? 'manual',
        })));
      });
      await enqueuePlan(runId, 1).catch(() => {}); // the reconciler enqueues it if the queue is down
      return { runId, cycleIds };
    },
    jobs: () => handlers,
    reconcile,
    startReconciler(intervalMs, onError) {
      let stopped = false;
      let current: Promise<unknown> = Promise.resolve();
      const tick = () => {
        if (stopped) return;
        current = reconcile().catch((e) => onError?.(e)).finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
      };
      let timer: NodeJS.Timeout = setTimeout(tick, 0);
      return {
        async stop() {
          stopped = true;
          clearTimeout(timer);
          await current;
        },
      };
    },
    async resumeCycle(cycleId) {
      const c = await o.db.unitOfWork((r) => r.cycles.resume(cycleId));
      if (isJobStage(c.stage) && c.status === 'running') await enqueueCycle(c.cycleId, c.stage, 1).catch(() => {});
      return c;
    },
    async cancelCycle(cycleId) {
      const c = await o.db.unitOfWork((r) => r.cycles.cancel(cycleId));
      await finishRunOf(cycleId);
      return c;
    },
    async retryBatch(runId, unit) {
      const ids = await o.db.unitOfWork((r) => r.runs.retryBatch(runId, unit));
      for (const id of ids) await enqueueBatch(runId, id, 1).catch(() => {});
      return ids;
    },
  };
}

function prefixed(stage: string, counts: Counts): Counts {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${stage}.${k}`, v]));
}

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? e);
}
