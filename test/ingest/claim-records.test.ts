import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyedLine, RecordClaim } from '../../src/engines/database/repositories/ingest.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.js';

const TENANT = 'claims';

/**
 * claimRecords finds each key's record and claims its baseline in one statement; a claim another
 * worker commits while that statement waits on it is outside the statement's snapshot and must still
 * be reported.
 */
describe.each(ENGINES)('claimRecords on %s', (engine) => {
  let t: TestDatabase;
  let recordIds: number[];
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    recordIds = await t.db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: TENANT, name: TENANT });
      // E4 has a benefit record but is not a known employee.
      await r.employees.upsertMany(['E1', 'E2', 'E3'].map((employeeId) => ({ tenantId: TENANT, employeeId, location: 'L', department: 'D', version: 1, data: {}, pii: null })));
      return r.benefitRecords.ensureMany(['E1', 'E2', 'E3', 'E4'].map((employeeId) => ({ tenantId: TENANT, employeeId, vendorId: 'v', planCode: 'MED', fields: { tier: employeeId } })));
    });
  });
  afterAll(async () => { await t?.drop(); });

  const file = async (name: string) => t.db.unitOfWork(async (r) => {
    const { file: f } = await r.ingest.registerInboundFile({ tenantId: TENANT, vendorId: 'v', name, sha256: name, size: 1, answersFileId: null, cycleId: null });
    return f.fileId;
  });
  const line = (employee: string, at: number, planCode = 'MED'): KeyedLine => ({ employeeId: employee, planCode, line: at });
  const claim = (fileId: string, lines: KeyedLine[]) => t.db.unitOfWork((r) => r.ingest.claimRecords({ tenantId: TENANT, vendorId: 'v', fileId, answersFileId: null, lines }));
  const owners = (claims: RecordClaim[]) => Object.fromEntries(claims.map((c) => [c.employeeId, c.owner]));

  it('finds the records of known employees, keeps the first claim of each, and reports who holds it', async () => {
    const fileId = await file('first-wins');
    const first = await claim(fileId, [line('E1', 2), line('E2', 3), line('E1', 4), line('E4', 5), line('E3', 6, 'DEN')]);
    expect(owners(first)).toEqual({ E1: 2, E2: 3 }); // E1's second line is a duplicate; E4 unknown; no E3 DEN record
    expect(first.find((c) => c.employeeId === 'E1')!.recordId).toBe(recordIds[0]);
    // A later chunk answering E1 again, and a re-run of the first chunk: the earlier claims stand.
    expect(owners(await claim(fileId, [line('E1', 9), line('E3', 10)]))).toEqual({ E1: 2, E3: 10 });
    expect(owners(await claim(fileId, [line('E1', 2), line('E2', 3)]))).toEqual({ E1: 2, E2: 3 });
    const baselines = await t.db.unitOfWork((r) => r.ingest.baselinesBetween(fileId, 0, 100));
    expect(baselines.map((b) => [b.line, b.employeeId, b.expectedVersion, b.before])).toEqual([
      [2, 'E1', 1, { tier: 'E1' }], [3, 'E2', 1, { tier: 'E2' }], [10, 'E3', 1, { tier: 'E3' }],
    ]);
  });

  it('reports a claim committed by another transaction while its statement waited', async () => {
    const fileId = await file('race');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let holding!: () => void;
    const held = new Promise<void>((resolve) => { holding = resolve; });
    const a = t.db.unitOfWork(async (r) => {
      const claims = await r.ingest.claimRecords({ tenantId: TENANT, vendorId: 'v', fileId, answersFileId: null, lines: [line('E1', 5)] });
      holding();
      await gate; // keeps its claim uncommitted
      return claims;
    });
    await held;
    const b = claim(fileId, [line('E1', 7), line('E2', 8)]);
    // PGlite runs one transaction at a time: there B simply follows A. On PostgreSQL B waits on A's row.
    setTimeout(release, engine === 'postgres' ? 300 : 0);
    expect(owners(await a)).toEqual({ E1: 5 });
    expect(owners(await b)).toEqual({ E1: 5, E2: 8 });
  });
});
