import { sql, type Kysely } from 'kysely';
import { VendorflowError } from '../../../shared/errors.js';
import type { DB } from '../schema.js';
import { assertChunk } from './chunk.js';
import type { Lease } from './leases.js';

export type RunStatus = 'running' | 'blocked' | 'done' | 'failed' | 'cancelled';
/** plan (a job) -> gather (batch jobs, fan-in) -> cycles (each vendor's cycle takes it from here) */
export type RunStage = 'plan' | 'gather' | 'cycles';

export interface RunRow {
  tenantId: string; runId: string; status: RunStatus; stage: RunStage; kind: string; gatherMode: string;
  batchesTotal: number; batchesDone: number; batchesFailed: number; attempts: number;
  options: Record<string, unknown>; summary: Record<string, unknown>; error: string | null;
  createdAt: Date; finishedAt: Date | null;
}

export interface BatchRow {
  batchId: string; runId: string; location: string; department: string; part: number; employees: number;
  status: string; attempts: number; leaseOwner: string | null; leaseExpiresAt: Date | null;
  counts: Record<string, unknown>; error: string | null;
}

export interface FanIn { done: number; failed: number; total: number; gathered: boolean; blocked: boolean; cycleIds: string[] }

export interface RunsRepository {
  create(run: { tenantId: string; runId: string; kind: string; gatherMode: string; options: Record<string, unknown> }): Promise<void>;
  get(runId: string): Promise<RunRow | undefined>;
  /** The planner's batches (one chunk per call); a unit planned again keeps its row. */
  addBatches(tenantId: string, runId: string, batches: ReadonlyArray<{ batchId: string; location: string; department: string; part: number; employeeIds: string[] }>): Promise<void>;
  /** After planning: counts the run's batches and moves it to gather (or straight on when there are none). */
  planned(lease: Lease): Promise<FanIn>;
  /** Fan-in: marks the batch done and counts it on the run, in the caller's transaction; null when the lease is stale. */
  completeBatch(lease: Lease, counts: Record<string, unknown>): Promise<FanIn | null>;
  recordBatchError(lease: Lease, message: string): Promise<void>;
  /** The run's own stage (plan) failed an attempt: kept so a run out of attempts can say why. */
  recordRunError(lease: Lease, message: string): Promise<void>;
  /** Keyset page of a run's batches. */
  batches(runId: string, afterBatchId: string | null, limit: number): Promise<BatchRow[]>;
  /** Puts one batch (by id, or `location/department`) back to pending so the reconciler gathers it again. */
  retryBatch(runId: string, unit: string): Promise<string[]>;
  mergeSummary(runId: string, summary: Record<string, unknown>): Promise<void>;
  /** Marks the run done once no cycle of it is still in flight. */
  finishIfCyclesDone(runId: string): Promise<boolean>;
  cancel(runId: string): Promise<void>;
}

function toRun(r: any): RunRow {
  return {
    tenantId: r.tenant_id, runId: r.run_id, status: r.status, stage: r.stage, kind: r.kind, gatherMode: r.gather_mode,
    batchesTotal: r.batches_total, batchesDone: r.batches_done, batchesFailed: r.batches_failed, attempts: r.attempts,
    options: r.options, summary: r.summary, error: r.error, createdAt: r.created_at, finishedAt: r.finished_at,
  };
}

export function createRunsRepository(db: Kysely<DB>): RunsRepository {
  /** Once every batch is counted: on to the cycles, or blocked on failed batches. Same transaction as the count. */
  const afterCount = async (runId: string, c: { batches_done: number; batches_failed: number; batches_total: number }): Promise<FanIn> => {
    const fan: FanIn = { done: c.batches_done, failed: c.batches_failed, total: c.batches_total, gathered: false, blocked: false, cycleIds: [] };
    if (c.batches_done + c.batches_failed < c.batches_total) return fan;
    if (c.batches_failed > 0) {
      await db.updateTable('runs').set({
        status: 'blocked', updated_at: new Date(),
        error: `gather incomplete: ${c.batches_failed} batch(es) failed; vendorflow run retry-batch ${runId} UNIT`,
      }).where('run_id', '=', runId).where('status', '=', 'running').execute();
      return { ...fan, blocked: true };
    }
    await db.updateTable('runs').set({ stage: 'cycles', status: 'running', error: null, updated_at: new Date() })
      .where('run_id', '=', runId).execute();
    const started = await db.updateTable('cycles').set({ status: 'running', stage: 'generate', attempts: 0, updated_at: new Date() })
      .where('run_id', '=', runId).where('status', '=', 'pending').returning('cycle_id').execute();
    return { ...fan, gathered: true, cycleIds: started.map((r) => r.cycle_id) };
  };

  return {
    async create(run) {
      await db.insertInto('runs').values({
        tenant_id: run.tenantId, run_id: run.runId, status: 'running', stage: 'plan', kind: run.kind,
        gather_mode: run.gatherMode, options: JSON.stringify(run.options), summary: '{}',
      }).execute();
    },
    async get(runId) {
      const r = await db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
      return r && toRun(r);
    },
    async addBatches(tenantId, runId, batches) {
      if (batches.length === 0) return;
      assertChunk(batches, 'runs.addBatches');
      await db.insertInto('batches').values(batches.map((b) => ({
        tenant_id: tenantId, batch_id: b.batchId, run_id: runId, location: b.location, department: b.department,
        part: b.part, employee_ids: JSON.stringify(b.employeeIds), status: 'pending', counts: '{}',
      }))).onConflict((oc) => oc.columns(['run_id', 'location', 'department', 'part']).doNothing()).execute();
    },
    async planned(lease) {
      const { n } = await db.selectFrom('batches').select((eb) => eb.fn.countAll<string>().as('n'))
        .where('run_id', '=', lease.id).executeTakeFirstOrThrow();
      const row = await db.updateTable('runs')
        .set({ batches_total: Number(n), batches_done: 0, batches_failed: 0, stage: 'gather', lease_expires_at: null, lease_owner: null, attempts: 0, updated_at: new Date() })
        .where('run_id', '=', lease.id).where(sql<number>`lease_token`, '=', lease.token).where('stage', '=', 'plan')
        .returning(['batches_done', 'batches_failed', 'batches_total']).executeTakeFirst();
      if (!row) throw new VendorflowError('CONFLICT', `run ${lease.id}: plan lease lost to a newer owner`);
      return afterCount(lease.id, row);
    },
    async completeBatch(lease, counts) {
      const b = await db.updateTable('batches')
        .set({ status: 'done', counts: JSON.stringify(counts), error: null, lease_owner: null, lease_expires_at: null, updated_at: new Date() })
        .where('batch_id', '=', lease.id).where(sql<number>`lease_token`, '=', lease.token).where('status', '=', 'pending')
        .returning('run_id').executeTakeFirst();
      if (!b) return null;
      const c = await sql<{ batches_done: number; batches_failed: number; batches_total: number }>`
        update runs set batches_done = batches_done + 1, updated_at = now() where run_id = ${b.run_id}
        returning batches_done, batches_failed, batches_total`.execute(db);
      return afterCount(b.run_id, c.rows[0]!);
    },
    async recordRunError(lease, message) {
      await db.updateTable('runs').set({ error: message.slice(0, 2000), updated_at: new Date() })
        .where('run_id', '=', lease.id).where(sql<number>`lease_token`, '=', lease.token).execute();
    },
    async recordBatchError(lease, message) {
      await db.updateTable('batches').set({ error: message.slice(0, 2000), updated_at: new Date() })
        .where('batch_id', '=', lease.id).where(sql<number>`lease_token`, '=', lease.token).execute();
    },
    async batches(runId, after, limit) {
      let q = db.selectFrom('batches').select([
        'batch_id', 'run_id', 'location', 'department', 'part', 'status', 'attempts', 'lease_owner', 'lease_expires_at', 'counts', 'error',
        sql<number>`jsonb_array_length(employee_ids)`.as('employees'),
      ]).where('run_id', '=', runId);
      if (after !== null) q = q.where('batch_id', '>', after);
      const rows = await q.orderBy('batch_id').limit(limit).execute();
      return rows.map((r) => ({
        batchId: r.batch_id, runId: r.run_id, location: r.location, department: r.department, part: r.part,
        employees: Number(r.employees), status: r.status, attempts: r.attempts, leaseOwner: r.lease_owner,
        leaseExpiresAt: r.lease_expires_at, counts: r.counts, error: r.error,
      }));
    },
    async retryBatch(runId, unit) {
      const run = await db.selectFrom('runs').select(['stage', 'status']).where('run_id', '=', runId).forUpdate().executeTakeFirst();
      if (!run) throw new VendorflowError('NOT_FOUND', `no run ${runId}`);
      if (run.stage !== 'gather' || !['running', 'blocked'].includes(run.status)) {
        throw new VendorflowError('CONFLICT', `run ${runId} is ${run.status} at ${run.stage}: a batch can be retried only while the run gathers or is blocked on failed batches`);
      }
      const [location, department] = unit.split('/');
      const matched = await db.selectFrom('batches').select(['batch_id', 'status']).where('run_id', '=', runId)
        .where('status', 'in', ['failed', 'done'])
        .where((eb) => eb.or([
          eb('batch_id', '=', unit),
          ...(department !== undefined ? [eb.and([eb('location', '=', location!), eb('department', '=', department)])] : []),
        ]))
        .orderBy('batch_id').limit(1000).forUpdate().execute();
      if (matched.length === 0) throw new VendorflowError('NOT_FOUND', `run ${runId} has no finished batch "${unit}" (give a batch id or location/department)`);
      const reset = matched;
      await db.updateTable('batches')
        .set({ status: 'pending', attempts: 0, error: null, lease_owner: null, lease_expires_at: null, updated_at: new Date() })
        .where('batch_id', 'in', matched.map((m) => m.batch_id)).execute();
      const failed = matched.filter((r) => r.status === 'failed').length;
      await sql`update runs set batches_failed = batches_failed - ${failed}, batches_done = batches_done - ${reset.length - failed},
        status = 'running', error = null, updated_at = now() where run_id = ${runId}`.execute(db);
      return reset.map((r) => r.batch_id);
    },
    async mergeSummary(runId, summary) {
      await sql`update runs set summary = summary || ${JSON.stringify(summary)}::jsonb, updated_at = now() where run_id = ${runId}`.execute(db);
    },
    async finishIfCyclesDone(runId) {
      // Two cycles finishing at once each see the other still running in their own snapshot: lock the
      // run first so the second waits for the first to commit and then counts it done.
      await sql`select 1 from runs where run_id = ${runId} for update`.execute(db);
      const res = await sql`update runs set status = case when exists (select 1 from cycles c where c.run_id = runs.run_id and c.status = 'failed') then 'failed' else 'done' end,
          finished_at = now(), updated_at = now()
        where run_id = ${runId} and status = 'running' and stage = 'cycles'
          and not exists (select 1 from cycles c where c.run_id = runs.run_id and c.status in ('pending', 'running', 'awaiting', 'awaiting-overdue'))`.execute(db);
      return Number(res.numAffectedRows ?? 0) === 1;
    },
    async cancel(runId) {
      await db.updateTable('runs').set({ status: 'cancelled', finished_at: new Date(), updated_at: new Date(), lease_expires_at: null })
        .where('run_id', '=', runId).where('status', 'in', ['running', 'blocked']).execute();
      await db.updateTable('cycles').set({ status: 'cancelled', updated_at: new Date(), lease_expires_at: null })
        .where('run_id', '=', runId).where('status', 'in', ['pending', 'running', 'awaiting', 'awaiting-overdue']).execute();
    },
  };
}
