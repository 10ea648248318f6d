import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../engines/database/port.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { collectGarbage, type RetentionPolicy } from './collect-garbage.js';

const DAY = 86_400_000;
const POLICY: RetentionPolicy = { spoolDays: 14, archiveDays: 14, snapshotDays: 30, rowPayloadDays: 30 };
/** gc runs "40 days from now": every row made by this test is 40 days old; files are dated explicitly. */
const GC_NOW = new Date(Date.now() + 40 * DAY);
const OLD = new Date(GC_NOW.getTime() - 20 * DAY);
const FRESH = new Date(GC_NOW.getTime() - DAY);

function file(path: string, at: Date): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'x'.repeat(10));
  utimesSync(path, at, at);
  return path;
}

const member = (employeeId: string) => ({
  employeeId, planCode: 'MED', fields: {}, recordHash: `h-${employeeId}`, maintenanceCode: '030', sent: { name: employeeId }, sentPii: null,
});

/**
 * Tenant t1: run-done (its acme cycle finished: cancelled) and run-busy (its dental cycle awaiting a
 * response). Both have snapshots, an outbound file and spool copies; run-busy's response is spooled.
 */
async function seed(db: Database): Promise<void> {
  await db.unitOfWork(async (r) => {
    await r.tenants.ensure({ tenantId: 't1', name: 'T1' });
    for (const [runId, cycleId, vendorId] of [['run-done', 'cyc-done', 'acme'], ['run-busy', 'cyc-busy', 'dental']] as const) {
      await r.runs.create({ tenantId: 't1', runId, kind: 'full', gatherMode: 'batched', options: {} });
      await r.cycles.createMany([{ tenantId: 't1', cycleId, runId, vendorId, kind: 'full', scheduledFor: new Date(), trigger: 'manual' }]);
      await r.gather.upsertSnapshots(['E1', 'E2', 'E3'].map((employeeId) => ({
        tenantId: 't1', runId, employeeId, batchId: 'b', version: 1, status: 'complete' as const, reason: null, data: { employeeId }, pii: null,
      })));
      await r.outboundFiles.insertOutbound({ tenantId: 't1', fileId: `out-${cycleId}`, vendorId, cycleId, kind: 'full', name: `${vendorId.toUpperCase()}_0001.csv`, seq: 1, controlNumber: 1 });
      await r.outboundFiles.insertMembers('t1', vendorId, `out-${cycleId}`, [member('E1'), member('E2')]);
    }
    // E1's delivered hash still points at run-done's file: change detection needs that member row.
    await r.outboundFiles.upsertHashes('t1', 'acme', [{ employeeId: 'E1', planCode: 'MED', recordHash: 'h-E1', fileId: 'out-cyc-done' }]);
    await r.transfers.claimInbound({ tenantId: 't1', fileId: 'in_busy', vendorId: 'dental', kind: 'response', name: 'DENTAL_RESP_0001.csv', status: 'received', size: 10, sha256: 'a'.repeat(64), remotePath: '/in/DENTAL_RESP_0001.csv', answersFileId: 'out-cyc-busy' });
    await r.runs.cancel('run-done');
  });
}

describe.each(ENGINES)('gc on %s', (engine) => {
  let t: TestDatabase;
  let dir: string;
  afterEach(async () => {
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes only what has expired, and nothing an unfinished cycle needs; --dry-run removes nothing', async () => {
    t = await createTestDatabase(engine);
    const { db } = t;
    dir = mkdtempSync(join(tmpdir(), 'vf-gc-'));
    const spool = join(dir, 'spool');
    const archive = join(dir, 'archive');
    const sftpArchive = join(dir, 'sftp', 'in', 'archive');
    await seed(db);
    const expired = [
      file(join(spool, 'outbound', 't1', 'acme', 'ACME_0001.csv'), OLD),
      file(join(spool, 'download', 'tok.raw'), OLD),
      file(join(archive, 'ACME_RESP.csv.20240101'), OLD),
      file(join(sftpArchive, 'DENTAL_RESP_0000.csv.20240101'), OLD),
    ];
    const kept = [
      file(join(spool, 'outbound', 't1', 'dental', 'DENTAL_0001.csv'), OLD), // the busy cycle's outbound file
      file(join(spool, 'inbound', 'in_busy'), OLD), // the response it is about to ingest
      file(join(spool, 'outbound', 't1', 'acme', 'ACME_0002.csv'), FRESH),
      file(join(archive, 'recent.csv'), FRESH),
    ];
    const run = (dryRun: boolean) => collectGarbage({ db, spoolDir: spool, archiveDirs: [archive, sftpArchive], policy: POLICY, dryRun, now: GC_NOW });

    const dry = await run(true);
    for (const p of [...expired, ...kept]) expect(existsSync(p)).toBe(true);
    expect(await db.unitOfWork((r) => r.retention.countSnapshots('run-done'))).toBe(3);

    const done = await run(false);
    expect({ ...done, dryRun: true }).toEqual(dry); // the dry run reported exactly this
    expect([...done.spool.removed, ...done.archives.removed].map((f) => f.path).sort()).toEqual([...expired].sort());
    expect(done.spool.keptForUnfinishedCycles).toBe(2);
    for (const p of expired) expect(existsSync(p)).toBe(false);
    for (const p of kept) expect(existsSync(p)).toBe(true);
    expect(existsSync(join(spool, 'download'))).toBe(false); // emptied and old itself
    expect(existsSync(spool)).toBe(true);

    expect(done.snapshots).toEqual({ runs: ['run-done'], rows: 3 });
    expect(await db.unitOfWork((r) => r.retention.countSnapshots('run-busy'))).toBe(3);
    // Finished file: E2's sent values go; E1's stay (its hash still points here). The busy file keeps both.
    expect(done.rowPayloads).toEqual({ files: 1, rows: 1 });
    expect((await db.unitOfWork((r) => r.outboundFiles.membersPage('t1', 'out-cyc-done', null, 10))).map((m) => m.employeeId)).toEqual(['E1']);
    expect(await db.unitOfWork((r) => r.outboundFiles.membersPage('t1', 'out-cyc-busy', null, 10))).toHaveLength(2);

    const again = await run(false);
    expect(again.spool.removed).toEqual([]);
    expect(again.snapshots.rows + again.rowPayloads.rows + again.archives.removed.length).toBe(0);

    // Once the busy cycle is finished, its data expires like the rest.
    await db.unitOfWork(async (r) => { await r.cycles.cancel('cyc-busy'); await r.runs.cancel('run-busy'); });
    const later = await run(false);
    expect(later.spool.removed.map((f) => f.path).sort()).toEqual([kept[0], kept[1]].sort());
    expect(later.snapshots).toEqual({ runs: ['run-busy'], rows: 3 });
  });

  it('a resumable failed cycle keeps its run and files; snapshots go in chunks of at most 1,000 rows', async () => {
    t = await createTestDatabase(engine);
    const { db } = t;
    dir = mkdtempSync(join(tmpdir(), 'vf-gc-'));
    await db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: 't1', name: 'T1' });
      await r.runs.create({ tenantId: 't1', runId: 'run-big', kind: 'full', gatherMode: 'batched', options: {} });
      await r.runs.create({ tenantId: 't1', runId: 'run-failed', kind: 'full', gatherMode: 'batched', options: {} });
      await r.cycles.createMany([{ tenantId: 't1', cycleId: 'cyc-failed', runId: 'run-failed', vendorId: 'acme', kind: 'full', scheduledFor: new Date(), trigger: 'manual' }]);
    });
    for (let page = 0; page < 3; page++) {
      await db.unitOfWork((r) => r.gather.upsertSnapshots(Array.from({ length: 900 }, (_, i) => ({
        tenantId: 't1', runId: 'run-big', employeeId: `E${page}-${String(i).padStart(4, '0')}`, batchId: 'b', version: 1,
        status: 'complete' as const, reason: null, data: {}, pii: null,
      }))));
    }
    await db.unitOfWork((r) => r.gather.upsertSnapshots([{ tenantId: 't1', runId: 'run-failed', employeeId: 'E1', batchId: 'b', version: 1, status: 'complete', reason: null, data: {}, pii: null }]));
    // The run fails at plan: its cycle is failed, which `cycle resume` can bring back.
    const claim = await db.unitOfWork((r) => r.leases.claim('run', 'run-failed', 'plan', 'test', 5000, 3));
    if (claim.status !== 'claimed') throw new Error('not claimed');
    await db.unitOfWork((r) => r.leases.fail(claim.lease, 'boom'));
    await db.unitOfWork((r) => r.runs.cancel('run-big'));
    expect((await db.unitOfWork((r) => r.cycles.get('cyc-failed')))!.status).toBe('failed');

    const report = await collectGarbage({ db, spoolDir: join(dir, 'spool'), archiveDirs: [], policy: POLICY, dryRun: false, now: GC_NOW });
    expect(report.snapshots).toEqual({ runs: ['run-big'], rows: 2700 });
    expect(await db.unitOfWork((r) => r.retention.countSnapshots('run-failed'))).toBe(1);
  });
});
