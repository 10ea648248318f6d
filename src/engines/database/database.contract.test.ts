import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { VendorflowError } from '../../shared/errors.js';

describe.each(ENGINES)('database contract on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => { t = await createTestDatabase(engine); });
  afterAll(async () => { await t?.drop(); });

  it('migrates idempotently', async () => {
    await t.db.migrate();
    await t.db.migrate();
  });

  it('commits a unit of work', async () => {
    await t.db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'acme', name: 'Acme' }));
    expect(await t.db.unitOfWork((r) => r.tenants.get('acme'))).toEqual({ tenantId: 'acme', name: 'Acme' });
  });

  it('rolls back a unit of work that throws', async () => {
    await expect(t.db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: 'ghost', name: 'Ghost' });
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await t.db.unitOfWork((r) => r.tenants.get('ghost'))).toBeUndefined();
  });

  it('refuses a nested unit of work instead of deadlocking', async () => {
    await expect(t.db.unitOfWork(() => t.db.unitOfWork(async () => 1)))
      .rejects.toSatisfy((e: unknown) => e instanceof VendorflowError && e.code === 'NESTED_UNIT_OF_WORK');
  });

  it('queues concurrent units of work, each seeing its own writes', async () => {
    await t.db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'conc', name: 'Conc' }));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.db.unitOfWork(async (r) => {
      await r.employees.upsertMany([{
        tenantId: 'conc', employeeId: `E${i}`, location: 'L', department: 'D', version: 1, data: { i }, pii: null,
      }]);
      return (await r.employees.versions('conc', [`E${i}`])).get(`E${i}`);
    })));
    expect(results).toEqual(Array(8).fill(1));
    expect(await t.db.unitOfWork((r) => r.employees.count('conc'))).toBe(8);
  });

  it('upserts employees only forward in version and pages by key', async () => {
    const row = (id: string, version: number) => ({
      tenantId: 'acme', employeeId: id, location: 'NYC', department: 'ENG', version, data: { v: version },
      pii: new Uint8Array([1, 2, 3]),
    });
    await t.db.unitOfWork((r) => r.employees.upsertMany([row('A', 2), row('B', 1), row('C', 1)]));
    await t.db.unitOfWork((r) => r.employees.upsertMany([row('A', 1), row('B', 3)]));
    const versions = await t.db.unitOfWork((r) => r.employees.versions('acme', ['A', 'B', 'C']));
    expect(Object.fromEntries(versions)).toEqual({ A: 2, B: 3, C: 1 });
    const page1 = await t.db.unitOfWork((r) => r.employees.page('acme', null, 2));
    const page2 = await t.db.unitOfWork((r) => r.employees.page('acme', page1.at(-1)!.employeeId, 2));
    expect([...page1, ...page2].map((e) => e.employeeId)).toEqual(['A', 'B', 'C']);
    expect(Buffer.from(page1[0]!.pii!)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('refuses a statement larger than one chunk', async () => {
    const rows = Array.from({ length: 1001 }, (_, i) => ({
      tenantId: 'acme', employeeId: `X${i}`, location: 'L', department: 'D', version: 1, data: {}, pii: null,
    }));
    await expect(t.db.unitOfWork((r) => r.employees.upsertMany(rows))).rejects.toThrow(/max 1000/);
  });
});
