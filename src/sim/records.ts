import type { EmployeeRecord } from './derive.js';

/**
 * What each service shows of an employee. The per-employee, bulk and batch routes all build their
 * bodies from these functions, so one employee reads the same through every route of a service.
 */
type Projection = (r: EmployeeRecord, asOf: string) => Record<string, unknown>;
const head = (r: EmployeeRecord) => ({ employeeId: r.snapshot.employeeId, version: r.snapshot.version });

export const hris = {
  core: (r: EmployeeRecord) => ({ ...head(r), orgUnit: r.snapshot.orgUnit, employment: r.snapshot.employment }),
  person: (r: EmployeeRecord) => {
    const { email: _e, phone: _p, ...person } = r.snapshot.person;
    return { ...head(r), person };
  },
  address: (r: EmployeeRecord) => ({ ...head(r), address: r.snapshot.address }),
  contact: (r: EmployeeRecord) => ({ ...head(r), email: r.snapshot.person.email, phone: r.snapshot.person.phone }),
  /** The full HRIS record of the unit bulk route. */
  record: (r: EmployeeRecord) => ({
    ...head(r), orgUnit: r.snapshot.orgUnit, employment: r.snapshot.employment, person: r.snapshot.person, address: r.snapshot.address,
  }),
} satisfies Record<string, Projection>;

export const roles = {
  roles: (r: EmployeeRecord) => ({ ...head(r), roleHistory: r.snapshot.roleHistory }),
  title: (r: EmployeeRecord) => ({ ...head(r), ...r.extras.title }),
  manager: (r: EmployeeRecord) => ({ ...head(r), managerId: r.extras.managerId }),
  batch: (r: EmployeeRecord) => ({ ...head(r), roleHistory: r.snapshot.roleHistory, title: r.extras.title.title, managerId: r.extras.managerId }),
} satisfies Record<string, Projection>;

export const payroll = {
  compensation: (r: EmployeeRecord) => ({ ...head(r), compensation: r.snapshot.compensation }),
  deductions: (r: EmployeeRecord) => ({ ...head(r), deductions: r.snapshot.deductions }),
  paygroup: (r: EmployeeRecord) => ({ ...head(r), payGroup: r.snapshot.employment.payGroup, payFrequency: r.snapshot.compensation.payFrequency }),
  tax: (r: EmployeeRecord) => ({ ...head(r), ...r.extras.tax }),
  bulk: (r: EmployeeRecord) => ({ ...head(r), compensation: r.snapshot.compensation, deductions: r.snapshot.deductions, payGroup: r.snapshot.employment.payGroup }),
} satisfies Record<string, Projection>;

export const elections = {
  elections: (r: EmployeeRecord) => ({ ...head(r), elections: r.snapshot.elections }),
  dependents: (r: EmployeeRecord) => ({ ...head(r), dependents: r.snapshot.dependents }),
  eligibility: (r: EmployeeRecord) => ({ ...head(r), eligibility: r.snapshot.eligibility }),
  beneficiaries: (r: EmployeeRecord) => ({ ...head(r), beneficiaries: r.snapshot.beneficiaries }),
  batch: (r: EmployeeRecord) => ({ ...head(r), elections: r.snapshot.elections, dependents: r.snapshot.dependents, eligibility: r.snapshot.eligibility }),
} satisfies Record<string, Projection>;

export const leave = {
  leave: (r: EmployeeRecord) => ({ ...head(r), leave: r.snapshot.leave }),
  balances: (r: EmployeeRecord, asOf: string) => ({ ...head(r), ptoHours: r.extras.ptoHours, sickHours: r.extras.sickHours, asOf }),
  status: (r: EmployeeRecord) => ({ ...head(r), status: r.snapshot.employment.status, currentLeave: r.extras.currentLeave }),
  batch: (r: EmployeeRecord) => ({ ...head(r), leave: r.snapshot.leave, ptoHours: r.extras.ptoHours, sickHours: r.extras.sickHours, status: r.snapshot.employment.status }),
} satisfies Record<string, Projection>;

export const versionItem = (r: { employeeId: string; version: number }) => ({ employeeId: r.employeeId, version: r.version });
