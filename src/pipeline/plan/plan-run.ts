import { createHash } from 'node:crypto';
import type { Database } from '../../engines/database/port.js';
import type { PlannedBatch } from '../../engines/database/repositories/gather.js';
import { MAX_CHUNK } from '../../engines/database/repositories/chunk.js';

/** An org unit and who is in it now (from the HRIS version list). */
export interface UnitMembers {
  location: string;
  department: string;
  employeeIds: string[];
}

/** Where the planner learns the org structure: the tenant's HRIS, through its connector. */
export interface OrgSource {
  units(traceId?: string): AsyncIterable<UnitMembers>;
}

export interface PlanOptions {
  /** Units above this many employees are split into near-equal parts. */
  maxBatchSize: number;
}

export const DEFAULT_PLAN: PlanOptions = { maxBatchSize: 2000 };

/** Stable across re-plans of the same run: the unit and part decide the id. Safe in job ids (no ':'). */
export function batchId(runId: string, location: string, department: string, part: number): string {
  const h = createHash('sha256').update(`${location}\u0000${department}`).digest('hex').slice(0, 12);
  return `${runId}-${h}-${part}`;
}

/** Pure: one unit → its batches, split into ceil(n / max) parts of near-equal size, ids in order. */
export function splitUnit(tenantId: string, runId: string, unit: UnitMembers, opts: PlanOptions): PlannedBatch[] {
  const ids = [...new Set(unit.employeeIds)].sort();
  if (ids.length === 0) return [];
  const parts = Math.ceil(ids.length / opts.maxBatchSize);
  const size = Math.ceil(ids.length / parts);
  const out: PlannedBatch[] = [];
  for (let p = 0; p < parts; p++) {
    out.push({
      tenantId, runId, location: unit.location, department: unit.department, part: p,
      batchId: batchId(runId, unit.location, unit.department, p), employeeIds: ids.slice(p * size, (p + 1) * size),
    });
  }
  return out;
}

/**
 * Plans a run's gather: every org unit of the tenant becomes one or more `batches` rows (status
 * pending, attempts 0), so each can be gathered, retried or re-run alone. Idempotent: planning the
 * same run again leaves the existing rows as they are. Writes in one-chunk units of work.
 */
export async function planRun(opts: {
  db: Database; tenantId: string; runId: string; gatherMode: 'batched' | 'per-employee'; org: OrgSource;
  plan?: Partial<PlanOptions>; traceId?: string;
}): Promise<{ batches: number; employees: number; units: number }> {
  const plan = { ...DEFAULT_PLAN, ...opts.plan };
  await opts.db.unitOfWork((r) => r.gather.ensureRun({ tenantId: opts.tenantId, runId: opts.runId, gatherMode: opts.gatherMode }));
  let pending: PlannedBatch[] = [];
  let pendingIds = 0;
  const totals = { batches: 0, employees: 0, units: 0 };
  const flush = async () => {
    const rows = pending;
    pending = [];
    pendingIds = 0;
    if (rows.length) await opts.db.unitOfWork((r) => r.gather.insertBatches(rows));
  };
  for await (const unit of opts.org.units(opts.traceId)) {
    const batches = splitUnit(opts.tenantId, opts.runId, unit, plan);
    totals.units++;
    for (const b of batches) {
      pending.push(b);
      pendingIds += b.employeeIds.length;
      totals.batches++;
      totals.employees += b.employeeIds.length;
      // Keep a statement's payload near one chunk of employees as well as one chunk of rows.
      if (pending.length >= MAX_CHUNK || pendingIds >= 20 * MAX_CHUNK) await flush();
    }
  }
  await flush();
  return totals;
}
