import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { assertChunk } from './chunk.js';

/** An employee's current snapshot; `pii` is already encrypted by the caller (security/pii.ts). */
export interface EmployeeRow {
  tenantId: string;
  employeeId: string;
  location: string;
  department: string;
  version: number;
  data: Record<string, unknown>;
  pii: Uint8Array | null;
}

export interface EmployeesRepository {
  /** Inserts or replaces up to one chunk; a row only replaces an older version. */
  upsertMany(rows: readonly EmployeeRow[]): Promise<number>;
  /** Keyset page ordered by employee id. */
  page(tenantId: string, afterEmployeeId: string | null, limit: number): Promise<EmployeeRow[]>;
  count(tenantId: string): Promise<number>;
  versions(tenantId: string, employeeIds: readonly string[]): Promise<Map<string, number>>;
}

export function createEmployeesRepository(db: Kysely<DB>): EmployeesRepository {
  return {
    async upsertMany(rows) {
      if (rows.length === 0) return 0;
      assertChunk(rows, 'employees.upsertMany');
      const res = await db.insertInto('employees')
        .values(rows.map((r) => ({
          tenant_id: r.tenantId, employee_id: r.employeeId, location: r.location, department: r.department,
          version: r.version, data: JSON.stringify(r.data), pii: r.pii,
        })))
        .onConflict((oc) => oc.columns(['tenant_id', 'employee_id']).doUpdateSet((eb) => ({
          location: eb.ref('excluded.location'), department: eb.ref('excluded.department'),
          version: eb.ref('excluded.version'), data: eb.ref('excluded.data'), pii: eb.ref('excluded.pii'),
          updated_at: new Date(),
        })).where('employees.version', '<', (eb) => eb.ref('excluded.version')))
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0);
    },
    async page(tenantId, after, limit) {
      let q = db.selectFrom('employees').selectAll().where('tenant_id', '=', tenantId);
      if (after !== null) q = q.where('employee_id', '>', after);
      const rows = await q.orderBy('employee_id').limit(limit).execute();
      return rows.map((r) => ({
        tenantId: r.tenant_id, employeeId: r.employee_id, location: r.location, department: r.department,
        version: r.version, data: r.data, pii: r.pii,
      }));
    },
    async count(tenantId) {
      const row = await db.selectFrom('employees').select((eb) => eb.fn.countAll<string>().as('n'))
        .where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async versions(tenantId, ids) {
      if (ids.length === 0) return new Map();
      assertChunk(ids, 'employees.versions');
      const rows = await db.selectFrom('employees').select(['employee_id', 'version'])
        .where('tenant_id', '=', tenantId).where('employee_id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.employee_id, r.version]));
    },
  };
}
