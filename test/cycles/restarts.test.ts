import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enrolTenant } from '../../src/main/demo-environment.js';
import { openOrchestrator, startWorking } from '../../src/main/orchestration.js';
import type { Platform } from '../../src/main/platform.js';
import { benefitRecordsChecksum, watchRun, type RunProgress } from '../../src/main/run-report.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../../src/vendors/registry.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { startPrivatePostgres, startPrivateRedis } from '../support/private-services.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { openPlatform, runAndWatch, spawnWorker, startHarness, VENDORS } from '../support/cycle-harness.js';

/**
 * The infrastructure under a run fails and comes back: a Redis that loses every job, a PostgreSQL
 * restarted mid-cycle, a worker frozen past its lock. Each run must end as an undisturbed one does
 * (same benefit-record checksum) with every row applied once. Private servers only.
 */
const EMPLOYEES = 600;
const AT = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let reference: { rows: number; sha256: string };

async function appliedOnce(platform: Platform, runId: string): Promise<void> {
  const cycles = await platform.db.unitOfWork((r) => r.cycles.byRun(runId));
  for (const c of cycles) {
    expect(c, `${c.vendorId}: ${c.error}`).toMatchObject({ status: 'done' });
    const audit = await platform.db.unitOfWork((r) => r.runResults.auditCount(c.tenantId, String(c.counters.responseFileId)));
    expect(audit, c.vendorId).toBe(Number(c.counters['reconcile.applied']) + Number(c.counters['reconcile.merged'] ?? 0));
  }
  const run = (await platform.db.unitOfWork((r) => r.runs.get(runId)))!;
  expect(run.batchesDone).toBe(run.batchesTotal);
}

/** Starts the run with this process working it; `disturb` runs once `when` holds; then waits for the end. */
async function disturbedRun(platform: Platform, when: (p: RunProgress) => boolean, disturb: () => Promise<void>): Promise<string> {
  await enrolTenant(platform.db, 't1', loadVendorRegistry(EXAMPLE_VENDOR_FILES).list());
  const orchestrator = openOrchestrator(platform);
  const working = await startWorking(platform, orchestrator, () => undefined);
  try {
    const { runId } = await orchestrator.startRun({ tenantId: 't1', vendorIds: VENDORS, kind: 'full', scheduledFor: AT });
    const at = await watchRun(platform.db, runId, { pollMs: 50, until: when });
    expect(at.run.status, 'the run finished before it could be disturbed').not.toBe('done');
    await disturb();
    const deadline = Date.now() + 120_000;
    const end = await watchRun(platform.db, runId, { pollMs: 200, until: () => Date.now() > deadline }).catch(async () => {
      // The database itself may be the thing coming back: read again once it answers.
      await sleep(1000);
      return watchRun(platform.db, runId, { pollMs: 200, until: () => Date.now() > deadline });
    });
    expect(end.run.status).toBe('done');
    return runId;
  } finally {
    await working.stop();
    await orchestrator.close();
  }
}

describe('a run survives its infrastructure', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    // The undisturbed result, on the same engines.
    database = await createTestDatabase('postgres');
    const h = await startHarness({ employees: EMPLOYEES, databaseUrl: database.url!, redisUrl: TEST_REDIS_URL });
    const platform = await openPlatform(h.config);
    try {
      const out = await runAndWatch(platform, 't1', { work: true, scheduledFor: AT });
      expect(out.status).toBe('done');
      reference = out.checksum;
    } finally {
      await platform.close();
      await h.close();
      await database.drop();
    }
  }, 120_000);
  beforeEach(async () => { database = await createTestDatabase('postgres'); });
  afterEach(async () => { await database?.drop(); });

  it('a private Redis restarted mid-gather (every job lost) costs seconds, not the cycle', async () => {
    const redis = await startPrivateRedis();
    const h = await startHarness({ employees: EMPLOYEES, databaseUrl: database.url!, redisUrl: redis.url });
    const platform = await openPlatform(h.config);
    try {
      const runId = await disturbedRun(platform, (p) => p.run.stage === 'gather' && p.run.batchesDone > 0, async () => {
        await redis.stop();
        await sleep(1000);
        await redis.start();
      });
      await appliedOnce(platform, runId);
      expect(await benefitRecordsChecksum(platform.db, 't1', VENDORS)).toEqual(reference);
    } finally {
      await platform.close();
      await h.close();
      await redis.destroy();
    }
  }, 180_000);

  it('a private PostgreSQL restarted mid-cycle', async () => {
    const pg = await startPrivatePostgres();
    const h = await startHarness({ employees: EMPLOYEES, databaseUrl: pg.url, redisUrl: TEST_REDIS_URL });
    const platform = await openPlatform(h.config);
    try {
      const runId = await disturbedRun(platform, (p) => p.cycles.some((c) => ['deliver', 'await', 'ingest', 'apply'].includes(c.stage)), async () => {
        pg.stop('immediate');
        await sleep(1000);
        pg.start();
      });
      await appliedOnce(platform, runId);
      expect(await benefitRecordsChecksum(platform.db, 't1', VENDORS)).toEqual(reference);
    } finally {
      await platform.close();
      await h.close();
      pg.destroy();
    }
  }, 180_000);

  it('a worker frozen past its lock (kill -STOP), then resumed, commits nothing stale', async () => {
    const h = await startHarness({ employees: EMPLOYEES, databaseUrl: database.url!, redisUrl: TEST_REDIS_URL });
    const platform = await openPlatform(h.config);
    const frozen = spawnWorker(h);
    const workers = [frozen];
    try {
      await enrolTenant(platform.db, 't1', loadVendorRegistry(EXAMPLE_VENDOR_FILES).list());
      const orchestrator = openOrchestrator(platform);
      const { runId } = await orchestrator.startRun({ tenantId: 't1', vendorIds: VENDORS, kind: 'full', scheduledFor: AT });
      await orchestrator.close();
      // Freeze it while it holds batch leases mid-gather; another worker takes them over once they expire.
      const owned = async () => (await platform.db.unitOfWork((r) => r.runs.batches(runId, null, 1000)))
        .filter((b) => b.status !== 'done' && b.leaseOwner?.startsWith(`${frozen.pid}-`)).length;
      const until = Date.now() + 60_000;
      while ((await owned()) === 0 && Date.now() < until) await sleep(20);
      expect(await owned()).toBeGreaterThan(0);
      frozen.kill('SIGSTOP');
      workers.push(spawnWorker(h));
      const deadline = Date.now() + 120_000;
      const { run, cycles } = await watchRun(platform.db, runId, { pollMs: 200, until: () => Date.now() > deadline });
      expect(run.status, JSON.stringify(cycles.map((c) => [c.vendorId, c.status, c.stage, c.error]))).toBe('done');
      // Awake again, the frozen worker finishes what it was doing: every commit of it must be refused.
      frozen.kill('SIGCONT');
      await sleep(4000);
      await appliedOnce(platform, runId);
      expect(await benefitRecordsChecksum(platform.db, 't1', VENDORS)).toEqual(reference);
    } finally {
      for (const w of workers) if (w.exitCode === null) { w.kill('SIGCONT'); w.kill('SIGTERM'); await w.exited; }
      await platform.close();
      await h.close();
    }
  }, 240_000);
});
