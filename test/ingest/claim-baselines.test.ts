import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineRow } from '../../src/engines/database/repositories/ingest.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.js';

const TENANT = 'claims';

/**
 * claimBaselines inserts and reads the claims in one statement; a claim another worker commits while
 * that statement waits on it is outside the statement's snapshot and must still be reported.
 */
describe.each(ENGINES)('claimBaselines on %s', (engine) => {
  let t: TestDatabase;
  let recordIds: number[];
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    recordIds = await t.db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: TENANT, name: TENANT });
      return r.benefitRecords.ensureMany(['E1', 'E2', 'E3'].map((employeeId) => ({ tenantId: TENANT, employeeId, vendorId: 'v', planCode: 'MED', fields: {} })));
    });
  });
  afterAll(async () => { await t?.drop(); });

  const file = async (name: string) => t.db.unitOfWork(async (r) => {
    const { file: f } = await r.ingest.registerInboundFile({ tenantId: TENANT, vendorId: 'v', name, sha256: name, size: 1, answersFileId: null, cycleId: null });
    return f.fileId;
  });
  const claim = (k: number, line: number): BaselineRow => ({
    recordId: recordIds[k]!, employeeId: `E${k + 1}`, planCode: 'MED', line, expectedVersion: 1, before: { line },
  });

  it('keeps the first claim of each record and reports the claiming line of every record asked', async () => {
    const fileId = await file('first-wins');
    const first = await t.db.unitOfWork((r) => r.ingest.claimBaselines(TENANT, fileId, [claim(0, 2), claim(1, 3)]));
    expect([...first]).toEqual(expect.arrayContaining([[recordIds[0], 2], [recordIds[1], 3]]));
    // A later chunk answering record 0 again, and a re-run of the first chunk: the earlier claims stand.
    const later = await t.db.unitOfWork((r) => r.ingest.claimBaselines(TENANT, fileId, [claim(0, 9), claim(2, 10)]));
    expect(Object.fromEntries(later)).toEqual({ [recordIds[0]!]: 2, [recordIds[2]!]: 10 });
    const rerun = await t.db.unitOfWork((r) => r.ingest.claimBaselines(TENANT, fileId, [claim(0, 2), claim(1, 3)]));
    expect(Object.fromEntries(rerun)).toEqual({ [recordIds[0]!]: 2, [recordIds[1]!]: 3 });
  });

  it('reports a claim committed by another transaction while its statement waited', async () => {
    const fileId = await file('race');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let claimed!: () => void;
    const holding = new Promise<void>((resolve) => { claimed = resolve; });
    const a = t.db.unitOfWork(async (r) => {
      const lines = await r.ingest.claimBaselines(TENANT, fileId, [claim(0, 5)]);
      claimed();
      await gate; // holds its uncommitted claim
      return lines;
    });
    await holding;
    const b = t.db.unitOfWork((r) => r.ingest.claimBaselines(TENANT, fileId, [claim(0, 7), claim(1, 8)]));
    // PGlite runs one transaction at a time: there B simply follows A. On PostgreSQL B waits on A's row.
    setTimeout(release, engine === 'postgres' ? 300 : 0);
    expect(Object.fromEntries(await a)).toEqual({ [recordIds[0]!]: 5 });
    expect(Object.fromEntries(await b)).toEqual({ [recordIds[0]!]: 5, [recordIds[1]!]: 8 });
  });
});
