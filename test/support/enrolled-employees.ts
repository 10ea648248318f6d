import { generateEmployees } from '../../src/sim/enterprise.js';
import type { Dependent, Election, EmployeeSnapshot } from '../../src/shared/snapshot.js';

/**
 * Employees of the synthetic enterprise with benefits: dependants and medical, dental and life
 * elections set deterministically from the index (whatever the generator gave), employment active. `tricky` names cover
 * what vendor files get wrong: delimiters, quotes, line breaks, tabs, accents, emoji, leading zeros
 * and formula prefixes.
 */
export const TRICKY_NAMES = [
  'Smith, Jr.', 'O"Brien', 'Line\nBreak', 'Tab\there', 'Zoë Ñúñez', 'Rocket 🚀', '007', '=SUM(A1:A9)', '+1 555', '-minus',
  '@handle', '\tlead tab', '\rlead cr', 'Plain', 'Crlf\r\nName', '  spaced  ',
];

export function enrolledEmployees(count: number, opts: { seed?: number; tricky?: boolean } = {}): EmployeeSnapshot[] {
  const seed = opts.seed ?? 7;
  return [...generateEmployees({ seed, employees: count })].map((e, i) => enrol(e, i, opts.tricky ?? false));
}

export function enrol(e: EmployeeSnapshot, i: number, tricky: boolean): EmployeeSnapshot {
  const s: EmployeeSnapshot = structuredClone(e);
  if (tricky) {
    s.person.lastName = TRICKY_NAMES[i % TRICKY_NAMES.length]!;
    s.person.firstName = TRICKY_NAMES[(i + 5) % TRICKY_NAMES.length]!;
  }
  // Benefits are set here, not taken from the generator, so counts and codes in tests are known.
  s.employment = { ...s.employment, status: 'active', terminationDate: null };
  const deps: Dependent[] = [];
  const n = i % 4; // 0..3 dependants
  if (n >= 1) deps.push(dep(s, 1, 'spouse', '1982-03-04', 'M'));
  for (let k = 2; k <= n; k++) deps.push(dep(s, k, 'child', `20${10 + k}-0${k}-1${k}`, k % 2 ? 'F' : 'M'));
  s.dependents = deps;
  const tier = n === 0 ? 'EE' : n === 1 ? 'ES' : deps.some((d) => d.relationship === 'spouse') ? 'FAM' : 'EC';
  const ids = deps.map((d) => d.dependentId);
  const election = (planCode: string, planType: Election['planType'], cost: string, coverageAmount: string | null): Election => ({
    planCode, planType, coverageTier: planType === 'life' ? 'EE' : tier, effectiveDate: '2024-01-01', endDate: null,
    coveredDependentIds: planType === 'life' ? [] : ids, employeeCostPerPeriod: cost, coverageAmount,
  });
  s.elections = [
    election(i % 3 === 0 ? 'MED-PPO' : 'MED-HDHP', 'medical', `${(120 + (i % 50)).toFixed(0)}.${String(i % 100).padStart(2, '0')}`, null),
    election('DEN-BASIC', 'dental', `${10 + (i % 7)}.50`, null),
    election('LIFE-1X', 'life', '0.00', '85000.00'),
  ];
  if (i % 10 === 9) s.elections.pop(); // some do not take life cover
  return s;
}

function dep(s: EmployeeSnapshot, k: number, relationship: Dependent['relationship'], dateOfBirth: string, gender: 'M' | 'F'): Dependent {
  return {
    dependentId: `${s.employeeId}-D${k}`, firstName: `Dep${k}`, lastName: s.person.lastName, relationship, dateOfBirth, gender,
    ssn: String(700000000 + Number(s.employeeId.replace(/\D/g, '')) * 10 + k).slice(0, 9),
  };
}
