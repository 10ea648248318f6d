import type { CacheStats } from '../../engines/cache/two-layer-cache.js';
import type { BatchGatherResult, GatherMode } from './gather-batch.js';
import { addTally, emptyTally, type GatherTally } from './gather-tally.js';

/** The run's gather in figures: stored on the run (`runs.summary.gather`), printed by the bench. */
export interface GatherSummary {
  mode: GatherMode;
  batches: number;
  employees: number;
  complete: number;
  incomplete: number;
  incompleteReasons: Record<string, number>;
  /** HTTP attempts made (plan and gather, retries included) and what the naive path would make. */
  calls: number;
  naiveCalls: number;
  callsSavedPct: number;
  retries: number;
  rateLimited: number;
  refusedByBreaker: number;
  breakerTrips: number;
  cache: { l1: { hits: number; misses: number; hitRate: number }; l2: { hits: number; misses: number; hitRate: number } };
  records: GatherTally;
  seconds: number;
}

const RETRIED = ['server_error', 'timeout', 'connection_error', 'invalid'];
const rate = (h: number, m: number) => (h + m === 0 ? 0 : Math.round((h / (h + m)) * 10_000) / 100);

export function summarizeGather(opts: {
  mode: GatherMode; results: readonly BatchGatherResult[]; planCalls: number; breakerTrips: number;
  cache: CacheStats | null; seconds: number;
}): GatherSummary {
  const records = emptyTally();
  const reasons: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  let employees = 0; let complete = 0; let calls = opts.planCalls; let naive = 0;
  for (const r of opts.results) {
    employees += r.employees;
    complete += r.complete;
    calls += r.calls;
    naive += r.naiveCalls;
    addTally(records, r.tally);
    for (const [k, v] of Object.entries(r.reasons)) reasons[k] = (reasons[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  }
  const c = opts.cache ?? { l1: { hits: 0, misses: 0 }, l2: { hits: 0, misses: 0 } };
  return {
    mode: opts.mode, batches: opts.results.length, employees, complete, incomplete: employees - complete,
    incompleteReasons: reasons, calls, naiveCalls: naive,
    callsSavedPct: naive === 0 ? 0 : Math.round((1 - calls / naive) * 10_000) / 100,
    retries: RETRIED.reduce((n, k) => n + (outcomes[k] ?? 0), 0),
    rateLimited: outcomes.rate_limited ?? 0,
    refusedByBreaker: outcomes.circuit_open ?? 0,
    breakerTrips: opts.breakerTrips,
    cache: {
      l1: { ...c.l1, hitRate: rate(c.l1.hits, c.l1.misses) },
      l2: { ...c.l2, hitRate: rate(c.l2.hits, c.l2.misses) },
    },
    records, seconds: Math.round(opts.seconds * 100) / 100,
  };
}

/** Cache counters between two readings of one process's cache. */
export function cacheDelta(before: CacheStats, after: CacheStats): CacheStats {
  return {
    l1: { hits: after.l1.hits - before.l1.hits, misses: after.l1.misses - before.l1.misses },
    l2: { hits: after.l2.hits - before.l2.hits, misses: after.l2.misses - before.l2.misses },
    loads: after.loads - before.loads,
    invalidationsReceived: after.invalidationsReceived - before.invalidationsReceived,
    resets: after.resets - before.resets,
  };
}
