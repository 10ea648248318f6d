import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../engines/database/port.js';
import { openQueue, type QueueTarget } from '../engines/queue/open-queue.js';
import type { QueueEngine } from '../engines/queue/port.js';
import { bindHandlers } from '../jobs/bind-handlers.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../test/support/databases.js';
import { TEST_REDIS_URL } from '../../test/support/services.js';
import { fencedDatabase, LeaseLostError } from './fenced-database.js';
import { createOrchestrator, type Orchestrator } from './run-cycle.js';
import type { PipelineStages } from './stage-ports.js';
import { dropRedisPrefix } from '../../test/support/redis.js';

/**
 * Orchestration on real databases and queues. The stages here are the test's own small use-cases that
 * write through the fenced database they are handed (what the orchestration promises them), not the
 * pipeline's real ones — those are wired and tested end to end in test/.
 */
const UNITS = [['LOC1', 'DEP1'], ['LOC1', 'DEP2'], ['LOC2', 'DEP1']] as const;

function testStages(calls: string[], responseWindowMs = 60_000): PipelineStages {
  return {
    async planRun({ db, tenantId, runId }) {
      calls.push(`plan ${runId}`);
      await db.unitOfWork((r) => r.runs.addBatches(tenantId, runId, UNITS.map(([location, department], i) => ({
        batchId: `${runId}-b${i}`, location, department, part: 0, employeeIds: [`E${i}a`, `E${i}b`],
      }))));
      return { batches: UNITS.length };
    },
    async gatherBatch({ db, runId, batchId }) {
      calls.push(`gather ${batchId}`);
      await db.unitOfWork((r) => r.runs.mergeSummary(runId, { [`gathered.${batchId}`]: true }));
      return { employees: 2 };
    },
    async generateFile({ cycleId }) { calls.push(`generate ${cycleId}`); return { outboundFileId: `out-${cycleId}`, rows: 6 }; },
    async deliverFile({ cycleId }) { calls.push(`deliver ${cycleId}`); return { bytes: 100 }; },
    async pollInbox() { return []; },
    async ingestFile() { return {}; },
    async applyFile() { return {}; },
    async reconcileCycle() { return {}; },
    async ingestUnsolicited() { return {}; },
    async responseWindowMs() { return responseWindowMs; },
  };
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const queueTargets: Array<[string, () => QueueTarget]> = [
  ['in-process', () => ({ engine: 'in-process', concurrency: 4, attempts: 3, backoffMs: 20, maxBackoffMs: 100 })],
  ['bullmq', () => ({
    engine: 'bullmq', concurrency: 4, attempts: 3, backoffMs: 20, maxBackoffMs: 100, url: TEST_REDIS_URL,
    prefix: `vf-test-${randomBytes(4).toString('hex')}`, lockDurationMs: 2000, stalledIntervalMs: 1000, maxStalledCount: 1,
  })],
];


function orchestrator(db: Database, queue: QueueEngine, stages: PipelineStages, leaseMs = 5000): Orchestrator {
  return createOrchestrator({
    db, queue, stages, leaseMs, maxAttempts: 3, pickupIntervalMs: 1000, defaultResponseWindowMs: 60_000,
    backoff: { attempts: 3, backoffMs: 20, maxBackoffMs: 100, concurrency: 4 },
  });
}

describe.each(ENGINES)('orchestration state on %s', (engine) => {
  let t: TestDatabase;
  afterEach(async () => { await t?.drop(); });

  it('a stale lease token commits nothing, and the newer owner completes the batch once', async () => {
    t = await createTestDatabase(engine);
    const { db } = t;
    await db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: 't1', name: 'T1' });
      await r.runs.create({ tenantId: 't1', runId: 'run1', kind: 'full', gatherMode: 'batched', options: {} });
      await r.runs.addBatches('t1', 'run1', [{ batchId: 'b1', location: 'L', department: 'D', part: 0, employeeIds: ['E1'] }]);
    });
    const planClaim = await db.unitOfWork((r) => r.leases.claim('run', 'run1', 'plan', 'w0', 5000, 3));
    if (planClaim.status !== 'claimed') throw new Error('plan not claimed');
    await db.unitOfWork((r) => r.runs.planned(planClaim.lease));

    const a = await db.unitOfWork((r) => r.leases.claim('batch', 'b1', 'gather', 'worker-a', 1, 3));
    if (a.status !== 'claimed') throw new Error('a did not claim');
    // A's 1 ms lease expires; B takes over with a newer token, and B's live lease keeps C out.
    await new Promise((r) => setTimeout(r, 20));
    const b = await db.unitOfWork((r) => r.leases.claim('batch', 'b1', 'gather', 'worker-b', 60_000, 3));
    if (b.status !== 'claimed') throw new Error('b did not claim the expired lease');
    expect(b.lease.token).toBeGreaterThan(a.lease.token);
    expect((await db.unitOfWork((r) => r.leases.claim('batch', 'b1', 'gather', 'worker-c', 60_000, 3))).status).toBe('not-claimable');

    // Worker A wakes up: its writes and its completion are refused.
    const staleDb = fencedDatabase(db, a.lease, 5000);
    await expect(staleDb.unitOfWork((r) => r.runs.mergeSummary('run1', { stale: true }))).rejects.toBeInstanceOf(LeaseLostError);
    expect(await db.unitOfWork((r) => r.runs.completeBatch(a.lease, { by: 'a' }))).toBeNull();
    const run0 = await db.unitOfWork((r) => r.runs.get('run1'));
    expect(run0!.summary).toEqual({});
    expect(run0!.batchesDone).toBe(0);

    const fan = await db.unitOfWork((r) => r.runs.completeBatch(b.lease, { by: 'b' }));
    expect(fan).toMatchObject({ done: 1, total: 1, gathered: true });
    expect(await db.unitOfWork((r) => r.runs.completeBatch(b.lease, { by: 'b' }))).toBeNull(); // a second completion counts nothing
    expect((await db.unitOfWork((r) => r.runs.get('run1')))!.batchesDone).toBe(1);
  });

  it('refuses a second cycle for the same tenant and vendor while one is in flight; other tenants go side by side', async () => {
    t = await createTestDatabase(engine);
    const q = openQueue({ engine: 'in-process', concurrency: 1, attempts: 1, backoffMs: 1, maxBackoffMs: 1 });
    const orch = orchestrator(t.db, q, testStages([]));
    await t.db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: 'acme', name: 'Acme' });
      await r.tenants.ensure({ tenantId: 'globex', name: 'Globex' });
    });
    const first = await orch.startRun({ tenantId: 'acme', vendorIds: ['medical', 'dental'], kind: 'full' });
    await expect(orch.startRun({ tenantId: 'acme', vendorIds: ['dental'], kind: 'full' }))
      .rejects.toThrow(new RegExp(`tenant acme already has cycle ${first.cycleIds[1]} for vendor dental .*cycle cancel`));
    await expect(orch.startRun({ tenantId: 'globex', vendorIds: ['dental'], kind: 'full' })).resolves.toBeTruthy();
    await orch.cancelCycle(first.cycleIds[1]!);
    await expect(orch.startRun({ tenantId: 'acme', vendorIds: ['dental'], kind: 'full' })).resolves.toBeTruthy();
    // Cycles are unique per (tenant, vendor, scheduled_for): a schedule that fires twice starts one.
    const at = new Date('2030-01-01T02:00:00Z');
    await orch.startRun({ tenantId: 'globex', vendorIds: ['life'], kind: 'full', scheduledFor: at, trigger: 'schedule' });
    const [cycle] = await t.db.unitOfWork(async (r) => [await r.cycles.inFlight('globex', 'life')]);
    await orch.cancelCycle(cycle!.cycleId);
    await expect(orch.startRun({ tenantId: 'globex', vendorIds: ['life'], kind: 'full', scheduledFor: at, trigger: 'schedule' }))
      .rejects.toThrow(/already scheduled for this time/);
    await q.close();
  });
});

describe.each(queueTargets)('reconciler with the %s queue', (_name, makeTarget) => {
  let t: TestDatabase;
  const queues: QueueEngine[] = [];
  let target: QueueTarget;
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    if (target.engine === 'bullmq') await dropRedisPrefix(target.prefix);
    await t?.drop();
  });

  it('re-enqueues pending work after the queue lost every job, fans in once, and marks a missing response overdue', async () => {
    t = await createTestDatabase('postgres');
    target = makeTarget();
    const calls: string[] = [];
    const stages = testStages(calls, 1); // the vendor has 1 ms to answer: it will not
    await t.db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'acme', name: 'Acme' }));

    // A producer enqueues the run's first job, then its queue loses everything before any worker ran.
    const lost = openQueue(target);
    const { runId, cycleIds } = await orchestrator(t.db, lost, stages).startRun({ tenantId: 'acme', vendorIds: ['medical', 'dental'], kind: 'full' });
    await lost.close();
    if (target.engine === 'bullmq') await dropRedisPrefix(target.prefix);

    const queue = openQueue(target);
    queues.push(queue);
    const orch = orchestrator(t.db, queue, stages);
    await queue.work(bindHandlers(orch.jobs()));
    const loop = orch.startReconciler(100);
    try {
      await until(async () => {
        const cycles = await t.db.unitOfWork((r) => r.cycles.byRun(runId));
        return cycles.every((c) => c.status === 'awaiting-overdue');
      }, 'both cycles awaiting-overdue');
    } finally {
      await loop.stop();
    }
    const run = await t.db.unitOfWork((r) => r.runs.get(runId));
    expect(run).toMatchObject({ stage: 'cycles', status: 'running', batchesTotal: 3, batchesDone: 3, batchesFailed: 0 });
    expect(Object.keys(run!.summary).filter((k) => k.startsWith('gathered.')).sort()).toEqual([0, 1, 2].map((i) => `gathered.${runId}-b${i}`));
    const cycles = await t.db.unitOfWork((r) => r.cycles.byRun(runId));
    for (const c of cycles) {
      expect(c).toMatchObject({ stage: 'await', slaStatus: 'missed' });
      expect(c.counters['generate.outboundFileId']).toBe(`out-${c.cycleId}`);
      expect(c.timings).toHaveProperty('generate');
      expect(c.timings).toHaveProperty('deliver');
    }
    expect(calls.filter((c) => c.startsWith('plan'))).toHaveLength(1);
    for (const id of cycleIds) {
      expect(calls.filter((c) => c === `generate ${id}`)).toHaveLength(1);
      expect(calls.filter((c) => c === `deliver ${id}`)).toHaveLength(1);
    }
  });

  it('a stage that fails every attempt fails its cycle with the cause, not only the count', async () => {
    t = await createTestDatabase('postgres');
    target = makeTarget();
    const calls: string[] = [];
    const stages: PipelineStages = {
      ...testStages(calls),
      async deliverFile() { throw new Error('vendor sftp.example:22 unreachable: ECONNREFUSED'); },
    };
    await t.db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'acme', name: 'Acme' }));
    const queue = openQueue(target);
    queues.push(queue);
    const orch = orchestrator(t.db, queue, stages, 500);
    await queue.work(bindHandlers(orch.jobs()));
    const loop = orch.startReconciler(100);
    try {
      const { runId, cycleIds } = await orch.startRun({ tenantId: 'acme', vendorIds: ['medical'], kind: 'full' });
      await until(async () => (await t.db.unitOfWork((r) => r.cycles.get(cycleIds[0]!)))?.status === 'failed', 'the cycle failed', 40_000);
      const cycle = await t.db.unitOfWork((r) => r.cycles.get(cycleIds[0]!));
      expect(cycle).toMatchObject({ stage: 'deliver' });
      expect(cycle!.error).toMatch(/^gave up after \d+ attempts; last error: .*ECONNREFUSED/);
      // The run was finished in the transaction that failed its last cycle, not one step later.
      expect(await t.db.unitOfWork((r) => r.runs.get(runId))).toMatchObject({ status: 'failed' });
    } finally {
      await loop.stop();
    }
  }, 60_000);
});
