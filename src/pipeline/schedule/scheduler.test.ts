import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../engines/database/open-database.js';
import type { Database } from '../../engines/database/port.js';
import type { CycleStage, CycleStatus } from '../../engines/database/repositories/cycles.js';
import { openQueue } from '../../engines/queue/open-queue.js';
import type { QueueEngine } from '../../engines/queue/port.js';
import { adminQuery, createTestDatabase, ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { createOrchestrator, type Orchestrator } from '../run-cycle.js';
import type { PipelineStages } from '../stage-ports.js';
import { createScheduler, type Scheduler, type ScheduledVendor, type SchedulerOptions } from './scheduler.js';
import { evaluateSla, slaCounts } from './sla-monitor.js';

const HOUR = 3_600_000;
const ACME: ScheduledVendor = { id: 'acme', schedule: { cron: '30 2 * * *', timeZone: 'America/Chicago', sla: { deliveryMinutes: 240 } } };
const DENTAL: ScheduledVendor = { id: 'dental', schedule: { cron: '30 2 * * *', timeZone: 'America/Chicago', sla: { deliveryMinutes: 60 } } };

/** Stages are never run here: the scheduler's contract ends at rows and an enqueued plan job. */
const idle = (): PipelineStages => {
  const no = async (): Promise<never> => { throw new Error('not run in these tests'); };
  return { planRun: no, gatherBatch: no, generateFile: no, deliverFile: no, pollInbox: no, ingestFile: no, applyFile: no, reconcileCycle: no, ingestUnsolicited: no, responseWindowMs: async () => null };
};

function harness(db: Database) {
  const queue: QueueEngine = openQueue({ engine: 'in-process', concurrency: 1, attempts: 1, backoffMs: 10, maxBackoffMs: 10 });
  const orchestrator: Orchestrator = createOrchestrator({
    db, queue, stages: idle(), leaseMs: 5000, maxAttempts: 3, pickupIntervalMs: 1000, defaultResponseWindowMs: 60_000,
    backoff: { attempts: 1, backoffMs: 10, maxBackoffMs: 10, concurrency: 1 },
  });
  let clock = new Date('2024-03-08T12:00:00Z');
  const schedulers: Scheduler[] = [];
  const make = (on: Database = db, startRun: SchedulerOptions['startRun'] = (r) => orchestrator.startRun(r)) => {
    const s = createScheduler({ db: on, vendors: () => [ACME, DENTAL], startRun, tickMs: 60_000, now: () => clock });
    schedulers.push(s);
    return s;
  };
  return {
    queue, make, orchestrator,
    setClock(d: Date) { clock = d; },
    get clock() { return clock; },
    async close() { for (const s of schedulers) await s.stop(); await queue.close(); },
  };
}

async function seed(db: Database): Promise<void> {
  await db.unitOfWork(async (r) => {
    for (const t of ['t1', 't2']) await r.tenants.ensure({ tenantId: t, name: t });
    await r.outboundFiles.putTenantVendor('t1', 'acme', {});
    await r.outboundFiles.putTenantVendor('t2', 'acme', {});
    await r.outboundFiles.putTenantVendor('t1', 'dental', {});
  });
}

async function cyclesOf(db: Database, tenantId: string, vendorId: string) {
  const out = [];
  for (const s of ['2024-03-09T08:30:00Z', '2024-03-10T08:30:00Z', '2024-03-11T07:30:00Z', '2024-03-12T07:30:00Z']) {
    const c = await db.unitOfWork((r) => r.cycles.scheduled(tenantId, vendorId, new Date(s)));
    if (c) out.push(c);
  }
  return out;
}

describe.each(ENGINES)('scheduler on %s', (engine) => {
  let t: TestDatabase;
  let h: ReturnType<typeof harness> | undefined;
  afterEach(async () => { await h?.close(); h = undefined; await t?.drop(); });

  it('fires each tenant × vendor at the cron instants of its time zone across a DST change, one run per tenant and instant', async () => {
    t = await createTestDatabase(engine);
    await seed(t.db);
    h = harness(t.db);
    const s = h.make();
    expect((await s.tick()).fired).toEqual([]); // first start: only the watermark
    const fired: string[] = [];
    for (let at = h.clock.getTime() + 3 * HOUR; at <= Date.parse('2024-03-11T12:00:00Z'); at += 3 * HOUR) {
      h.setClock(new Date(at));
      const r = await s.tick();
      for (const f of r.fired) {
        fired.push(`${f.tenantId} ${f.vendorIds.join('+')} ${f.scheduledFor.toISOString()} @${new Date(at).toISOString()}`);
        // Done with it, so the next day's fire is not refused as in flight.
        for (const c of await t.db.unitOfWork((x) => x.cycles.byRun(f.runId))) await t.db.unitOfWork((x) => x.cycles.cancel(c.cycleId));
      }
    }
    expect(fired).toEqual([
      't1 acme+dental 2024-03-09T08:30:00.000Z @2024-03-09T09:00:00.000Z',
      't2 acme 2024-03-09T08:30:00.000Z @2024-03-09T09:00:00.000Z',
      't1 acme+dental 2024-03-10T08:30:00.000Z @2024-03-10T09:00:00.000Z',
      't2 acme 2024-03-10T08:30:00.000Z @2024-03-10T09:00:00.000Z',
      't1 acme+dental 2024-03-11T07:30:00.000Z @2024-03-11T09:00:00.000Z',
      't2 acme 2024-03-11T07:30:00.000Z @2024-03-11T09:00:00.000Z',
    ]);
    const c = (await cyclesOf(t.db, 't1', 'acme'))[0]!;
    expect(c.counters.trigger).toBe('schedule');
  });

  it('a fire missed while everything was down fires once at start-up, and never twice', async () => {
    t = await createTestDatabase(engine);
    await seed(t.db);
    h = harness(t.db);
    const first = h.make();
    await first.tick(); // watermark at 2024-03-08T12:00Z, then everything is down for three days
    await first.stop();
    h.setClock(new Date('2024-03-11T12:00:00Z'));
    const restarted = h.make();
    const r = await restarted.tick();
    expect(r.fired.map((f) => `${f.tenantId} ${f.vendorIds.join('+')} ${f.scheduledFor.toISOString()}`).sort()).toEqual([
      't1 acme+dental 2024-03-11T07:30:00.000Z', 't2 acme 2024-03-11T07:30:00.000Z',
    ]);
    expect(await cyclesOf(t.db, 't1', 'acme')).toHaveLength(1);
    h.setClock(new Date('2024-03-11T12:05:00Z'));
    expect((await restarted.tick()).fired).toEqual([]);
  });

  it('a holder that dies after starting a run but before moving the watermark: its successor fires nothing twice', async () => {
    t = await createTestDatabase(engine);
    await seed(t.db);
    h = harness(t.db);
    const first = h.make();
    await first.tick();
    await first.stop();
    const before = await t.db.unitOfWork((r) => r.schedules.watermark());
    h.setClock(new Date('2024-03-09T09:00:00Z'));
    // Holder A commits t2's run, then "dies" before it can record anything more.
    const a = h.make(t.db, async (req) => {
      const started = await h!.orchestrator.startRun(req);
      if (req.tenantId === 't2') throw new Error('process killed');
      return started;
    });
    const ra = await a.tick();
    expect(ra.fired.map((f) => f.tenantId)).toEqual(['t1']);
    expect(await t.db.unitOfWork((r) => r.schedules.watermark())).toEqual(before);
    await a.stop();
    const b = h.make();
    const rb = await b.tick();
    expect(rb.active).toBe(true);
    expect(rb.window!.from).toEqual(before);
    expect(rb.fired).toEqual([]);
    expect(rb.skipped).toBe(3); // t1 acme, t1 dental, t2 acme: already fired
    expect(await cyclesOf(t.db, 't1', 'acme')).toHaveLength(1);
    expect(await cyclesOf(t.db, 't1', 'dental')).toHaveLength(1);
    expect(await cyclesOf(t.db, 't2', 'acme')).toHaveLength(1);
    expect(await t.db.unitOfWork((r) => r.schedules.watermark())).toEqual(h.clock);
  });

  it('only one scheduler is active; the other stands by', async () => {
    t = await createTestDatabase(engine);
    await seed(t.db);
    h = harness(t.db);
    const second: Database = t.url ? await openDatabase({ engine: 'postgres', url: t.url, poolSize: 2 }) : t.db;
    try {
      const a = h.make();
      const b = h.make(second);
      expect((await a.tick()).active).toBe(true);
      expect((await b.tick()).active).toBe(false);
      h.setClock(new Date('2024-03-09T09:00:00Z'));
      expect((await b.tick()).fired).toEqual([]);
      expect((await a.tick()).fired).toHaveLength(2);
      await a.stop(); // releases the lock: the standby takes over at its next tick
      expect((await b.tick()).active).toBe(true);
    } finally {
      if (second !== t.db) await second.close();
    }
  });
});


describe('scheduler failover on PostgreSQL', () => {
  let t: TestDatabase;
  let h: ReturnType<typeof harness> | undefined;
  const opened: Database[] = [];
  afterEach(async () => {
    await h?.close();
    h = undefined;
    for (const d of opened.splice(0)) await d.close();
    await t?.drop();
  });

  it("when the holder's lock connection closes, the standby takes over and the old holder stands down", async () => {
    t = await createTestDatabase('postgres');
    await seed(t.db);
    h = harness(t.db);
    const processB = await openDatabase({ engine: 'postgres', url: t.url!, poolSize: 2 });
    opened.push(processB);
    const a = h.make();
    const b = h.make(processB);
    expect((await a.tick()).active).toBe(true);
    expect((await b.tick()).active).toBe(false);

    // The holder's dedicated session goes (process killed, network cut): the server drops its lock.
    const dbName = new URL(t.url!).pathname.slice(1);
    const killed = await adminQuery(`select pg_terminate_backend(l.pid) as ok from pg_locks l join pg_stat_activity s on s.pid = l.pid
      where l.locktype = 'advisory' and l.granted and s.datname = $1`, [dbName]);
    expect(killed.rowCount).toBe(1);
    h.setClock(new Date('2024-03-09T09:00:00Z'));
    let rb = await b.tick();
    for (let i = 0; !rb.active && i < 100; i++) { // the backend exits asynchronously
      await new Promise((r) => setTimeout(r, 50));
      rb = await b.tick();
    }
    expect(rb.active).toBe(true);
    expect(rb.fired).toHaveLength(2);
    const ra = await a.tick();
    expect(ra.active).toBe(false);
    expect(a.active).toBe(false);
    expect(ra.fired).toEqual([]);
    expect(await cyclesOf(t.db, 't1', 'acme')).toHaveLength(1);
  });
});

/** Moves a cycle through the lease protocol, as the orchestrator does. */
async function move(db: Database, cycleId: string, from: CycleStage, to: { stage: CycleStage; status: CycleStatus; deadline?: Date }): Promise<void> {
  const claim = await db.unitOfWork((r) => r.leases.claim('cycle', cycleId, from, 'test', 5000, 3));
  if (claim.status !== 'claimed') throw new Error(`cycle ${cycleId} not claimable at ${from}`);
  expect(await db.unitOfWork((r) => r.cycles.advance(claim.lease, from, to))).toBe(true);
}

/** A run with one cycle scheduled at `scheduledFor`, planned with no batches so its cycle is at generate. */
async function cycleAt(db: Database, orchestrator: Orchestrator, tenantId: string, vendorId: string, scheduledFor: Date): Promise<string> {
  const { runId, cycleIds } = await orchestrator.startRun({ tenantId, vendorIds: [vendorId], kind: 'full', scheduledFor, trigger: 'schedule' });
  const claim = await db.unitOfWork((r) => r.leases.claim('run', runId, 'plan', 'test', 5000, 3));
  if (claim.status !== 'claimed') throw new Error('plan not claimed');
  expect((await db.unitOfWork((r) => r.runs.planned(claim.lease))).gathered).toBe(true);
  return cycleIds[0]!;
}

describe.each(ENGINES)('SLA on %s', (engine) => {
  let t: TestDatabase;
  let h: ReturnType<typeof harness> | undefined;
  afterEach(async () => { await h?.close(); h = undefined; await t?.drop(); });

  it('met when the cycle completes within both deadlines; missed when delivery is late, a response is overdue, or nothing is delivered in time', async () => {
    t = await createTestDatabase(engine);
    const { db } = t;
    await seed(db);
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 't3', name: 't3' }));
    h = harness(db);
    const now = Date.now();
    const sla = [{ vendorId: 'acme', sla: { deliveryMinutes: 60 } }, { vendorId: 'dental', sla: { deliveryMinutes: 60 } }];

    // Met: delivered and answered in time, then done.
    const met = await cycleAt(db, h.orchestrator, 't1', 'acme', new Date(now));
    await evaluateSla(db, sla);
    expect((await db.unitOfWork((r) => r.cycles.get(met)))!.deliveryDeadline).toEqual(new Date(now + HOUR));
    await move(db, met, 'generate', { stage: 'deliver', status: 'running' });
    await move(db, met, 'deliver', { stage: 'await', status: 'awaiting', deadline: new Date(now + 10 * HOUR) });
    expect(await db.unitOfWork((r) => r.cycles.responseArrived(met, 'in_1'))).toBe(true);
    expect((await db.unitOfWork((r) => r.cycles.get(met)))!.slaStatus).toBeNull(); // decided when done
    await move(db, met, 'ingest', { stage: 'apply', status: 'running' });
    await move(db, met, 'apply', { stage: 'reconcile', status: 'running' });
    await move(db, met, 'reconcile', { stage: 'done', status: 'done' });
    expect(await db.unitOfWork((r) => r.cycles.get(met))).toMatchObject({ status: 'done', slaStatus: 'met', slaReason: null });

    // Missed: not delivered by scheduled time + 60 min; the cycle still goes on (and stays missed when done).
    const late = await cycleAt(db, h.orchestrator, 't2', 'acme', new Date(now - 2 * HOUR));
    await evaluateSla(db, sla); // stamped and judged at once
    expect(await db.unitOfWork((r) => r.cycles.get(late))).toMatchObject({ status: 'running', slaStatus: 'missed', slaReason: 'delivery' });
    await move(db, late, 'generate', { stage: 'deliver', status: 'running' });
    await move(db, late, 'deliver', { stage: 'await', status: 'awaiting', deadline: new Date(now + HOUR) });
    expect((await db.unitOfWork((r) => r.cycles.get(late)))!.slaStatus).toBe('missed');

    // Missed: delivered in time, but the response deadline passes.
    const silent = await cycleAt(db, h.orchestrator, 't1', 'dental', new Date(now));
    await evaluateSla(db, sla);
    await move(db, silent, 'generate', { stage: 'deliver', status: 'running' });
    await move(db, silent, 'deliver', { stage: 'await', status: 'awaiting', deadline: new Date(now - 1000) });
    expect(await db.unitOfWork((r) => r.cycles.markOverdue())).toEqual([silent]);
    expect(await db.unitOfWork((r) => r.cycles.get(silent))).toMatchObject({ status: 'awaiting-overdue', slaStatus: 'missed', slaReason: 'response' });

    // Delivered late by a cycle that finished before its deadline was stamped: judged when stamped.
    const quick = await cycleAt(db, h.orchestrator, 't3', 'acme', new Date(now - 3 * HOUR));
    await move(db, quick, 'generate', { stage: 'deliver', status: 'running' });
    await move(db, quick, 'deliver', { stage: 'await', status: 'awaiting', deadline: new Date(now + HOUR) });
    await evaluateSla(db, sla);
    expect(await db.unitOfWork((r) => r.cycles.get(quick))).toMatchObject({ slaStatus: 'missed', slaReason: 'delivery' });

    const counts = await slaCounts(db, new Date(now - 24 * HOUR));
    expect(counts).toEqual([
      { tenantId: 't1', vendorId: 'acme', met: 1, missed: 0, open: 0 },
      { tenantId: 't1', vendorId: 'dental', met: 0, missed: 1, open: 0 },
      { tenantId: 't2', vendorId: 'acme', met: 0, missed: 1, open: 0 },
      { tenantId: 't3', vendorId: 'acme', met: 0, missed: 1, open: 0 },
    ]);
  });
});
