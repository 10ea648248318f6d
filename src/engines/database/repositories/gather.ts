import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { assertChunk } from './chunk.js';

/** One planned batch: a run's org unit (or part of one) with the employees it covers. */
export interface PlannedBatch {
  tenantId: string;
  batchId: string;
  runId: string;
  location: string;
  department: string;
  part: number;
  employeeIds: string[];
}

export interface GatherBatch extends PlannedBatch {
  status: string;
  attempts: number;
  counts: Record<string, unknown>;
  error: string | null;
}

/** A stored snapshot row; `data`/`pii` are null for an incomplete employee, `reason` says why. */
export interface SnapshotRow {
  tenantId: string;
  runId: string;
  employeeId: string;
  batchId: string;
  version: number | null;
  status: 'complete' | 'incomplete';
  reason: string | null;
  data: Record<string, unknown> | null;
  pii: Uint8Array | null;
}

export interface GatherRepository {
  /** Creates the run row for a gather if it does not exist yet (the run's own lifecycle is the Cycles area's). */
  ensureRun(run: { tenantId: string; runId: string; gatherMode: string }): Promise<void>;
  /** Inserts up to one chunk of batches; a batch already planned for the same unit part is left as it is. */
  insertBatches(batches: readonly PlannedBatch[]): Promise<number>;
  getBatch(batchId: string): Promise<GatherBatch | undefined>;
  /** Keyset page of a run's batches, by batch id. */
  runBatches(runId: string, afterBatchId: string | null, limit: number): Promise<GatherBatch[]>;
  /** Records a batch's outcome outside the lease protocol (standalone gathers: CLI, tests, benchmarks). */
  finishBatch(batchId: string, status: 'done' | 'failed', counts: Record<string, unknown>, error: string | null): Promise<void>;
  /** Inserts or replaces up to one chunk: a re-run of a batch replaces its employees' rows. */
  upsertSnapshots(rows: readonly SnapshotRow[]): Promise<number>;
  snapshotsPage(runId: string, afterEmployeeId: string | null, limit: number): Promise<SnapshotRow[]>;
  /** Counts by status; incomplete ones grouped by reason. */
  snapshotCounts(runId: string): Promise<{ complete: number; incomplete: number; reasons: Record<string, number> }>;
  mergeRunSummary(runId: string, summary: Record<string, unknown>): Promise<void>;
  runSummary(runId: string): Promise<Record<string, unknown> | undefined>;
}

const BATCH_COLUMNS = ['tenant_id', 'batch_id', 'run_id', 'location', 'department', 'part', 'employee_ids', 'status', 'attempts', 'counts', 'error'] as const;

function toBatch(r: {
  tenant_id: string; batch_id: string; run_id: string; location: string; department: string; part: number;
  employee_ids: string[]; status: string; attempts: number; counts: Record<string, unknown>; error: string | null;
}): GatherBatch {
  return {
    tenantId: r.tenant_id, batchId: r.batch_id, runId: r.run_id, location: r.location, department: r.department,
    part: r.part, employeeIds: r.employee_ids, status: r.status, attempts: r.attempts, counts: r.counts, error: r.error,
  };
}

export function createGatherRepository(db: Kysely<DB>): GatherRepository {
  return {
    async ensureRun(run) {
      await sql`insert into runs (tenant_id, run_id, status, gather_mode) values (${run.tenantId}, ${run.runId}, 'running', ${run.gatherMode})
        on conflict (run_id) do nothing`.execute(db);
    },
    async insertBatches(batches) {
      if (batches.length === 0) return 0;
      assertChunk(batches, 'gather.insertBatches');
      const res = await db.insertInto('batches').values(batches.map((b) => ({
        tenant_id: b.tenantId, batch_id: b.batchId, run_id: b.runId, location: b.location, department: b.department,
        part: b.part, employee_ids: JSON.stringify(b.employeeIds), status: 'pending', counts: '{}',
      }))).onConflict((oc) => oc.columns(['run_id', 'location', 'department', 'part']).doNothing()).executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0);
    },
    async getBatch(batchId) {
      const r = await db.selectFrom('batches').select(BATCH_COLUMNS).where('batch_id', '=', batchId).executeTakeFirst();
      return r && toBatch(r);
    },
    async runBatches(runId, after, limit) {
      let q = db.selectFrom('batches').select(BATCH_COLUMNS).where('run_id', '=', runId);
      if (after !== null) q = q.where('batch_id', '>', after);
      return (await q.orderBy('batch_id').limit(limit).execute()).map(toBatch);
    },
    async finishBatch(batchId, status, counts, error) {
      await db.updateTable('batches').set({
        status, counts: JSON.stringify(counts), error, attempts: sql`attempts + 1`, updated_at: new Date(),
      }).where('batch_id', '=', batchId).execute();
    },
    async upsertSnapshots(rows) {
      if (rows.length === 0) return 0;
      assertChunk(rows, 'gather.upsertSnapshots');
      // The chunk travels as one JSON parameter: each row's data is stringified once, inside the
      // array, instead of per row and then bound as nine parameters a row (the cost was the
      // statement's assembly, not the database's work). Parsed once as jsonb, so each row's data is
      // taken out as it is, not parsed a second time (PGlite parses on this thread).
      const payload = JSON.stringify(rows.map((r) => ({
        t: r.tenantId, r: r.runId, e: r.employeeId, b: r.batchId, v: r.version, s: r.status, x: r.reason, d: r.data,
        p: r.pii === null ? null : Buffer.from(r.pii.buffer, r.pii.byteOffset, r.pii.byteLength).toString('base64'),
      })));
      const res = await sql`insert into snapshots (tenant_id, run_id, employee_id, batch_id, version, status, reason, data, pii)
        select t, r, e, b, v, s, x, d, decode(p, 'base64')
        from jsonb_to_recordset(${payload}::jsonb) as j(t text, r text, e text, b text, v integer, s text, x text, d jsonb, p text)
        on conflict (run_id, employee_id) do update set batch_id = excluded.batch_id, version = excluded.version,
          status = excluded.status, reason = excluded.reason, data = excluded.data, pii = excluded.pii`.execute(db);
      return Number(res.numAffectedRows ?? 0);
    },
    async snapshotsPage(runId, after, limit) {
      let q = db.selectFrom('snapshots').selectAll().where('run_id', '=', runId);
      if (after !== null) q = q.where('employee_id', '>', after);
      const rows = await q.orderBy('employee_id').limit(limit).execute();
      return rows.map((r) => ({
        tenantId: r.tenant_id, runId: r.run_id, employeeId: r.employee_id, batchId: r.batch_id, version: r.version,
        status: r.status as SnapshotRow['status'], reason: r.reason, data: r.data, pii: r.pii,
      }));
    },
    async snapshotCounts(runId) {
      const rows = await db.selectFrom('snapshots').select(['status', 'reason', (eb) => eb.fn.countAll<string>().as('n')])
        .where('run_id', '=', runId).groupBy(['status', 'reason']).execute();
      const out = { complete: 0, incomplete: 0, reasons: {} as Record<string, number> };
      for (const r of rows) {
        const n = Number(r.n);
        if (r.status === 'complete') out.complete += n;
        else {
          out.incomplete += n;
          const reason = (r.reason ?? 'unknown').replace(/ \(.*$/, '');
          out.reasons[reason] = (out.reasons[reason] ?? 0) + n;
        }
      }
      return out;
    },
    async mergeRunSummary(runId, summary) {
      await sql`update runs set summary = summary || ${JSON.stringify(summary)}::jsonb where run_id = ${runId}`.execute(db);
    },
    async runSummary(runId) {
      const r = await db.selectFrom('runs').select('summary').where('run_id', '=', runId).executeTakeFirst();
      return r?.summary;
    },
  };
}
