import type { Dependent, Election, EmployeeSnapshot } from '../../shared/snapshot.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import { readPath } from '../../vendors/field-paths.js';
import { compileColumns, resolveValue, type CompiledColumn } from './columns.js';
import { imageHash, type Person834, type RecordImage, type X12Image } from './outbound-record.js';

/**
 * Snapshot → the records a vendor receives (one per employee × plan of the vendor's plan types).
 * Pure. A value that breaks the spec (required and missing, unmapped) makes that record a returned
 * problem, not a throw: the rest of the file goes on.
 */
export interface BuiltRecord {
  employeeId: string;
  planCode: string;
  planType: Election['planType'];
  /** Coverage has ended (employment terminated or the election's end date reached). */
  ended: boolean;
  image: RecordImage;
  hash: string;
  election: Election;
}
export interface BuildProblem { employeeId: string; planCode: string; column: string; message: string }

export interface RecordBuilder {
  build(snapshot: EmployeeSnapshot): { records: BuiltRecord[]; problems: BuildProblem[] };
  /** Line columns sealed at rest. */
  readonly sensitiveColumns: ReadonlySet<string>;
}

const RELATIONSHIP_834: Record<string, string> = { self: '18', spouse: '01', child: '19', domestic_partner: '53' };
const TIER_834: Record<string, string> = { EE: 'EMP', ES: 'ESP', EC: 'ECH', FAM: 'FAM' };

export function createRecordBuilder(opts: { spec: VendorSpec; settings: Record<string, unknown>; asOf: string }): RecordBuilder {
  const { spec, settings, asOf } = opts;
  const out = spec.outbound;
  const planTypes = new Set(out.planTypes);
  const columns = out.columns ? compileColumns(out.columns) : [];
  const planCodes = (settings.planCodes ?? {}) as Record<string, string>;
  const sensitiveColumns = new Set(columns.filter((c) => c.sensitive).map((c) => c.name));
  const stored = columns.filter((c) => c.kind !== 'deferred');
  const makeLine = compileLineFactory(stored.map((c) => c.name));

  const elections = (s: EmployeeSnapshot) => s.elections.filter((e) => planTypes.has(e.planType));
  const isEnded = (s: EmployeeSnapshot, e: Election) => s.employment.status === 'terminated' || (e.endDate !== null && e.endDate <= asOf);

  function buildLines(s: EmployeeSnapshot, e: Election, problems: BuildProblem[]): RecordImage | null {
    const plan = { code: e.planCode, vendorCode: planCodes[e.planCode] ?? e.planCode, type: e.planType };
    const covered = out.members === 'all' ? coveredDependents(s, e) : [];
    const members = [subscriberMember(s), ...covered.map((d, i) => dependentMember(d, i + 1))];
    const lines: Array<Record<string, string | null>> = [];
    let ok = true;
    for (const member of members) {
      const ctx = { employee: s, election: e, member, plan, settings };
      const values = new Array<string | null>(stored.length);
      for (let i = 0; i < stored.length; i++) {
        const col = stored[i]!;
        const r = resolveValue(col, col.kind === 'const' ? col.spec.value : readPath(ctx, col.path));
        if (r.ok) values[i] = r.value;
        else {
          ok = false;
          problems.push({ employeeId: s.employeeId, planCode: e.planCode, column: col.name, message: r.message });
        }
      }
      if (ok) lines.push(makeLine(values));
    }
    return ok ? { kind: 'lines', lines } : null;
  }

  function buildX12(s: EmployeeSnapshot, e: Election, problems: BuildProblem[]): X12Image | null {
    const problem = (column: string, message: string) => {
      problems.push({ employeeId: s.employeeId, planCode: e.planCode, column, message });
      return null;
    };
    const line = out.x12!.insuranceLines[e.planType];
    if (!line) return problem('HD03', `no insurance line code for plan type ${e.planType}`);
    const a = s.address;
    const subscriber: Person834 = {
      relationship: '18', memberId: s.employeeId, lastName: s.person.lastName, firstName: s.person.firstName,
      middleName: s.person.middleName, ssn: s.person.ssn, dateOfBirth: s.person.dateOfBirth, gender: s.person.gender,
      phone: s.person.phone || null, email: s.person.email || null,
      address: { line1: a.line1, line2: a.line2, city: a.city, state: a.state, postalCode: a.postalCode },
    };
    const dependents = coveredDependents(s, e).map((d): Person834 => ({
      relationship: RELATIONSHIP_834[d.relationship]!, memberId: d.dependentId, lastName: d.lastName, firstName: d.firstName,
      middleName: null, ssn: d.ssn, dateOfBirth: d.dateOfBirth, gender: d.gender, phone: null, email: null, address: null,
    }));
    const status = s.employment.status === 'terminated' ? 'TE' : s.employment.employeeType;
    return {
      kind: 'x12', subscriberId: s.employeeId, employmentStatus: status, hireDate: s.employment.hireDate, subscriber, dependents,
      coverage: {
        insuranceLine: line, planCode: planCodes[e.planCode] ?? e.planCode, tier: TIER_834[e.coverageTier]!,
        start: e.effectiveDate, end: e.endDate ?? (s.employment.status === 'terminated' ? s.employment.terminationDate : null),
      },
    };
  }

  return {
    sensitiveColumns,
    build(s) {
      const records: BuiltRecord[] = [];
      const problems: BuildProblem[] = [];
      for (const e of elections(s)) {
        const image = out.format === 'x12-834' ? buildX12(s, e, problems) : buildLines(s, e, problems);
        if (!image) continue;
        records.push({
          employeeId: s.employeeId, planCode: e.planCode, planType: e.planType, ended: isEnded(s, e),
          image, hash: imageHash(image), election: e,
        });
      }
      return { records, problems };
    },
  };
}

function coveredDependents(s: EmployeeSnapshot, e: Election): Dependent[] {
  const ids = new Set(e.coveredDependentIds);
  return s.dependents.filter((d) => ids.has(d.dependentId));
}

function subscriberMember(s: EmployeeSnapshot) {
  const p = s.person;
  return {
    kind: 'subscriber', relationship: 'self', dependentId: null, sequence: 0, firstName: p.firstName,
    middleName: p.middleName, lastName: p.lastName, ssn: p.ssn, dateOfBirth: p.dateOfBirth, gender: p.gender,
  };
}

function dependentMember(d: Dependent, sequence: number) {
  return {
    kind: 'dependent', relationship: d.relationship, dependentId: d.dependentId, sequence, firstName: d.firstName,
    middleName: null, lastName: d.lastName, ssn: d.ssn, dateOfBirth: d.dateOfBirth, gender: d.gender,
  };
}


/**
 * A line's values as an object literal with the columns as keys, compiled once per spec. A wide
 * spec has hundreds of columns; objects built key by key past about a hundred properties fall back
 * to dictionary mode, where every read in the writer is a hash lookup. One literal shape keeps the
 * lines fast and alike (writers' property reads stay monomorphic) and keeps key order = column order,
 * so the image's JSON, and its hash, are what they were.
 */
function compileLineFactory(names: readonly string[]): (values: Array<string | null>) => Record<string, string | null> {
  const fields = names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ');
  return new Function('v', `return { ${fields} };`) as (values: Array<string | null>) => Record<string, string | null>;
}

export type { CompiledColumn };
