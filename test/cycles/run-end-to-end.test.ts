import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCycle } from '../../src/cli/commands/cycle.js';
import { openOrchestrator, startWorking } from '../../src/main/orchestration.js';
import { benefitRecordsChecksum, watchRun } from '../../src/main/run-report.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { openPlatform, runAndWatch, spawnWorker, startHarness, VENDORS, type Harness, type RunOutcome } from '../support/cycle-harness.js';

/**
 * Whole runs — plan, gather from the simulators over HTTP, generate, deliver over SFTP to the demo
 * vendor, its answer picked up, ingested, applied and reconciled — on the embedded engines and on
 * PostgreSQL + Redis (the vendor then behind OpenSSH's sshd), with the benefit-record checksum as the
 * measure of "same result".
 * Sizes are small: a response must still fit each vendor's error threshold (the demo vendor adds
 * a few bad rows to every answer), hence several hundred employees.
 */
const EMPLOYEES = 600;
// Files are dated by the cycle's scheduled time: the same instant gives byte-identical files everywhere.
const AT = new Date(Math.floor(Date.now() / 60_000) * 60_000);

function expectComplete(out: RunOutcome): void {
  expect(out.status).toBe('done');
  for (const c of out.cycles) expect(c, `${c.vendorId}: ${c.error}`).toMatchObject({ status: 'done', stage: 'done', sla: 'met' });
  for (const v of out.summary.vendors) {
    expect(v.file.records).toBeGreaterThan(0);
    expect(v.response.applied).toBeGreaterThan(0);
    expect(v.response.identitiesHold).toBe(true);
  }
  expect(out.summary.incomplete).toBe(0);
  expect(out.summary.employees).toBe(EMPLOYEES);
}

/** Audit rows per response file equal the rows it applied: nothing applied twice, nothing lost. */
async function expectAppliedOnce(db: TestDatabase['db'], runId: string): Promise<void> {
  const cycles = await db.unitOfWork((r) => r.cycles.byRun(runId));
  for (const c of cycles) {
    const audit = await db.unitOfWork((r) => r.runResults.auditCount(c.tenantId, String(c.counters.responseFileId)));
    expect(audit, c.vendorId).toBe(Number(c.counters['reconcile.applied']) + Number(c.counters['reconcile.merged'] ?? 0));
    expect(audit, c.vendorId).toBeGreaterThan(0);
  }
}

describe('a run end to end', () => {
  let reference: RunOutcome;

  it('completes for the three vendors on the embedded engines, two tenants side by side, a second cycle refused', async () => {
    const h = await startHarness({ employees: EMPLOYEES });
    const platform = await openPlatform(h.config);
    const orchestrator = openOrchestrator(platform);
    const working = await startWorking(platform, orchestrator, () => undefined);
    try {
      const [a, b] = await Promise.all([
        runAndWatch(platform, 't1', { work: false, scheduledFor: AT }),
        (async () => {
          // While t1's cycles are in flight, the same tenant × vendor is refused with a clear message.
          while (!(await platform.db.unitOfWork((r) => r.cycles.inFlight('t1', 'acme-medical')))) await new Promise((r) => setTimeout(r, 50));
          await expect(orchestrator.startRun({ tenantId: 't1', vendorIds: ['acme-medical'], kind: 'full' }))
            .rejects.toThrow(/tenant t1 already has cycle .* for vendor acme-medical/);
          return runAndWatch(platform, 't2', { work: false, vendors: ['acme-medical'] });
        })(),
      ]);
      expectComplete(a);
      expect(b.status).toBe('done');
      expect(b.summary.vendors[0]!.response.applied).toBeGreaterThan(0);
      reference = a;
    } finally {
      await working.stop();
      await orchestrator.close();
      await platform.close();
      await h.close();
    }
  }, 900_000);

  describe('on PostgreSQL + Redis + OpenSSH sshd', () => {
    let database: TestDatabase;
    beforeAll(async () => { database = await createTestDatabase('postgres'); });
    afterAll(async () => { await database?.drop(); });

    it('gives the same benefit-record checksum as the embedded engines', async () => {
      // The demo vendor's files are served by a private sshd chrooted to them, not the embedded server.
      const h = await startHarness({ employees: EMPLOYEES, databaseUrl: database.url!, redisUrl: TEST_REDIS_URL, vendorServer: 'sshd' });
      const platform = await openPlatform(h.config);
      try {
        const out = await runAndWatch(platform, 't1', { work: true, scheduledFor: AT });
        expectComplete(out);
        await expectAppliedOnce(platform.db, out.runId);
        expect(out.checksum).toEqual(reference.checksum);
      } finally {
        await platform.close();
        await h.close();
      }
    }, 900_000);
  });

  describe.each([
    ['mid-gather', 'run.gather.before-fan-in'],
    ['mid-apply', 'apply.in-chunk'],
  ])('two vendorflow workers on Redis, one killed %s', (_what, point) => {
    let database: TestDatabase;
    beforeAll(async () => { database = await createTestDatabase('postgres'); });
    afterAll(async () => { await database?.drop(); });

    it('completes with the same checksum and every row applied once', async () => {
      const h = await startHarness({ employees: EMPLOYEES, databaseUrl: database.url!, redisUrl: TEST_REDIS_URL });
      const marker = join(h.home, 'crash-marker');
      const platform = await openPlatform(h.config);
      const workers: Array<ReturnType<typeof spawnWorker>> = [];
      try {
        const { enrolTenant } = await import('../../src/main/demo-environment.js');
        const { loadVendorRegistry, EXAMPLE_VENDOR_FILES } = await import('../../src/vendors/registry.js');
        await enrolTenant(platform.db, 't1', loadVendorRegistry(EXAMPLE_VENDOR_FILES).list());
        const orchestrator = openOrchestrator(platform);
        const { runId } = await orchestrator.startRun({ tenantId: 't1', vendorIds: VENDORS, kind: 'full', scheduledFor: AT });
        await orchestrator.close();
        // The first worker runs alone until the crash hook kills it; the second takes over its leases.
        const doomed = spawnWorker(h, { VENDORFLOW_CRASH_AT: point, VENDORFLOW_CRASH_MARKER: marker });
        workers.push(doomed);
        const code = await Promise.race([doomed.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 90_000))]);
        expect(code, (doomed as unknown as { stderr: string }).stderr).not.toBe('alive');
        expect(readFileSync(marker, 'utf8')).toContain(point);
        workers.push(spawnWorker(h));
        const deadline = Date.now() + 90_000;
        const { run } = await watchRun(platform.db, runId, { pollMs: 200, until: () => Date.now() > deadline });
        expect(run.status).toBe('done');
        const cycles = await platform.db.unitOfWork((r) => r.cycles.byRun(runId));
        for (const c of cycles) expect(c, `${c.vendorId}: ${c.error}`).toMatchObject({ status: 'done' });
        expect(await benefitRecordsChecksum(platform.db, 't1', VENDORS)).toEqual(reference.checksum);
        await expectAppliedOnce(platform.db, runId);
      } finally {
        for (const w of workers) if (w.exitCode === null) { w.kill('SIGTERM'); await w.exited; }
        await platform.close();
        await h.close();
      }
    }, 200_000);
  });

  it('sends nothing when too many employees could not be gathered (a service down): the cycle fails saying why', async () => {
    const h = await startHarness({ employees: 200 });
    const platform = await openPlatform(h.config);
    try {
      const payroll = h.env.services.services.payroll![0]!;
      expect((await fetch(`${payroll}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ down: true }) })).ok).toBe(true);
      const out = await runAndWatch(platform, 't1', { work: true, vendors: ['acme-medical'], timeoutMs: 120_000, until: (p) => p.cycles.every((c) => c.status === 'failed' || c.status === 'done') });
      expect(out.cycles[0]).toMatchObject({ status: 'failed', stage: 'generate' });
      expect(out.cycles[0]!.error).toMatch(/200 of 200 employees \(100\.0%\) could not be gathered .*cycles\.maxIncompleteShare/);
      expect(out.summary.vendors[0]!.file).toMatchObject({ name: null, records: 0 }); // no file generated, so none delivered
      // cycle status says how many employees were not gathered, and why.
      const status = await describeCycle(platform.db, out.summary.vendors[0]!.cycleId);
      expect(status.run.employees).toMatchObject({ complete: 0, incomplete: 200 });
      expect(Object.keys(status.run.employees.reasons).join(' ')).toMatch(/payroll/i);
    } finally {
      await platform.close();
      await h.close();
    }
  }, 180_000);

  it('marks the SLA missed when a response never comes, and the cycle waits on overdue', async () => {
    const h = await startHarness({ employees: 200, silent: ['acme-medical'], responseWindowMs: 1500 });
    const platform = await openPlatform(h.config);
    try {
      const out = await runAndWatch(platform, 't1', { work: true, vendors: ['acme-medical'], timeoutMs: 60_000, until: (p) => p.cycles.every((c) => c.status === 'awaiting-overdue') });
      expect(out.cycles[0]).toMatchObject({ status: 'awaiting-overdue', stage: 'await', sla: 'missed' });
      expect(out.summary.vendors[0]!.file.records).toBeGreaterThan(0);
    } finally {
      await platform.close();
      await h.close();
    }
  }, 90_000);
});
