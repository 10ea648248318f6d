/**
 * Gather: batched (cold caches) against naive per-employee calls, with the simulators in their own
 * process at 100 ms (± 20) simulated latency and the same in-flight limit (256) for both paths.
 * Full: batched at 10k and 50k employees, naive at 10k. --quick: batched at 2k, naive at 1k.
 * Snapshots are stored sealed, as in production, in a fresh PostgreSQL database (dropped afterwards);
 * `--x-pglite` stores them in in-memory PGlite instead (the embedded engine: its single WASM connection
 * on this event loop then costs more CPU than everything else in the gather).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadDescriptorSet } from '../src/connectors/descriptors/load-descriptors.js';
import { openConnectors } from '../src/connectors/open-connectors.js';
import { openCache } from '../src/engines/cache/open-cache.js';
import { Redis } from 'ioredis';
import { createRedisStore } from '../src/engines/cache/redis-store.js';
import { TwoLayerCache } from '../src/engines/cache/two-layer-cache.js';
import { createTestDatabase } from '../test/support/databases.js';
import { TEST_REDIS_URL } from '../test/support/services.js';
import type { GatherMode } from '../src/pipeline/gather/gather-batch.js';
import { gatherRun } from '../src/pipeline/gather/gather-run.js';
import type { GatherSummary } from '../src/pipeline/gather/gather-summary.js';
import { createPiiCipher } from '../src/security/pii-cipher.js';
import { spawnSimulators } from '../src/sim/index.js';
import { round, vs, type BenchOptions, type Metrics } from './report.js';

const IN_FLIGHT = 256;
const LATENCY_MS = 100;

interface Measured {
  employees: number; mode: GatherMode; summary: GatherSummary; seconds: number; floorSeconds: number;
  /** CPU time of this (the platform's) process and of the simulators' process during the gather. */
  cpuSeconds: number; simCpuSeconds: number | null;
}

/** A child's CPU seconds so far (Linux /proc; null elsewhere). */
function childCpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return null;
  }
}

/**
 * Stops the child and waits until its pid is gone. (SpawnedSimulators.stop() alone never resolves at
 * the moment: its ready handler removes the exit listener that stop() waits on.)
 */
async function stopSimulators(sim: { pid: number; stop(): Promise<void> }): Promise<void> {
  void sim.stop();
  for (let i = 0; i < 400; i++) {
    try {
      process.kill(sim.pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  process.kill(sim.pid, 'SIGKILL');
}

async function measure(employees: number, mode: GatherMode, engine: 'pglite' | 'postgres'): Promise<Measured> {
  const sim = await spawnSimulators({ employees, seed: 42, knobs: { latencyMs: LATENCY_MS, jitterMs: 20 } });
  const target = await createTestDatabase(engine);
  const db = target.db;
  const cache = await openCache({ engine: 'memory' });
  const connectors = openConnectors({ set: loadDescriptorSet(), urls: sim.services, maxInFlight: IN_FLIGHT });
  try {
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'bench', name: 'Bench' }));
    const simCpu0 = childCpuSeconds(sim.pid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await gatherRun({ db, pii: createPiiCipher(randomBytes(32)), connectors, cache: cache.cache }, {
      tenantId: 'bench', runId: `bench-${mode}-${employees}`, mode, batchConcurrency: 32, perEmployeeConcurrency: IN_FLIGHT,
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const simCpu1 = childCpuSeconds(sim.pid);
    if (summary.incomplete > 0) throw new Error(`${mode} at ${employees}: ${summary.incomplete} incomplete: ${JSON.stringify(summary.incompleteReasons)}`);
    const m: Measured = {
      employees, mode, summary, seconds, floorSeconds: (summary.calls / IN_FLIGHT) * (LATENCY_MS / 1000),
      cpuSeconds: (cpu.user + cpu.system) / 1e6, simCpuSeconds: simCpu0 !== null && simCpu1 !== null ? simCpu1 - simCpu0 : null,
    };
    console.log(`${mode.padEnd(12)} ${String(employees).padStart(6)} employees: ${summary.calls} calls in ${round(seconds)} s `
      + `(latency floor ${round(m.floorSeconds)} s), CPU ${round(m.cpuSeconds)} s here + ${m.simCpuSeconds === null ? '?' : round(m.simCpuSeconds)} s simulators, `
      + `retries ${summary.retries}, 429 waits ${summary.rateLimited}, breaker trips ${summary.breakerTrips}, load average ${loadavg().map((x) => round(x)).join(' ')}`);
    return m;
  } finally {
    await connectors.close();
    await cache.close();
    await target.drop();
    await stopSimulators(sim);
  }
}

/**
 * Invalidation delivery between two caches on separate Redis connections (as two processes have):
 * publish → the other's listener, against a bare PING round trip measured in the same run.
 */
async function invalidationLatency(samples: number): Promise<{ p50: number; p99: number; ping: number }> {
  const namespace = `vf-bench:${randomBytes(6).toString('hex')}:`;
  const [a, b] = [await createRedisStore({ url: TEST_REDIS_URL, namespace }), await createRedisStore({ url: TEST_REDIS_URL, namespace })];
  const sender = await TwoLayerCache.open({ l2: a });
  const receiver = await TwoLayerCache.open({ l2: b });
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const lat: number[] = [];
    const pings: number[] = [];
    for (let i = 0; i < samples; i++) {
      const before = receiver.stats().invalidationsReceived;
      const t0 = performance.now();
      await sender.invalidate(`emp:bench:E${i}:hris:v1`);
      while (receiver.stats().invalidationsReceived === before) await new Promise((r) => setImmediate(r));
      lat.push(performance.now() - t0);
      const p0 = performance.now();
      await redis.ping();
      pings.push(performance.now() - p0);
    }
    const q = (xs: number[], f: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * f))]!;
    return { p50: q(lat, 0.5), p99: q(lat, 0.99), ping: q(pings, 0.5) };
  } finally {
    redis.disconnect();
    await sender.close();
    await receiver.close();
    await a.close();
    await b.close();
  }
}

export default async function gather(opts: BenchOptions): Promise<Metrics> {
  const small = opts.quick ? 2000 : 10_000;
  const big = opts.quick ? null : 50_000;
  const naiveSize = opts.quick ? 1000 : 10_000;

  const engine = opts.args.includes('--x-pglite') ? 'pglite' : 'postgres';
  console.log(`snapshots stored in ${engine}; ${IN_FLIGHT} calls in flight; ${LATENCY_MS} ms simulated latency`);
  // Batched first: 180,000 naive calls leave a heap and JIT state behind that a gather worker never
  // starts from (it cost the batched run after them ~10% more CPU); the naive run is latency-bound.
  const batchedSmall = await measure(small, 'batched', engine);
  const batchedBig = big ? await measure(big, 'batched', engine) : null;
  const naive = await measure(naiveSize, 'per-employee', engine);
  const largest = batchedBig ?? batchedSmall;

  const naiveCallsPerEmployee = naive.summary.calls / naive.employees;
  const naiveSecPerEmployee = naive.seconds / naive.employees;
  const metrics: Metrics = {
    // Naive calls at the largest batched size: the measured naive calls per employee × employees.
    [`batched_calls_${largest.employees}`]: vs(largest.summary.calls, 'calls', `naive at ${largest.employees} (measured per employee)`,
      naiveCallsPerEmployee * largest.employees, '<= 0.01x'),
    [`batched_ms_per_employee_${small}`]: vs(batchedSmall.seconds / batchedSmall.employees * 1000, 'ms', `naive at ${naive.employees}`,
      naiveSecPerEmployee * 1000, '<= 0.05x (>= 20x faster)'),
    [`naive_seconds_${naive.employees}`]: vs(naive.seconds, 's', 'latency floor (calls / in-flight × latency)', naive.floorSeconds),
    [`naive_calls_${naive.employees}`]: { value: naive.summary.calls, unit: 'calls' },
  };
  for (const b of batchedBig ? [batchedSmall, batchedBig] : [batchedSmall]) {
    metrics[`batched_seconds_${b.employees}`] = {
      ...vs(b.seconds, 's', 'latency floor (calls / in-flight × latency)', b.floorSeconds), ...(b.employees === 50_000 ? { goal: '< 15 s' } : {}),
    };
    if (b !== largest) metrics[`batched_calls_${b.employees}`] = { value: b.summary.calls, unit: 'calls' };
    // The platform's CPU per employee: what bounds a batched gather on a small machine.
    metrics[`batched_cpu_ms_per_employee_${b.employees}`] = vs(b.cpuSeconds / b.employees * 1000, 'ms', `naive at ${naive.employees}`,
      naive.cpuSeconds / naive.employees * 1000);
    if (b.simCpuSeconds !== null) metrics[`simulators_cpu_ms_per_employee_${b.employees}`] = { value: round(b.simCpuSeconds / b.employees * 1000, 3), unit: 'ms' };
  }
  metrics.load_average_1m = { value: round(loadavg()[0]!), unit: 'load' };
  const inv = await invalidationLatency(opts.quick ? 100 : 500);
  metrics.invalidation_p50_ms = vs(inv.p50, 'ms', 'Redis PING round trip (p50)', inv.ping);
  metrics.invalidation_p99_ms = { value: round(inv.p99, 3), unit: 'ms' };
  return metrics;
}
