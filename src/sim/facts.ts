import {
  DENTAL_PLANS, DEPARTMENTS, FEMALE_FIRST, LAST_NAMES, LOCATIONS, MALE_FIRST, MAX_LEVEL, MEDICAL_PLANS,
  NEUTRAL_FIRST, STREET_KINDS, STREETS, SUFFIXES, UNIT_KINDS, type PlanCode,
} from './catalog.js';
import { addYears } from './dates.js';
import type { Org } from './org.js';
import { mix, Rng } from './prng.js';

/**
 * The raw facts of one employee, drawn from the employee's own seeded stream. Everything a service
 * shows (elections, tiers, deductions, eligibility) is derived from these in derive.ts, so a change
 * that edits a fact (a new child) moves every figure that depends on it (the tier, the deductions).
 */
export type Gender = 'M' | 'F' | 'U';
export interface RoleFact { day: number; level: number; unit: number; reason: 'hire' | 'promotion' | 'transfer' | 'rehire' }
export interface DependentFact {
  n: number; firstName: string; lastName: string; relationship: 'spouse' | 'child' | 'domestic_partner';
  dob: number; gender: Gender; ssn: string | null;
}
export interface LeaveFact { type: 'pto' | 'medical' | 'parental' | 'unpaid'; start: number; end: number | null }
export interface AddressFact { line1: string; line2: string | null; city: string; state: string; postalCode: string; country: string }

export interface Facts {
  index: number;
  unit: number;
  gender: Gender;
  firstName: string;
  middleName: string | null;
  lastName: string;
  ssn: string;
  dob: number;
  emailLocal: string;
  phone: string;
  address: AddressFact;
  hireDay: number;
  termDay: number | null;
  partTime: boolean;
  weeklyHours: number;
  payFrequency: 'weekly' | 'biweekly' | 'semimonthly' | 'monthly';
  salaryCents: number;
  roles: RoleFact[];
  dependents: DependentFact[];
  medical: PlanCode | null;
  dental: PlanCode | null;
  vision: boolean;
  suppLifeMultiple: number;
  std: boolean;
  ltd: boolean;
  coverSpouse: boolean;
  coverChildren: boolean;
  beneficiaryPlan: Array<{ name: string; relationship: string; percent: number }>;
  leave: LeaveFact[];
  filingStatus: 'single' | 'married_joint' | 'married_separate' | 'head_of_household';
  allowances: number;
  ptoHours: number;
  sickHours: number;
}

export interface FactContext { seed: number; asOf: number; org: Org }

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const asciiCache = new Map<string, string>();
function ascii(name: string): string {
  let a = asciiCache.get(name);
  if (a === undefined) {
    a = name.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
    asciiCache.set(name, a);
  }
  return a;
}

/** SSNs are a bijection of the index (48271 is prime to the modulus), so they never collide. */
export function employeeSsn(seed: number, index: number): string {
  return String(100_000_000 + ((index * 48_271 + (seed % 1000) * 104_729) % 400_000_000));
}
function dependentSsn(seed: number, index: number, n: number): string {
  return String(500_000_000 + (((index * 8 + n) * 48_271 + (seed % 1000)) % 100_000_000));
}

function firstNameFor(rng: Rng, gender: Gender): string {
  return gender === 'F' ? rng.pick(FEMALE_FIRST) : gender === 'M' ? rng.pick(MALE_FIRST) : rng.pick(NEUTRAL_FIRST);
}

function drawAddress(rng: Rng, locationIndex: number): AddressFact {
  const loc = LOCATIONS[locationIndex]!;
  const [city, zip] = rng.pick(loc.towns);
  const line2 = rng.chance(0.3)
    ? `${rng.pick(UNIT_KINDS)} ${rng.int(1, 40)}${rng.pick(['', 'A', 'B'])}${rng.chance(0.15) ? ', Rear' : ''}`
    : null;
  return {
    line1: `${rng.int(10, 9999)} ${rng.pick(STREETS)} ${rng.pick(STREET_KINDS)}`,
    line2, city, state: loc.state, postalCode: `${zip}${pad(rng.int(1, 99), 2)}`, country: 'US',
  };
}

function drawPhone(rng: Rng, locationIndex: number): string {
  return `${rng.pick(LOCATIONS[locationIndex]!.areaCodes)}-555-${pad(rng.int(100, 9999), 4)}`;
}

export function baseFacts(ctx: FactContext, index: number): Facts {
  const { seed, asOf, org } = ctx;
  const rng = new Rng(mix(seed, index, 1));
  const unit = org.unitOf[index]!;
  const u = org.units[unit]!;
  const dept = DEPARTMENTS[u.departmentIndex]!;

  const g = rng.next();
  const gender: Gender = g < 0.48 ? 'F' : g < 0.96 ? 'M' : 'U';
  const firstName = firstNameFor(rng, gender);
  const middleName = rng.chance(0.55) ? (rng.chance(0.5) ? `${String.fromCharCode(65 + rng.int(0, 25))}.` : firstNameFor(rng, gender)) : null;
  const familyName = rng.pick(LAST_NAMES);
  const lastName = familyName + (rng.chance(0.03) ? rng.pick(SUFFIXES) : '');
  const age = rng.int(19, 66);
  const dob = asOf - age * 365 - rng.int(0, 364);

  const earliest = Math.max(addYears(dob, 18), asOf - 30 * 365);
  const span = asOf - earliest;
  const hireDay = rng.chance(0.03) ? asOf - rng.int(0, 45) : asOf - Math.floor(rng.next() ** 2 * span);
  const termDay = asOf - hireDay > 60 && rng.chance(0.06) ? hireDay + rng.int(30, asOf - hireDay) : null;
  const endDay = termDay ?? asOf;

  const partTime = rng.chance(dept.partTime);
  const weeklyHours = partTime ? rng.int(16, 34) : 40;
  const pf = rng.next();
  const payFrequency = partTime ? 'weekly' : pf < 0.7 ? 'biweekly' : pf < 0.95 ? 'semimonthly' : 'monthly';

  // Role history: hire, then promotions and transfers spread over the tenure, ending in today's unit.
  const tenureYears = (endDay - hireDay) / 365;
  const ageAtHire = (hireDay - dob) / 365;
  let level = rng.int(0, Math.max(0, Math.min(3, Math.floor((ageAtHire - 20) / 6))));
  const promotions = Math.min(MAX_LEVEL - level, Math.floor(tenureYears / 3 + rng.next() * 1.5));
  const transfers = rng.chance(0.2) ? (rng.chance(0.25) ? 2 : 1) : 0;
  const rehire = tenureYears > 4 && rng.chance(0.03) ? 1 : 0;
  const kinds: Array<'promotion' | 'transfer' | 'rehire'> = rng.shuffle([
    ...Array<'promotion'>(promotions).fill('promotion'), ...Array<'transfer'>(transfers).fill('transfer'),
    ...Array<'rehire'>(rehire).fill('rehire'),
  ]);
  const days = kinds.map(() => hireDay + 1 + Math.floor(rng.next() * Math.max(1, endDay - hireDay - 1))).sort((a, b) => a - b);
  const otherUnit = (not: number): number => {
    const n = org.units.length;
    if (n === 1) return not;
    const k = rng.int(0, n - 2);
    return k >= not ? k + 1 : k;
  };
  let transfersLeft = transfers;
  let at = transfers > 0 ? otherUnit(unit) : unit;
  const roles: RoleFact[] = [{ day: hireDay, level, unit: at, reason: 'hire' }];
  kinds.forEach((kind, k) => {
    if (kind === 'promotion') level += 1;
    if (kind === 'transfer') at = --transfersLeft === 0 ? unit : otherUnit(at);
    roles.push({ day: days[k]!, level, unit: at, reason: kind });
  });

  const salaryDollars = dept.baseSalary * (1 + 0.22 * level) * (0.88 + rng.next() * 0.24) * (weeklyHours / 40);
  const salaryCents = Math.round(salaryDollars) * 100;

  const address = drawAddress(rng, u.locationIndex);
  const phone = drawPhone(rng, u.locationIndex);

  // Family.
  const dependents: DependentFact[] = [];
  const spouseChance = age < 25 ? 0.15 : age < 35 ? 0.45 : 0.62;
  if (rng.chance(spouseChance)) {
    const sg: Gender = gender === 'F' ? (rng.chance(0.9) ? 'M' : 'F') : gender === 'M' ? (rng.chance(0.9) ? 'F' : 'M') : rng.pick(['F', 'M'] as const);
    dependents.push({
      n: 1, firstName: firstNameFor(rng, sg), lastName: rng.chance(0.7) ? familyName : rng.pick(LAST_NAMES),
      relationship: rng.chance(0.9) ? 'spouse' : 'domestic_partner', dob: dob + rng.int(-2500, 2500), gender: sg,
      ssn: dependentSsn(seed, index, 1),
    });
  }
  if (age >= 24) {
    const children = rng.weighted([0.45, 0.2, 0.22, 0.1, 0.03]);
    const from = Math.max(addYears(dob, 20), asOf - 25 * 365);
    for (let c = 0; c < children && from < asOf - 30; c++) {
      const cg: Gender = rng.chance(0.5) ? 'F' : 'M';
      const n = dependents.length + 1;
      dependents.push({
        n, firstName: firstNameFor(rng, cg), lastName: familyName, relationship: 'child', dob: rng.int(from, asOf - 30), gender: cg,
        ssn: rng.chance(0.08) ? null : dependentSsn(seed, index, n),
      });
    }
  }

  const mp = rng.next();
  const medical = rng.chance(0.88) ? MEDICAL_PLANS[mp < 0.5 ? 0 : mp < 0.82 ? 1 : 2]! : null;
  const dental = rng.chance(0.78) ? DENTAL_PLANS[rng.chance(0.6) ? 0 : 1]! : null;
  const suppLifeMultiple = rng.chance(0.125) ? rng.int(1, 5) : 0;
  const spouse = dependents.find((d) => d.relationship !== 'child');
  const kids = dependents.filter((d) => d.relationship === 'child');

  const beneficiaryPlan: Facts['beneficiaryPlan'] = [];
  if (suppLifeMultiple > 0) {
    const name = (d: DependentFact) => `${d.firstName} ${d.lastName}`;
    if (spouse && (kids.length === 0 || rng.chance(0.6))) beneficiaryPlan.push({ name: name(spouse), relationship: spouse.relationship, percent: 100 });
    else if (kids.length > 0) {
      const share = Math.floor(100 / kids.length);
      kids.forEach((k, i) => beneficiaryPlan.push({ name: name(k), relationship: 'child', percent: i === 0 ? 100 - share * (kids.length - 1) : share }));
    } else {
      beneficiaryPlan.push({ name: `${firstNameFor(rng, 'F')} ${familyName}`, relationship: rng.pick(['parent', 'sibling']), percent: 60 });
      beneficiaryPlan.push({ name: `Estate of ${firstName} ${lastName}`, relationship: 'estate', percent: 40 });
    }
  }

  const leave: LeaveFact[] = [];
  const leaveFrom = Math.max(hireDay, asOf - 3 * 365);
  const history = rng.weighted([0.45, 0.3, 0.18, 0.07]);
  for (let k = 0; k < history && endDay - leaveFrom > 20; k++) {
    const type = (['pto', 'medical', 'parental', 'unpaid'] as const)[rng.weighted([0.5, 0.25, 0.15, 0.1])]!;
    const length = type === 'pto' ? rng.int(1, 10) : type === 'medical' ? rng.int(5, 60) : type === 'parental' ? rng.int(30, 112) : rng.int(5, 30);
    const start = rng.int(leaveFrom, endDay - 15);
    leave.push({ type, start, end: Math.min(start + length, endDay - 1) });
  }
  leave.sort((a, b) => a.start - b.start);
  if (termDay === null && asOf - hireDay > 120 && rng.chance(0.04)) {
    leave.push({ type: (['medical', 'parental', 'unpaid'] as const)[rng.weighted([0.5, 0.35, 0.15])]!, start: asOf - rng.int(1, 100), end: null });
  }

  const filingStatus = spouse ? (rng.chance(0.85) ? 'married_joint' : 'married_separate') : kids.length > 0 ? 'head_of_household' : 'single';

  return {
    index, unit, gender, firstName, middleName, lastName, ssn: employeeSsn(seed, index), dob,
    emailLocal: `${ascii(firstName)}.${ascii(lastName)}${index + 1}`, phone, address, hireDay, termDay, partTime,
    weeklyHours, payFrequency, salaryCents, roles, dependents, medical, dental, vision: rng.chance(0.55),
    suppLifeMultiple, std: rng.chance(0.45), ltd: !partTime && rng.chance(0.7), coverSpouse: rng.chance(0.85),
    coverChildren: rng.chance(0.9), beneficiaryPlan, leave, filingStatus, allowances: rng.int(0, 4),
    ptoHours: rng.int(0, 480) / 2, sickHours: rng.int(0, 160) / 2,
  };
}

/**
 * Applies the change that takes the employee from version `k - 1` to `k`. Each change is dated the
 * (k-1)th day after asOf and drawn from its own stream, so version k is the same whoever asks.
 */
export function applyChange(ctx: FactContext, f: Facts, k: number): void {
  const rng = new Rng(mix(ctx.seed, f.index, k));
  const day = ctx.asOf + k - 1;
  f.salaryCents = Math.round((f.salaryCents / 100) * (1.02 + rng.next() * 0.04)) * 100;
  const active = f.termDay === null;
  const last = f.roles[f.roles.length - 1]!;
  let kind = active ? rng.int(0, 4) : rng.int(0, 1);
  if (kind === 2 && last.level >= MAX_LEVEL) kind = 0;
  const locationIndex = ctx.org.units[f.unit]!.locationIndex;
  switch (kind) {
    case 0:
      f.address = drawAddress(rng, locationIndex);
      break;
    case 1:
      f.phone = drawPhone(rng, locationIndex);
      break;
    case 2:
      f.roles = [...f.roles, { day, level: last.level + 1, unit: f.unit, reason: 'promotion' }];
      break;
    case 3: {
      const g: Gender = rng.chance(0.5) ? 'F' : 'M';
      const n = f.dependents.length + 1;
      f.dependents = [...f.dependents, { n, firstName: firstNameFor(rng, g), lastName: f.lastName.replace(/, (Jr\.|Sr\.|III)$/, ''), relationship: 'child', dob: day - rng.int(0, 20), gender: g, ssn: null }];
      f.coverChildren = true;
      break;
    }
    default: {
      const start = day - rng.int(10, 40);
      f.leave = [...f.leave, { type: 'pto', start, end: start + rng.int(1, 5) }];
    }
  }
}
