import type { Dependent, Election, EmployeeSnapshot } from '../shared/snapshot.js';
import { DEPARTMENTS, LOCATIONS, PLANS, titleFor, type Plan, type PlanCode, type Tier } from './catalog.js';
import { dayFromParts, endOfMonth, firstOfMonthOnOrAfter, isoDay, parts } from './dates.js';
import type { Facts, FactContext } from './facts.js';

/** What the services show beyond the snapshot (manager, tax set-up, balances). */
export interface EmployeeExtras {
  managerId: string | null;
  title: { title: string; effectiveDate: string };
  tax: { filingStatus: Facts['filingStatus']; federalAllowances: number; workState: string; residentState: string };
  ptoHours: number;
  sickHours: number;
  currentLeave: EmployeeSnapshot['leave'][number] | null;
}

export interface EmployeeRecord { snapshot: EmployeeSnapshot; extras: EmployeeExtras }

export const employeeId = (index: number): string => `E${String(index + 1).padStart(6, '0')}`;

const PERIODS_PER_YEAR = { weekly: 52, biweekly: 26, semimonthly: 24, monthly: 12 } as const;
/** Pay-period ends shown in the deductions: the last few, so a record stays near 2 KB. */
const DEDUCTION_PERIODS = 2;
const WAITING_DAYS = 30;

export function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const c = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
}

/** The last `n` pay-period end dates on or before `limit`, oldest first. */
export function periodEnds(freq: Facts['payFrequency'], limit: number, n: number): number[] {
  const out: number[] = [];
  if (freq === 'weekly' || freq === 'biweekly') {
    const step = freq === 'weekly' ? 7 : 14;
    const anchor = dayFromParts(2025, 1, 3); // a Friday payday
    let last = anchor + Math.floor((limit - anchor) / step) * step;
    for (let k = 0; k < n; k++, last -= step) out.unshift(last);
    return out;
  }
  let { y, m } = parts(limit);
  while (out.length < n) {
    const inMonth = freq === 'monthly' ? [dayFromParts(y, m + 1, 0)] : [dayFromParts(y, m + 1, 0), dayFromParts(y, m, 15)];
    for (const c of inMonth) if (c <= limit && out.length < n) out.unshift(c);
    m -= 1;
    if (m === 0) { m = 12; y -= 1; }
  }
  return out;
}

function tierOf(spouse: boolean, children: boolean): Tier {
  return spouse && children ? 'FAM' : spouse ? 'ES' : children ? 'EC' : 'EE';
}

interface PricedElection { election: Election; employeeCents: number; employerCents: number }

export function deriveRecord(ctx: FactContext, f: Facts, version: number): EmployeeRecord {
  const { asOf, org } = ctx;
  const unit = org.units[f.unit]!;
  const id = employeeId(f.index);
  const status = f.termDay !== null ? 'terminated' : f.leave.some((l) => l.end === null) ? 'leave' : 'active';
  const lastRole = f.roles[f.roles.length - 1]!;
  const jobTitle = titleFor(DEPARTMENTS[org.units[lastRole.unit]!.departmentIndex]!, lastRole.level);
  const periods = PERIODS_PER_YEAR[f.payFrequency];
  const salary = f.salaryCents / 100;
  const age = (asOf - f.dob) / 365;

  const dependents: Dependent[] = f.dependents.map((d) => ({
    dependentId: `${id}-D${d.n}`, firstName: d.firstName, lastName: d.lastName, relationship: d.relationship,
    dateOfBirth: isoDay(d.dob), gender: d.gender, ssn: d.ssn,
  }));

  // Eligibility and elections.
  const level = lastRole.level;
  const benefitClass = level >= 4 ? 'MGMT' : f.partTime ? 'PT' : 'FT';
  const planYearStart = dayFromParts(parts(asOf).y, 1, 1);
  const firstEligible = firstOfMonthOnOrAfter(f.hireDay + WAITING_DAYS);
  let reason: string | null = null;
  if (f.partTime && f.weeklyHours < 30) reason = 'part-time under 30 hours a week';
  else if (f.termDay !== null) reason = 'terminated';
  else if (firstEligible > asOf) reason = `waiting period until ${isoDay(firstEligible)}`;
  const everEligible = !(f.partTime && f.weeklyHours < 30) && firstEligible <= (f.termDay ?? asOf);

  const priced: PricedElection[] = [];
  const effective = Math.max(firstEligible, planYearStart);
  const endDay = f.termDay === null ? null : endOfMonth(f.termDay);
  if (everEligible && (endDay === null || endDay >= effective)) {
    const spouse = f.coverSpouse ? dependents.filter((d) => d.relationship !== 'child') : [];
    const kids = f.coverChildren ? dependents.filter((d) => d.relationship === 'child') : [];
    const covered = [...spouse, ...kids].map((d) => d.dependentId);
    const tier = tierOf(spouse.length > 0, kids.length > 0);
    const base = { effectiveDate: isoDay(effective), endDate: endDay === null ? null : isoDay(endDay) };
    const health = (code: PlanCode) => {
      const plan: Plan = PLANS[code];
      const [ee, er] = plan.monthly![tier];
      priced.push({
        election: { planCode: code, planType: PLANS[code].type, coverageTier: tier, ...base, coveredDependentIds: covered, employeeCostPerPeriod: money((ee * 12) / periods), coverageAmount: null },
        employeeCents: (ee * 12) / periods, employerCents: (er * 12) / periods,
      });
    };
    const cover = (code: PlanCode, amount: number, ageFactor = 1) => {
      const plan: Plan = PLANS[code];
      const [ee, er] = plan.perThousand!;
      const eeCents = (((ee * amount) / 1000) * ageFactor * 12) / periods;
      priced.push({
        election: { planCode: code, planType: PLANS[code].type, coverageTier: 'EE', ...base, coveredDependentIds: [], employeeCostPerPeriod: money(eeCents), coverageAmount: money(amount * 100) },
        employeeCents: eeCents, employerCents: (((er * amount) / 1000) * 12) / periods,
      });
    };
    if (f.medical) health(f.medical);
    if (f.dental) health(f.dental);
    if (f.vision) health('VIS-STD');
    cover('LIFE-BASIC', Math.min(Math.ceil(salary / 1000) * 1000, 500_000));
    if (f.suppLifeMultiple > 0) cover('SUPP-LIFE', Math.min(Math.round((f.suppLifeMultiple * salary) / 1000) * 1000, 1_000_000), age < 40 ? 1 : age < 50 ? 2 : age < 60 ? 4 : 7);
    if (f.std) cover('STD-BASIC', Math.round((salary * 0.6) / 52));
    if (f.ltd) cover('LTD-BASIC', Math.min(Math.round((salary * 0.6) / 12), 10_000));
  }

  const deductions: EmployeeSnapshot['deductions'] = [];
  if (priced.length > 0) {
    const limit = Math.min(asOf, f.termDay ?? asOf);
    for (const end of periodEnds(f.payFrequency, limit, DEDUCTION_PERIODS)) {
      if (end < effective) continue;
      for (const p of priced) {
        if (p.employeeCents === 0) continue; // employer-paid cover is not a payroll deduction
        deductions.push({ payPeriodEnd: isoDay(end), planCode: p.election.planCode, employeeAmount: money(p.employeeCents), employerAmount: money(p.employerCents) });
      }
    }
  }
  const elections = priced.map((p) => p.election);
  const hasSupp = elections.some((e) => e.planType === 'supp_life');

  const leave = f.leave.map((l) => ({ type: l.type, startDate: isoDay(l.start), endDate: l.end === null ? null : isoDay(l.end) }));
  const head = org.members[f.unit]![0]!;

  const snapshot: EmployeeSnapshot = {
    employeeId: id,
    version,
    orgUnit: { location: unit.location, department: unit.department },
    person: {
      firstName: f.firstName, middleName: f.middleName, lastName: f.lastName, ssn: f.ssn, dateOfBirth: isoDay(f.dob),
      gender: f.gender, email: `${f.emailLocal}@meridian-works.example`, phone: f.phone,
    },
    address: { ...f.address },
    employment: {
      status, hireDate: isoDay(f.hireDay), terminationDate: f.termDay === null ? null : isoDay(f.termDay), jobTitle,
      employeeType: f.partTime ? 'PT' : 'FT', payGroup: `${LOCATIONS[unit.locationIndex]!.code}-${f.payFrequency === 'weekly' ? 'WK' : f.payFrequency === 'biweekly' ? 'BW' : f.payFrequency === 'semimonthly' ? 'SM' : 'MO'}`,
    },
    compensation: { annualSalary: money(f.salaryCents), currency: 'USD', payFrequency: f.payFrequency },
    roleHistory: f.roles.map((r) => {
      const ru = org.units[r.unit]!;
      return { effectiveDate: isoDay(r.day), title: titleFor(DEPARTMENTS[ru.departmentIndex]!, r.level), location: ru.location, department: ru.department, reason: r.reason };
    }),
    deductions,
    dependents,
    elections,
    beneficiaries: hasSupp ? f.beneficiaryPlan.map((b) => ({ ...b })) : [],
    eligibility: { eligible: reason === null, benefitClass, reason },
    leave,
  };
  return {
    snapshot,
    extras: {
      managerId: head === f.index ? null : employeeId(head),
      title: { title: jobTitle, effectiveDate: isoDay(lastRole.day) },
      tax: { filingStatus: f.filingStatus, federalAllowances: f.allowances, workState: LOCATIONS[unit.locationIndex]!.state, residentState: f.address.state },
      ptoHours: f.ptoHours,
      sickHours: f.sickHours,
      currentLeave: leave.find((l) => l.endDate === null) ?? null,
    },
  };
}
