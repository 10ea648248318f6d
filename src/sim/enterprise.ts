import type { EmployeeSnapshot } from '../shared/snapshot.js';

/**
 * PLACEHOLDER synthetic enterprise (the Simulators work replaces this file with the real generator,
 * keeping this signature): deterministic from the seed, `count` employees.
 */
export interface EnterpriseOptions { seed: number; employees: number }

export function* generateEmployees(opts: EnterpriseOptions): Generator<EmployeeSnapshot> {
  for (let i = 0; i < opts.employees; i++) {
    const id = `E${String(i + 1).padStart(6, '0')}`;
    yield {
      employeeId: id,
      version: 1,
      orgUnit: { location: `LOC${i % 5}`, department: `DEP${(i * 7 + opts.seed) % 20}` },
      person: {
        firstName: 'Ann', middleName: null, lastName: `O'Neil${i}`, ssn: String(100000000 + i),
        dateOfBirth: '1980-01-01', gender: 'F', email: `${id.toLowerCase()}@example.com`, phone: '5550100',
      },
      address: { line1: '1 Main St', line2: null, city: 'Springfield', state: 'IL', postalCode: '62701', country: 'US' },
      employment: { status: 'active', hireDate: '2015-06-01', terminationDate: null, jobTitle: 'Engineer', employeeType: 'FT', payGroup: 'BW' },
      compensation: { annualSalary: '85000.00', currency: 'USD', payFrequency: 'biweekly' },
      roleHistory: [], deductions: [], dependents: [], elections: [], beneficiaries: [],
      eligibility: { eligible: true, benefitClass: 'FT', reason: null },
      leave: [],
    };
  }
}
