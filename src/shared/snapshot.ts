import { z } from 'zod';

/**
 * The employee snapshot: what Gather assembles from the internal services for one employee at one
 * version, what Formats reads to write vendor files. Dates are ISO `YYYY-MM-DD` strings; money is a
 * decimal string (never a float). Fields marked sensitive are encrypted at rest and never logged.
 */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const money = z.string().regex(/^-?\d+(\.\d{1,4})?$/, 'expected a decimal string');

export const Gender = z.enum(['M', 'F', 'U']);

export const OrgUnit = z.object({
  location: z.string().min(1),
  department: z.string().min(1),
});
export type OrgUnit = z.infer<typeof OrgUnit>;

export const orgUnitKey = (u: OrgUnit): string => `${u.location}/${u.department}`;

export const Person = z.object({
  firstName: z.string(),
  middleName: z.string().nullable(),
  lastName: z.string(),
  ssn: z.string().regex(/^\d{9}$/), // sensitive
  dateOfBirth: isoDate, // sensitive
  gender: Gender,
  email: z.string(),
  phone: z.string(),
});

export const Address = z.object({
  // sensitive as a whole
  line1: z.string(),
  line2: z.string().nullable(),
  city: z.string(),
  state: z.string().length(2),
  postalCode: z.string(),
  country: z.string().length(2),
});

export const Employment = z.object({
  status: z.enum(['active', 'leave', 'terminated']),
  hireDate: isoDate,
  terminationDate: isoDate.nullable(),
  jobTitle: z.string(),
  employeeType: z.enum(['FT', 'PT']),
  payGroup: z.string(),
});

export const Compensation = z.object({
  annualSalary: money, // sensitive
  currency: z.string().length(3),
  payFrequency: z.enum(['weekly', 'biweekly', 'semimonthly', 'monthly']),
});

export const RoleChange = z.object({
  effectiveDate: isoDate,
  title: z.string(),
  location: z.string(),
  department: z.string(),
  reason: z.enum(['hire', 'promotion', 'transfer', 'rehire']),
});

export const Deduction = z.object({
  payPeriodEnd: isoDate,
  planCode: z.string(),
  employeeAmount: money,
  employerAmount: money,
});

export const Dependent = z.object({
  dependentId: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  relationship: z.enum(['spouse', 'child', 'domestic_partner']),
  dateOfBirth: isoDate, // sensitive
  gender: Gender,
  ssn: z.string().regex(/^\d{9}$/).nullable(), // sensitive
});

export const PlanType = z.enum(['medical', 'dental', 'vision', 'life', 'supp_life', 'disability']);

export const Election = z.object({
  planCode: z.string(),
  planType: PlanType,
  coverageTier: z.enum(['EE', 'ES', 'EC', 'FAM']),
  effectiveDate: isoDate,
  endDate: isoDate.nullable(),
  coveredDependentIds: z.array(z.string()),
  employeeCostPerPeriod: money,
  coverageAmount: money.nullable(), // life cover; null for health plans
});

export const Beneficiary = z.object({
  name: z.string(),
  relationship: z.string(),
  percent: z.number().int().min(0).max(100),
});

export const Eligibility = z.object({
  eligible: z.boolean(),
  benefitClass: z.string(),
  reason: z.string().nullable(),
});

export const LeaveRecord = z.object({
  type: z.enum(['pto', 'medical', 'parental', 'unpaid']),
  startDate: isoDate,
  endDate: isoDate.nullable(),
});

export const EmployeeSnapshot = z.object({
  employeeId: z.string().min(1),
  version: z.number().int().positive(),
  orgUnit: OrgUnit,
  person: Person,
  address: Address,
  employment: Employment,
  compensation: Compensation,
  roleHistory: z.array(RoleChange),
  deductions: z.array(Deduction),
  dependents: z.array(Dependent),
  elections: z.array(Election),
  beneficiaries: z.array(Beneficiary), // only for supplemental-life holders; [] otherwise
  eligibility: Eligibility,
  leave: z.array(LeaveRecord),
});
export type EmployeeSnapshot = z.infer<typeof EmployeeSnapshot>;
export type Election = z.infer<typeof Election>;
export type Dependent = z.infer<typeof Dependent>;

/** Snapshot status for one employee in one run. */
export const SnapshotStatus = z.enum(['complete', 'incomplete']);
export type SnapshotStatus = z.infer<typeof SnapshotStatus>;
