import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { MAX_CHUNK } from './chunk.js';

/** One row of the benefit-records checksum: what two runs of the same input must agree on. */
export interface RecordDigest { rows: number; sha256: string }

export interface RunResultsRepository {
  /**
   * Makes a gathered batch's complete snapshots the tenant's current employees (never replacing a
   * newer version), one chunk after `afterEmployeeId`; returns the last employee id of the chunk, or
   * null when the batch is exhausted.
   */
  promoteBatch(batchId: string, afterEmployeeId: string | null): Promise<string | null>;
  /**
   * SHA-256 over (tenant, employee, vendor, plan, version, fields) of one tenant × vendor's benefit
   * records after `after`, ordered; chained by the caller across pages. Computed in the database so
   * the digest does not depend on the driver's JSON or integer representation.
   */
  recordDigestPage(tenantId: string, vendorId: string, after: { employeeId: string; planCode: string } | null):
    Promise<{ lines: string[]; last: { employeeId: string; planCode: string } | null }>;
  /** Audit rows written by one file's apply (applied + merged updates). */
  auditCount(tenantId: string, fileId: string): Promise<number>;
}

export function createRunResultsRepository(db: Kysely<DB>): RunResultsRepository {
  return {
    async promoteBatch(batchId, after) {
      const res = await sql<{ employee_id: string }>`
        with chunk as (
          select s.tenant_id, s.employee_id, b.location, b.department, s.version, s.data, s.pii
          from snapshots s join batches b on b.batch_id = s.batch_id
          where s.batch_id = ${batchId} and s.status = 'complete' and s.employee_id > ${after ?? ''}
          order by s.employee_id limit ${MAX_CHUNK}
        ), up as (
          insert into employees (tenant_id, employee_id, location, department, version, data, pii)
          select tenant_id, employee_id, location, department, version, data, pii from chunk
          on conflict (tenant_id, employee_id) do update set location = excluded.location, department = excluded.department,
            version = excluded.version, data = excluded.data, pii = excluded.pii, updated_at = now()
          where employees.version < excluded.version
        )
        select max(employee_id) as employee_id from chunk`.execute(db);
      return res.rows[0]?.employee_id ?? null;
    },
    async recordDigestPage(tenantId, vendorId, after) {
      const res = await sql<{ employee_id: string; plan_code: string; line: string }>`
        select employee_id, plan_code,
          concat_ws('|', tenant_id, employee_id, vendor_id, plan_code, version::text, fields::text) as line
        from benefit_records
        where tenant_id = ${tenantId} and vendor_id = ${vendorId}
          and (employee_id, plan_code) > (${after?.employeeId ?? ''}, ${after?.planCode ?? ''})
        order by employee_id, plan_code limit ${MAX_CHUNK}`.execute(db);
      const lastRow = res.rows[res.rows.length - 1];
      return { lines: res.rows.map((r) => r.line), last: lastRow ? { employeeId: lastRow.employee_id, planCode: lastRow.plan_code } : null };
    },
    async auditCount(tenantId, fileId) {
      const res = await sql<{ n: string }>`select count(*)::text as n from audit_log where tenant_id = ${tenantId} and file_id = ${fileId} and action = 'ingest.apply'`.execute(db);
      return Number(res.rows[0]?.n ?? 0);
    },
  };
}
