import { describe, expect, it } from 'vitest';
import { generateEmployees } from '../../sim/index.js';
import { assembleSnapshot, cachedValuesValid } from './assemble-snapshot.js';

const [truth] = generateEmployees({ employees: 1, seed: 5 });

/** The snapshot as services hand it over: whole objects and dotted leaves, split in two parts. */
function contributions(): Array<Record<string, unknown>> {
  const { employeeId: _id, version: _v, person, ...rest } = structuredClone(truth!);
  const personLeaves = Object.fromEntries(Object.entries(person).map(([k, v]) => [`person.${k}`, v]));
  return [{ ...rest, person: { firstName: person.firstName } }, personLeaves];
}

describe('assembleSnapshot', () => {
  it('builds the snapshot from whole values and dotted leaves', () => {
    expect(assembleSnapshot(truth!.employeeId, truth!.version, contributions())).toEqual({ snapshot: truth });
  });

  it('never writes into a contributed object (it may be shared with other batches)', () => {
    const parts = contributions();
    const before = structuredClone(parts);
    assembleSnapshot(truth!.employeeId, truth!.version, parts);
    expect(parts).toEqual(before);
  });

  it('names the first missing field, nested ones included, and refuses a bad version', () => {
    const [whole, leaves] = contributions();
    const { eligibility: _e, ...noEligibility } = whole!;
    expect(assembleSnapshot('E1', 1, [noEligibility, leaves!])).toEqual({ reason: 'assembled snapshot invalid at eligibility' });
    const { 'person.ssn': _s, ...noSsn } = leaves!;
    expect(assembleSnapshot('E1', 1, [whole!, noSsn])).toEqual({ reason: 'assembled snapshot invalid at person.ssn' });
    expect(assembleSnapshot('E1', 0, contributions())).toEqual({ reason: 'assembled snapshot invalid at version' });
  });
});

describe('cachedValuesValid', () => {
  it('accepts values exactly as validated, nothing else', () => {
    const [{ person: _p, ...whole }, leaves] = contributions();
    expect(cachedValuesValid({ ...whole, ...leaves })).toBe(true);
    expect(cachedValuesValid({ 'person.ssn': '12345' })).toBe(false);
    expect(cachedValuesValid({ address: { ...truth!.address, extra: 1 } })).toBe(false);
    expect(cachedValuesValid({ notAField: 1 })).toBe(false);
    expect(cachedValuesValid(null)).toBe(false);
  });
});
