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
