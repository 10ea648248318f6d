import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { planRun, splitUnit, type OrgSource, type UnitMembers } from './plan-run.js';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);

function org(units: UnitMembers[]): OrgSource {
  return { async *units() { yield* units; } };
}

describe('splitUnit', () => {
  it('keeps a unit at or under the limit whole and splits a bigger one into near-equal parts', () => {
    const whole = splitUnit('t', 'r1', { location: 'NYC', department: 'Sales', employeeIds: ids('A', 10) }, { maxBatchSize: 10 });
    expect(whole.map((b) => b.employeeIds.length)).toEqual([10]);
    const split = splitUnit('t', 'r1', { location: 'NYC', department: 'Sales', employeeIds: ids('A', 25) }, { maxBatchSize: 10 });
    expect(split.map((b) => b.employeeIds.length)).toEqual([9, 9, 7]);
    expect(split.map((b) => b.part)).toEqual([0, 1, 2]);
    expect(new Set(split.flatMap((b) => b.employeeIds)).size).toBe(25);
    expect(new Set(split.map((b) => b.batchId)).size).toBe(3);
    for (const b of split) expect(b.batchId).not.toContain(':');
    expect(splitUnit('t', 'r1', { location: 'X', department: 'Y', employeeIds: [] }, { maxBatchSize: 10 })).toEqual([]);
  });
});

describe.each(ENGINES)('planRun on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await t.db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'acme', name: 'Acme' }));
  });
  afterAll(() => t.drop());

  it('writes one pending row per unit part and is idempotent', async () => {
    const units = [
      { location: 'NYC', department: 'Sales', employeeIds: ids('S', 30) },
      { location: "St. John's", department: 'R&D, Labs', employeeIds: ids('R', 5) },
    ];
    const first = await planRun({ db: t.db, tenantId: 'acme', runId: 'run1', gatherMode: 'batched', org: org(units), plan: { maxBatchSize: 12 } });
    expect(first).toEqual({ units: 2, batches: 4, employees: 35 });
    await planRun({ db: t.db, tenantId: 'acme', runId: 'run1', gatherMode: 'batched', org: org(units), plan: { maxBatchSize: 12 } });
    const rows = await t.db.unitOfWork((r) => r.gather.runBatches('run1', null, 100));
    expect(rows).toHaveLength(4);
    expect(rows.every((b) => b.status === 'pending' && b.attempts === 0)).toBe(true);
    expect(rows.flatMap((b) => b.employeeIds).sort()).toEqual([...ids('R', 5), ...ids('S', 30)].sort());
    const one = await t.db.unitOfWork((r) => r.gather.getBatch(rows[0]!.batchId));
    expect(one).toEqual(rows[0]);
  });
});
