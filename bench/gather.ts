/**
 * Gather: batched (cold caches) against naive per-employee calls, with the simulators in their own
 * process at 100 ms (± 20) simulated latency and the same in-flight limit (256) for both paths.
 * Full: batched at 10k and 50k employees, naive at 10k. --quick: batched at 2k, naive at 1k.
 * Snapshots are stored in in-memory PGlite (the embedded default), sealed as in production.
 */
import { randomBytes } from 'node:crypto';
import { loadDescriptorSet } from '../src/connectors/descriptors/load-descriptors.js';
import { openConnectors } from '../src/connectors/open-connectors.js';
import { openCache } from '../src/engines/cache/open-cache.js';
import { openDatabase } from '../src/engines/database/open-database.js';
import type { GatherMode } from '../src/pipeline/gather/gather-batch.js';
import { gatherRun } from '../src/pipeline/gather/gather-run.js';
import type { GatherSummary } from '../src/pipeline/gather/gather-summary.js';
import { createPiiCipher } from '../src/security/pii-cipher.js';
import { spawnSimulators } from '../src/sim/index.js';
import { round, vs, type BenchOptions, type Metrics } from './report.js';

const IN_FLIGHT = 256;
const LATENCY_MS = 100;

interface Measured { employees: number; mode: GatherMode; summary: GatherSummary; seconds: number; floorSeconds: number }

async function measure(employees: number, mode: GatherMode): Promise<Measured> {
  const sim = await spawnSimulators({ employees, seed: 42, knobs: { latencyMs: LATENCY_MS, jitterMs: 20 } });
  const db = await openDatabase({ engine: 'pglite', dataDir: null });
  const cache = await openCache({ engine: 'memory' });
  const connectors = openConnectors({ set: loadDescriptorSet(), urls: sim.services, maxInFlight: IN_FLIGHT });
  try {
    await db.migrate();
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'bench', name: 'Bench' }));
    const t0 = performance.now();
    const summary = await gatherRun({ db, pii: createPiiCipher(randomBytes(32)), connectors, cache: cache.cache }, {
      tenantId: 'bench', runId: `bench-${mode}-${employees}`, mode, batchConcurrency: 64, perEmployeeConcurrency: IN_FLIGHT,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (summary.incomplete > 0) throw new Error(`${mode} at ${employees}: ${summary.incomplete} incomplete: ${JSON.stringify(summary.incompleteReasons)}`);
    const m = { employees, mode, summary, seconds, floorSeconds: (summary.calls / IN_FLIGHT) * (LATENCY_MS / 1000) };
    console.log(`${mode.padEnd(12)} ${String(employees).padStart(6)} employees: ${summary.calls} calls in ${round(seconds)} s `
      + `(latency floor ${round(m.floorSeconds)} s), ${summary.callsSavedPct}% fewer calls than naive, retries ${summary.retries}`);
    return m;
  } finally {
    await connectors.close();
    await cache.close();
    await db.close();
    await sim.stop();
  }
}

export default async function gather(opts: BenchOptions): Promise<Metrics> {
  const small = opts.quick ? 2000 : 10_000;
  const big = opts.quick ? null : 50_000;
  const naiveSize = opts.quick ? 1000 : 10_000;

  const naive = await measure(naiveSize, 'per-employee');
  const batchedSmall = await measure(small, 'batched');
  const batchedBig = big ? await measure(big, 'batched') : null;
  const largest = batchedBig ?? batchedSmall;

  const naiveCallsPerEmployee = naive.summary.calls / naive.employees;
  const naiveSecPerEmployee = naive.seconds / naive.employees;
  const metrics: Metrics = {
    [`batched_calls_${largest.employees}`]: vs(largest.summary.calls, 'calls', `naive calls for ${largest.employees} (measured per employee × employees)`,
      naiveCallsPerEmployee * largest.employees, '<= 0.01x'),
    [`batched_seconds_per_1k_employees_${small}`]: vs(batchedSmall.seconds / batchedSmall.employees * 1000, 's',
      `naive at ${naive.employees}`, naiveSecPerEmployee * 1000, '<= 0.05x (>= 20x faster)'),
    [`batched_seconds_${batchedSmall.employees}`]: vs(batchedSmall.seconds, 's', 'latency floor (calls / in-flight × latency)', batchedSmall.floorSeconds),
    [`naive_seconds_${naive.employees}`]: vs(naive.seconds, 's', 'latency floor (calls / in-flight × latency)', naive.floorSeconds),
    [`naive_calls_${naive.employees}`]: { value: naive.summary.calls, unit: 'calls' },
    [`batched_calls_${batchedSmall.employees}`]: { value: batchedSmall.summary.calls, unit: 'calls' },
  };
  if (batchedBig) {
    metrics[`batched_seconds_${batchedBig.employees}`] = {
      ...vs(batchedBig.seconds, 's', 'latency floor (calls / in-flight × latency)', batchedBig.floorSeconds), goal: '< 15 s',
    };
  }
  return metrics;
}
