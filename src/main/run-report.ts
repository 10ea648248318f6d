import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Database } from '../engines/database/port.js';
import type { CycleRow } from '../engines/database/repositories/cycles.js';
import type { RunRow } from '../engines/database/repositories/runs.js';

/** The stages a run reports on, in order: the run's own, then each cycle's. */
export const REPORT_STAGES = ['plan', 'gather', 'generate', 'deliver', 'await', 'ingest', 'apply', 'reconcile'] as const;
export type ReportStage = typeof REPORT_STAGES[number];

export interface StageObservation { startedMs: number | null; endedMs: number | null; peakRssMb: number }

export interface RunProgress {
  run: RunRow;
  cycles: CycleRow[];
  /** Employees gathered so far (batches done × their size is not known without a read: use batchesDone/total). */
  stage: ReportStage | 'done';
}

const FINISHED = new Set(['done', 'failed', 'cancelled']);

/**
 * A run and its cycles as one observation. The cycles are read first: the transaction that finishes
 * a run's last cycle also finishes the run, and each statement sees what was committed before it,
 * so a run read after its cycles is never older than they are (read before, it could still say
 * running beside cycles that are all done).
 */
export async function readRunState(db: Database, runId: string): Promise<{ run: RunRow; cycles: CycleRow[] }> {
  return db.unitOfWork(async (r) => {
    const cycles = await r.cycles.byRun(runId);
    return { cycles, run: (await r.runs.get(runId))! };
  });
}

/** A cycle is settled once it cannot move without an operator: done, failed, cancelled. */
export const cycleSettled = (c: CycleRow) => FINISHED.has(c.status);

/**
 * Follows a run from its rows until every cycle is settled (or `until` says so), sampling this
 * process's memory and the time each stage was first and last seen in flight. Works the same
 * whichever process runs the jobs: it only reads.
 */
export async function watchRun(db: Database, runId: string, opts: {
  pollMs?: number; onProgress?: (p: RunProgress) => void; until?: (p: RunProgress) => boolean; signal?: AbortSignal;
  /** Extra process ids whose memory is sampled too (workers, simulators). */
  pids?: number[];
}): Promise<{ run: RunRow; cycles: CycleRow[]; stages: Record<ReportStage, StageObservation>; peakRssMb: Record<string, number> }> {
  const started = performance.now();
  const stages = Object.fromEntries(REPORT_STAGES.map((s) => [s, { startedMs: null, endedMs: null, peakRssMb: 0 }])) as Record<ReportStage, StageObservation>;
  const peaks: Record<string, number> = {};
  for (;;) {
    const { run, cycles } = await readRunState(db, runId);
    const at = performance.now() - started;
    const rss = Math.round(process.memoryUsage().rss / 1048576);
    peaks.self = Math.max(peaks.self ?? 0, rss);
    const now = (opts.pids ?? []).map((pid) => processRssMb(pid));
    (opts.pids ?? []).forEach((pid, i) => { peaks[String(pid)] = Math.max(peaks[String(pid)] ?? 0, now[i]!); });
    const live = new Set<ReportStage>();
    if (run.status === 'running' && run.stage !== 'cycles') live.add(run.stage);
    for (const c of cycles) if (!FINISHED.has(c.status) && c.stage !== 'gather' && c.stage !== 'done' && c.status !== 'pending') live.add(c.stage as ReportStage);
    for (const s of live) {
      const o = stages[s];
      o.startedMs ??= at;
      o.endedMs = at;
      o.peakRssMb = Math.max(o.peakRssMb, rss, ...now);
    }
    const stage = REPORT_STAGES.find((s) => live.has(s)) ?? 'done';
    const progress: RunProgress = { run, cycles, stage };
    opts.onProgress?.(progress);
    const settled = ['blocked', 'failed', 'cancelled'].includes(run.status) || (cycles.length > 0 && cycles.every(cycleSettled));
    if (settled || opts.until?.(progress) || opts.signal?.aborted) return { run, cycles, stages, peakRssMb: peaks };
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
}

/** Why a run's employees could not be gathered, most frequent first: "3590 CIRCUIT_OPEN, 12 ...". */
export function incompleteReasons(reasons: Record<string, number>, top = Infinity): string {
  return Object.entries(reasons).sort((a, b) => b[1] - a[1]).slice(0, top).map(([reason, n]) => `${n} ${reason}`).join(', ');
}

/** Resident memory of a live process in MB, from /proc (0 when it is gone or /proc is absent). */
export function processRssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/**
 * The digest two runs of the same input must agree on, whatever engines ran them: SHA-256 over
 * every benefit record of the tenant × vendors as (tenant, employee, vendor, plan, version, applied
 * values), in key order, read in keyset pages.
 */
export async function benefitRecordsChecksum(db: Database, tenantId: string, vendorIds: readonly string[]): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  for (const vendorId of [...vendorIds].sort()) {
    for (let after: { employeeId: string; planCode: string } | null = null; ;) {
      const page: { lines: string[]; last: { employeeId: string; planCode: string } | null } =
        await db.unitOfWork((r) => r.runResults.recordDigestPage(tenantId, vendorId, after));
      for (const line of page.lines) hash.update(line).update('\n');
      rows += page.lines.length;
      if (!page.last) break;
      after = page.last;
    }
  }
  return { rows, sha256: hash.digest('hex') };
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0)) || 0;

export interface VendorOutcome {
  vendorId: string; cycleId: string; status: string; stage: string; sla: string | null; error: string | null;
  file: { name: string | null; bytes: number; records: number };
  transfer: { seconds: number; mbPerSecond: number | null };
  response: {
    received: number; applied: number; merged: number; rejected: number; conflicted: number; skipped: number; identitiesHold: boolean | null;
    /** Why the whole response was set aside (nothing applied), or null. */
    quarantined: string | null;
  };
  stageMs: Record<string, number>;
}

export interface RunSummary {
  runId: string; tenantId: string; status: string; employees: number; incomplete: number;
  calls: { made: number; naive: number; ratio: number | null; cacheServed: number };
  vendors: VendorOutcome[];
}

/** What a finished run did, from its rows: calls, files, transfers and each response's counts. */
export async function summariseRun(db: Database, runId: string): Promise<RunSummary> {
  const { run, cycles } = await readRunState(db, runId);
  const totals = { employees: 0, incomplete: 0, made: 0, naive: 0, cacheServed: 0 };
  for (let after: string | null = null; ;) {
    const page = await db.unitOfWork((r) => r.runs.batches(runId, after, 500));
    for (const b of page) {
      totals.employees += num(b.counts.employees);
      totals.incomplete += num(b.counts.incomplete);
      totals.made += num(b.counts.calls);
      totals.naive += num(b.counts.naiveCalls);
      totals.cacheServed += num(b.counts.cacheServed);
    }
    if (page.length < 500) break;
    after = page[page.length - 1]!.batchId;
  }
  // Planning's calls (org units and their version lists) count as made too.
  const plan = (run.summary.plan ?? {}) as Record<string, unknown>;
  totals.made += num(plan.calls);
  return {
    runId, tenantId: run.tenantId, status: run.status, employees: totals.employees, incomplete: totals.incomplete,
    calls: { made: totals.made, naive: totals.naive, ratio: totals.made ? Number((totals.naive / totals.made).toFixed(1)) : null, cacheServed: totals.cacheServed },
    vendors: cycles.map((c) => vendorOutcome(c)).sort((a, b) => a.vendorId.localeCompare(b.vendorId)),
  };
}

function vendorOutcome(c: CycleRow): VendorOutcome {
  const k = c.counters;
  const seconds = num(k['deliver.seconds']);
  const bytes = num(k['generate.bytes']);
  const stageMs: Record<string, number> = {};
  for (const [stage, t] of Object.entries(c.timings)) stageMs[stage] = num((t as { ms?: number }).ms);
  const identities = k['reconcile.receivedIdentityHolds'];
  return {
    vendorId: c.vendorId, cycleId: c.cycleId, status: c.status, stage: c.stage, sla: c.slaStatus, error: c.error,
    file: { name: (k['generate.name'] as string | undefined) ?? null, bytes, records: num(k['generate.records']) },
    transfer: { seconds, mbPerSecond: seconds > 0 ? Number((bytes / 1048576 / seconds).toFixed(1)) : null },
    response: {
      received: num(k['reconcile.received']), applied: num(k['reconcile.applied']), merged: num(k['reconcile.merged']),
      rejected: num(k['reconcile.rejected']), conflicted: num(k['reconcile.conflicted']), skipped: num(k['reconcile.skipped']),
      identitiesHold: identities === undefined ? null : identities === true && k['reconcile.sentIdentityHolds'] === true,
      quarantined: k['ingest.status'] === 'quarantined' ? String(k['ingest.reason'] ?? 'quarantined') : null,
    },
    stageMs,
  };
}
