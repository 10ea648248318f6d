import { Semaphore } from '../../connectors/http/semaphore.js';
import type { GatherBatch } from '../../engines/database/repositories/gather.js';
import { planRun, type PlanOptions } from '../plan/plan-run.js';
import { DEFAULT_GATHER, gatherBatch, type BatchGatherResult, type GatherDeps, type GatherOptions } from './gather-batch.js';
import { cacheDelta, summarizeGather, type GatherSummary } from './gather-summary.js';

export interface GatherRunOptions extends Partial<GatherOptions> {
  tenantId: string;
  runId: string;
  plan?: Partial<PlanOptions>;
  /** Batches gathered at once. */
  batchConcurrency?: number;
  /** Which planned batches to (re-)gather: all, or those not done / with incomplete employees. */
  only?: 'all' | 'unfinished';
  onBatch?: (r: BatchGatherResult, done: number, total: number) => void;
}

/**
 * A whole run's gather in this process: plan (once; planning again is a no-op), gather each batch,
 * record each batch's outcome on its row, and store the summary on the run. The distributed path
 * calls `gatherBatch` per batch from job handlers instead; both write the same rows.
 */
export async function gatherRun(deps: GatherDeps, opts: GatherRunOptions): Promise<GatherSummary> {
  const started = performance.now();
  const mode = opts.mode ?? DEFAULT_GATHER.mode;
  const http = deps.connectors.http;
  const sentBefore = http.counters.sent();
  const tripsBefore = Object.values(http.stats()).reduce((n, s) => n + s.breakerTrips, 0);
  const cacheBefore = deps.cache?.stats();

  const existing = await deps.db.unitOfWork((r) => r.gather.runBatches(opts.runId, null, 1));
  if (existing.length === 0) {
    await planRun({ db: deps.db, tenantId: opts.tenantId, runId: opts.runId, gatherMode: mode, org: deps.connectors.org, plan: opts.plan ?? {} });
  }
  const planCalls = http.counters.sent() - sentBefore;

  const batches: GatherBatch[] = [];
  for (let after: string | null = null; ;) {
    const page = await deps.db.unitOfWork((r) => r.gather.runBatches(opts.runId, after, 1000));
    if (page.length === 0) break;
    batches.push(...page);
    after = page[page.length - 1]!.batchId;
  }
  const todo = opts.only === 'unfinished'
    ? batches.filter((b) => b.status !== 'done' || Number(b.counts.incomplete ?? 0) > 0)
    : batches;
  // Largest first: a big batch that starts last is the run's tail, small ones fill in around the big.
  todo.sort((a, b) => b.employeeIds.length - a.employeeIds.length);

  const limit = new Semaphore(opts.batchConcurrency ?? 4);
  const results: BatchGatherResult[] = [];
  let done = 0;
  // Every batch finishes (or records its failure) before a failure is thrown.
  const settled = await Promise.allSettled(todo.map((b) => limit.run(async () => {
    try {
      const r = await gatherBatch(deps, b.batchId, opts);
      await deps.db.unitOfWork((repo) => repo.gather.finishBatch(b.batchId, 'done', { ...r }, null));
      results.push(r);
      opts.onBatch?.(r, ++done, todo.length);
    } catch (e) {
      await deps.db.unitOfWork((repo) => repo.gather.finishBatch(b.batchId, 'failed', {}, (e as Error).message));
      throw e;
    }
  })));
  const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;

  const tripsAfter = Object.values(http.stats()).reduce((n, s) => n + s.breakerTrips, 0);
  const summary = summarizeGather({
    mode, results, planCalls, breakerTrips: tripsAfter - tripsBefore,
    cache: cacheBefore && deps.cache && mode === 'batched' ? cacheDelta(cacheBefore, deps.cache.stats()) : null,
    seconds: (performance.now() - started) / 1000,
  });
  await deps.db.unitOfWork((r) => r.gather.mergeRunSummary(opts.runId, { gather: summary }));
  return summary;
}
