import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EmployeeSnapshot } from '../shared/snapshot.js';
import { createEnterprise, generateEmployees } from './enterprise.js';
import { buildOrg } from './org.js';

const sha = (items: Iterable<unknown>): string => {
  const h = createHash('sha256');
  for (const x of items) h.update(JSON.stringify(x));
  return h.digest('hex');
};

describe('synthetic enterprise', () => {
  const N = 3000;
  const employees = [...generateEmployees({ seed: 42, employees: N })];

  it('produces snapshots the shared schema accepts, with unique ids and SSNs', () => {
    for (const e of employees) EmployeeSnapshot.parse(e);
    expect(new Set(employees.map((e) => e.employeeId)).size).toBe(N);
    expect(new Set(employees.map((e) => e.person.ssn)).size).toBe(N);
    const depSsns = employees.flatMap((e) => e.dependents.map((d) => d.ssn)).filter((s) => s !== null);
    expect(new Set(depSsns).size).toBe(depSsns.length);
  });

  it('is byte-identical for the same seed and differs for another', () => {
    expect(sha(generateEmployees({ seed: 42, employees: N }))).toBe(sha(employees));
    expect(sha(generateEmployees({ seed: 43, employees: N }))).not.toBe(sha(employees));
    // One employee generated alone equals the same employee generated in sequence.
    const alone = createEnterprise({ seed: 42, employees: N, cacheSize: 1 });
    expect(JSON.stringify(alone.snapshot(2345, 1))).toBe(JSON.stringify(employees[2345]));
  });

  it('has names that break naive writers and about 2 KB per employee', () => {
    const last = employees.map((e) => e.person.lastName);
    expect(last.some((n) => n.includes("'"))).toBe(true);
    expect(last.some((n) => n.includes(','))).toBe(true);
    expect(employees.some((e) => /[^\x00-\x7f]/.test(e.person.firstName + e.person.lastName))).toBe(true);
    expect(employees.some((e) => e.address.line2?.includes(','))).toBe(true);
    const avg = employees.reduce((s, e) => s + JSON.stringify(e).length, 0) / N;
    expect(avg).toBeGreaterThan(1500);
    expect(avg).toBeLessThan(3500);
  });

  it('shapes employment, roles, elections and deductions consistently', () => {
    const statuses = new Set(employees.map((e) => e.employment.status));
    expect(statuses).toEqual(new Set(['active', 'leave', 'terminated']));
    const reasons = new Set(employees.flatMap((e) => e.roleHistory.map((r) => r.reason)));
    for (const r of ['hire', 'promotion', 'transfer']) expect(reasons).toContain(r);
    const plans = new Set(employees.flatMap((e) => e.elections.map((x) => x.planCode)));
    for (const p of ['MED-PPO', 'MED-HMO', 'DEN-BASIC', 'DEN-PLUS', 'LIFE-BASIC', 'SUPP-LIFE']) expect(plans).toContain(p);
    for (const e of employees) {
      const current = e.roleHistory.at(-1)!;
      expect(current.title).toBe(e.employment.jobTitle);
      expect({ location: current.location, department: current.department }).toEqual(e.orgUnit);
      expect(e.roleHistory[0]!.reason).toBe('hire');
      expect(e.roleHistory[0]!.effectiveDate).toBe(e.employment.hireDate);
      expect(e.employment.terminationDate !== null).toBe(e.employment.status === 'terminated');
      const elected = new Set(e.elections.map((x) => x.planCode));
      for (const d of e.deductions) expect(elected).toContain(d.planCode);
      const depIds = new Set(e.dependents.map((d) => d.dependentId));
      for (const x of e.elections) {
        for (const id of x.coveredDependentIds) expect(depIds).toContain(id);
        const rels = x.coveredDependentIds.map((id) => e.dependents.find((d) => d.dependentId === id)!.relationship);
        const spouse = rels.some((r) => r !== 'child');
        const kids = rels.includes('child');
        if (x.planType === 'medical' || x.planType === 'dental') expect(x.coverageTier).toBe(spouse && kids ? 'FAM' : spouse ? 'ES' : kids ? 'EC' : 'EE');
      }
      const supp = e.elections.some((x) => x.planType === 'supp_life');
      expect(e.beneficiaries.length > 0).toBe(supp);
      if (supp) expect(e.beneficiaries.reduce((s, b) => s + b.percent, 0)).toBe(100);
      if (!e.eligibility.eligible) expect(e.eligibility.reason).not.toBeNull();
    }
    const suppShare = employees.filter((e) => e.beneficiaries.length > 0).length / N;
    expect(suppShare).toBeGreaterThan(0.06);
    expect(suppShare).toBeLessThan(0.14);
  });

  it('spreads 50,000 employees unevenly over ~5 locations × ~20 departments', () => {
    const org = buildOrg(42, 50_000);
    const sizes = org.units.map((u) => u.size);
    expect(sizes.reduce((s, n) => s + n, 0)).toBe(50_000);
    expect(new Set(org.units.map((u) => u.location)).size).toBe(5);
    expect(new Set(org.units.map((u) => u.department)).size).toBe(20);
    const big = sizes.filter((n) => n > 2000).length;
    expect(big).toBeGreaterThanOrEqual(2);
    expect(big).toBeLessThanOrEqual(8);
    expect(Math.min(...sizes)).toBeLessThan(200);
    expect(org.members.reduce((s, m) => s + m.length, 0)).toBe(50_000);
  });

  it('moves an employee deterministically from one version to the next', () => {
    const a = createEnterprise({ seed: 5, employees: 200 });
    const b = createEnterprise({ seed: 5, employees: 200 });
    let changedFields = 0;
    for (let i = 0; i < 50; i++) {
      const v1 = a.snapshot(i, 1);
      const v3 = a.snapshot(i, 3);
      EmployeeSnapshot.parse(v3);
      expect(v3.version).toBe(3);
      expect(JSON.stringify(b.snapshot(i, 3))).toBe(JSON.stringify(v3));
      expect(v3.compensation.annualSalary).not.toBe(v1.compensation.annualSalary);
      expect(v3.orgUnit).toEqual(v1.orgUnit);
      const { version: _a, compensation: _c, ...r1 } = v1;
      const { version: _b, compensation: _d, ...r3 } = v3;
      if (JSON.stringify(r1) !== JSON.stringify(r3)) changedFields++;
    }
    expect(changedFields).toBeGreaterThan(25);
  });
});
