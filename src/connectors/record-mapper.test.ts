import { describe, expect, it } from 'vitest';
import { loadDescriptorSet, validateDescriptorSet } from './descriptors/load-descriptors.js';
import { mapRecord } from './record-mapper.js';
import { readPath } from './record-path.js';
import { chooseFetch } from '../pipeline/gather/choose-fetch.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('record paths', () => {
  it('reads keys, quoted keys with dots and array selectors', () => {
    const rec = { a: { b: 1 }, [ENT]: { department: 'R&D' }, emails: [{ type: 'home', value: 'h' }, { type: 'work', value: 'w' }] };
    expect(readPath(rec, 'a.b')).toBe(1);
    expect(readPath(rec, `["${ENT}"].department`)).toBe('R&D');
    expect(readPath(rec, 'emails[type=work].value')).toBe('w');
    expect(readPath(rec, 'emails[type=other].value')).toBeUndefined();
    expect(readPath(rec, '')).toBe(rec);
  });
});

describe('mapRecord', () => {
  const envelope = { employeeId: 'employeeId', version: 'version', location: 'orgUnit.location', department: 'orgUnit.department' } as const;
  const good = {
    employeeId: 'E000001', version: 2, orgUnit: { location: 'Austin', department: 'Sales' },
    compensation: { annualSalary: '85000.00', currency: 'USD', payFrequency: 'biweekly' },
  };
  it('validates mapped fields against the snapshot schema', () => {
    const m = mapRecord(good, envelope, { compensation: 'compensation', orgUnit: 'orgUnit' });
    expect(m).toEqual({ ok: true, record: { employeeId: 'E000001', version: 2, location: 'Austin', department: 'Sales', values: { compensation: good.compensation, orgUnit: good.orgUnit } } });
  });
  it('rejects a missing or mistyped field, keeping the employee id for the reason', () => {
    const missing = mapRecord({ ...good, compensation: undefined }, envelope, { compensation: 'compensation' });
    expect(missing).toEqual({ ok: false, employeeId: 'E000001', reason: 'missing field compensation' });
    const wrong = mapRecord({ ...good, compensation: { ...good.compensation, annualSalary: 85000 } }, envelope, { compensation: 'compensation' });
    expect(wrong).toMatchObject({ ok: false, reason: 'invalid field compensation.annualSalary' });
    expect(mapRecord({ ...good, version: null }, envelope, {})).toMatchObject({ ok: false, reason: 'record without a valid version' });
    expect(mapRecord('nope', envelope, {})).toMatchObject({ ok: false, employeeId: null });
  });
  it('reads a SCIM ETag version', () => {
    const m = mapRecord({ id: 'E1', meta: { version: 'W/"7"' } }, { employeeId: 'id', version: { path: 'meta.version', as: 'etag-version' } }, {});
    expect(m).toMatchObject({ ok: true, record: { version: 7 } });
  });
});

describe('service descriptors', () => {
  it('the simulator set is valid and feeds every snapshot field', () => {
    const set = loadDescriptorSet();
    expect(Object.keys(set.services)).toEqual(['hris', 'roles', 'payroll', 'elections', 'leave']);
    expect(Object.values(set.services).reduce((n, s) => n + s.perEmployee.length, 0)).toBe(18);
  });
  it('explains a bad descriptor with its path', () => {
    const set = loadDescriptorSet();
    const bad = structuredClone(set) as any;
    bad.services.payroll.perEmployee[3].fields = { salary: 'taxes' };
    expect(() => validateDescriptorSet(bad)).toThrow(/services\.payroll\.perEmployee\.tax: "salary" is not a field/);
    const uncovered = structuredClone(set) as any;
    uncovered.services.payroll.batchForms[0].fields = { compensation: 'compensation' };
    expect(() => validateDescriptorSet(uncovered)).toThrow(/covers "deductions" but does not map "deductions"/);
    const empty = structuredClone(set) as any;
    empty.services.elections.perEmployee[3].emptyValue = { beneficiaries: null };
    expect(() => validateDescriptorSet(empty)).toThrow(/beneficiaries\.emptyValue: "beneficiaries" is not a valid value/);
    const lost = structuredClone(set) as any;
    delete lost.services.leave;
    expect(() => validateDescriptorSet(lost)).toThrow(/no service provides snapshot field\(s\) leave/);
  });
  it('picks the cheapest form and leaves per-employee calls only for what no form covers', () => {
    const set = loadDescriptorSet();
    const needed = (s: string) => set.services[s]!.perEmployee.filter((e) => Object.keys(e.fields).length > 0);
    const hris = chooseFetch(set.services.hris!, needed('hris'), 500, 500);
    expect(hris).toMatchObject({ form: { kind: 'bulk-by-unit' }, perEmployee: [], cost: 1 });
    const el = chooseFetch(set.services.elections!, needed('elections'), 500, 500);
    expect(el.form).toMatchObject({ kind: 'batch-get' });
    expect(el.perEmployee.map((e) => e.name)).toEqual(['beneficiaries']);
    expect(el.cost).toBe(3 + 500);
    // Two changed employees out of 800: two batch-get calls beat... one call; per-employee would be 2.
    expect(chooseFetch(set.services.leave!, needed('leave'), 2, 800)).toMatchObject({ form: { kind: 'batch-get' }, cost: 1 });
  });
});
