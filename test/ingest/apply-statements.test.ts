import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.js';

const TENANT = 'applies';

/**
 * The apply statements of the ingest repository: applyLines (pass 2: a chunk by line, through the
 * pass-1 baselines, counters in the same statement), applyRow (the row-by-row form the benchmark
 * measures it against) and refreshStatistics (analyze only what is stale).
 */
describe.each(ENGINES)('apply statements on %s', (engine) => {
  let t: TestDatabase;
  let recordIds: number[];
  let fileId: string;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    ({ recordIds, fileId } = await t.db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: TENANT, name: TENANT });
      await r.tenants.ensure({ tenantId: 'other', name: 'other' });
      const employees = ['E1', 'E2', 'E3', 'E4', 'E5'];
      await r.employees.upsertMany(employees.map((employeeId) => ({ tenantId: TENANT, employeeId, location: 'L', department: 'D', version: 1, data: {}, pii: null })));
      const ids = await r.benefitRecords.ensureMany(employees.map((employeeId) => ({ tenantId: TENANT, employeeId, vendorId: 'v', planCode: 'MED', fields: { tier: 'EE', premium: '1.00' } })));
      const { file } = await r.ingest.registerInboundFile({ tenantId: TENANT, vendorId: 'v', name: 'a.csv', sha256: 'a', size: 1, answersFileId: null, cycleId: null });
      await r.ingest.openCheckpoint(TENANT, file.fileId);
      // Lines 2..4 answer E1..E3; E4 and E5 are left for applyRow.
      await r.ingest.claimRecords({ tenantId: TENANT, vendorId: 'v', fileId: file.fileId, answersFileId: null, lines: ['E1', 'E2', 'E3'].map((employeeId, i) => ({ employeeId, planCode: 'MED', line: i + 2 })) });
      return { recordIds: ids, fileId: file.fileId };
    }));
  });
  afterAll(async () => { await t?.drop(); });

  const record = (i: number) => t.db.unitOfWork((r) => r.benefitRecords.get(recordIds[i]!));

  it('applyLines applies through the baselines, reports lines it did not apply, and counts what it did', async () => {
    // E2 changed since pass 1 read it: its line is missed, not applied. Line 9 has no baseline: ignored.
    expect(await t.db.unitOfWork((r) => r.benefitRecords.updateFields(recordIds[1]!, 1, { tier: 'ES' }))).toBe(2);
    await t.db.unitOfWork((r) => r.ingest.closePass1(fileId, { status: 'applying', received: 4, rejected: 0, reason: null }));
    const apply = () => t.db.unitOfWork((r) => r.ingest.applyLines({
      tenantId: TENANT, fileId, actor: 'vendor:v', checkpoint: { previousLine: 0, nextLine: 9 },
      rows: [{ line: 2, values: { premium: '2.00' } }, { line: 3, values: { premium: '3.00' } }, { line: 4, values: { tier: 'EE' } }, { line: 9, values: { premium: '9.00' } }],
    }));
    // Line 4's values are already there: not applied either (the caller counts it as skipped).
    expect(await apply()).toEqual({ claimed: true, applied: 1, missed: [3, 4] });
    // The checkpoint has moved past these lines: the same chunk again claims nothing and changes nothing.
    expect(await apply()).toEqual({ claimed: false, applied: 0, missed: [] });
    expect(await record(0)).toMatchObject({ version: 2, fields: { tier: 'EE', premium: '2.00' }, lastFileId: fileId, lastLine: 2 });
    expect(await record(1)).toMatchObject({ version: 2, fields: { tier: 'ES', premium: '1.00' } });
    expect(await record(2)).toMatchObject({ version: 1 });
    const cp = await t.db.unitOfWork((r) => r.ingest.getCheckpoint(fileId));
    expect(cp).toMatchObject({ lastLine: 9, applied: 1 });
    expect((await t.db.unitOfWork((r) => r.ingest.counts(fileId, null))).auditRows).toBe(1);
  });

  it('applyRow updates one record at its expected version and writes its audit row', async () => {
    const row = (i: number, expectedVersion: number) => ({ recordId: recordIds[i]!, expectedVersion, values: { premium: '4.00' }, line: 5 });
    expect(await t.db.unitOfWork((r) => r.ingest.applyRow({ tenantId: TENANT, fileId, actor: 'bench', row: row(3, 1) }))).toBe(2);
    expect(await t.db.unitOfWork((r) => r.ingest.applyRow({ tenantId: TENANT, fileId, actor: 'bench', row: row(4, 7) }))).toBeNull();
    expect(await record(3)).toMatchObject({ version: 2, fields: { tier: 'EE', premium: '4.00' } });
    expect(await record(4)).toMatchObject({ version: 1, fields: { premium: '1.00' } });
    expect((await t.db.unitOfWork((r) => r.ingest.counts(fileId, null))).auditRows).toBe(2);
  });

  it('refreshStatistics analyzes tables only while their statistics are missing or stale', async () => {
    // Fresh tables have never been analyzed.
    expect((await t.db.unitOfWork((r) => r.ingest.refreshStatistics(['benefit_records', 'employees']))).sort()).toEqual(['benefit_records', 'employees']);
    expect(await t.db.unitOfWork((r) => r.ingest.refreshStatistics(['benefit_records', 'employees']))).toEqual([]);
    // A table grown well past its last analyze (a tenant onboarded) is stale again.
    for (const from of [0, 1000]) {
      await t.db.unitOfWork((r) => r.benefitRecords.ensureMany(Array.from({ length: 1000 }, (_, i) => ({ tenantId: 'other', employeeId: `N${from + i}`, vendorId: 'v', planCode: 'MED', fields: {} }))));
    }
    expect(await t.db.unitOfWork((r) => r.ingest.refreshStatistics(['benefit_records', 'employees']))).toEqual(['benefit_records']);
  });
});
