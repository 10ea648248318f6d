import type { Database } from '../engines/database/port.js';
import type { EmployeeRow } from '../engines/database/repositories/employees.js';
import type { PiiCipher } from '../security/pii-cipher.js';
import type { EmployeeSnapshot } from '../shared/snapshot.js';
import { MAX_CHUNK } from '../engines/database/repositories/chunk.js';

/** Splits a snapshot into its plain part and the sensitive part that is sealed at rest. */
export function toEmployeeRow(tenantId: string, s: EmployeeSnapshot, pii: PiiCipher): EmployeeRow {
  const { person, address, compensation, dependents, ...rest } = s;
  const { ssn, dateOfBirth, ...personRest } = person;
  const sensitive = {
    ssn, dateOfBirth, address, annualSalary: compensation.annualSalary,
    dependents: dependents.map((d) => ({ dependentId: d.dependentId, ssn: d.ssn, dateOfBirth: d.dateOfBirth })),
  };
  return {
    tenantId,
    employeeId: s.employeeId,
    location: s.orgUnit.location,
    department: s.orgUnit.department,
    version: s.version,
    data: {
      ...rest,
      person: personRest,
      compensation: { currency: compensation.currency, payFrequency: compensation.payFrequency },
      dependents: dependents.map(({ ssn: _s, dateOfBirth: _d, ...d }) => d),
    },
    pii: pii.seal(tenantId, sensitive),
  };
}

/**
 * The inverse of `toEmployeeRow`: a stored row's plain `data` and sealed `pii` (employees or
 * snapshots table) back into the full snapshot.
 */
export function fromSnapshotParts(tenantId: string, data: Record<string, unknown>, sealed: Uint8Array | null, pii: PiiCipher): EmployeeSnapshot {
  type Sensitive = {
    ssn: string; dateOfBirth: string; address: EmployeeSnapshot['address']; annualSalary: string;
    dependents: Array<{ dependentId: string; ssn: string | null; dateOfBirth: string }>;
  };
  if (!sealed) throw new Error(`snapshot of ${String(data.employeeId)} has no sealed part`);
  const s = pii.open<Sensitive>(tenantId, sealed);
  const plain = data as Omit<EmployeeSnapshot, 'person' | 'address' | 'compensation' | 'dependents'> & {
    person: Omit<EmployeeSnapshot['person'], 'ssn' | 'dateOfBirth'>;
    compensation: Omit<EmployeeSnapshot['compensation'], 'annualSalary'>;
    dependents: Array<Omit<EmployeeSnapshot['dependents'][number], 'ssn' | 'dateOfBirth'>>;
  };
  const deps = new Map(s.dependents.map((d) => [d.dependentId, d]));
  return {
    ...plain,
    person: { ...plain.person, ssn: s.ssn, dateOfBirth: s.dateOfBirth },
    address: s.address,
    compensation: { ...plain.compensation, annualSalary: s.annualSalary },
    dependents: plain.dependents.map((d) => ({ ...d, ssn: deps.get(d.dependentId)?.ssn ?? null, dateOfBirth: deps.get(d.dependentId)!.dateOfBirth })),
  } as EmployeeSnapshot;
}

/** Loads employees in one-chunk units of work, reporting progress after each. */
export async function loadEmployees(opts: {
  db: Database; pii: PiiCipher; tenantId: string; employees: Iterable<EmployeeSnapshot>;
  onProgress?: (loaded: number) => void;
}): Promise<number> {
  let chunk: EmployeeRow[] = [];
  let loaded = 0;
  const flush = async () => {
    const rows = chunk;
    chunk = [];
    await opts.db.unitOfWork((r) => r.employees.upsertMany(rows));
    loaded += rows.length;
    opts.onProgress?.(loaded);
  };
  for (const s of opts.employees) {
    chunk.push(toEmployeeRow(opts.tenantId, s, opts.pii));
    if (chunk.length === MAX_CHUNK) await flush();
  }
  if (chunk.length) await flush();
  return loaded;
}
