import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { assertChunk } from './chunk.js';

/** A benefit record: one employee × vendor × plan, versioned; `fields` are the vendor-facing values. */
export interface BenefitRecord {
  recordId: number; tenantId: string; employeeId: string; vendorId: string; planCode: string; version: number;
  fields: Record<string, unknown>; lastFileId: string | null; lastLine: number | null;
}

export interface FileMember {
  employeeId: string; planCode: string; recordId: number; recordVersion: number; recordHash: string;
  maintenanceCode: string | null; sent: Record<string, unknown>;
}

export interface BenefitRecordsRepository {
  /** Creates records that do not exist yet (version 1); returns the id of every key, new or existing. */
  ensureMany(rows: ReadonlyArray<{ tenantId: string; employeeId: string; vendorId: string; planCode: string; fields: Record<string, unknown> }>): Promise<number[]>;
  get(recordId: number): Promise<BenefitRecord | undefined>;
  /** Keyset page of a tenant × vendor's records ordered by (employee, plan). */
  page(tenantId: string, vendorId: string, after: { employeeId: string; planCode: string } | null, limit: number): Promise<BenefitRecord[]>;
  /** Versioned update (If-Match): merges `patch` into fields; null when the version is not `expectedVersion`. */
  updateFields(recordId: number, expectedVersion: number, patch: Record<string, unknown>): Promise<number | null>;
  /** The members an outbound file carried (the expected version and before-image for its response). */
  insertFileMembers(tenantId: string, fileId: string, members: readonly FileMember[]): Promise<void>;
}

const toRecord = (r: { record_id: unknown; tenant_id: string; employee_id: string; vendor_id: string; plan_code: string; version: number; fields: unknown; last_file_id: string | null; last_line: number | null }): BenefitRecord => ({
  recordId: Number(r.record_id), tenantId: r.tenant_id, employeeId: r.employee_id, vendorId: r.vendor_id, planCode: r.plan_code,
  version: r.version, fields: (typeof r.fields === 'string' ? JSON.parse(r.fields) : r.fields) as Record<string, unknown>,
  lastFileId: r.last_file_id, lastLine: r.last_line,
});

export function createBenefitRecordsRepository(db: Kysely<DB>): BenefitRecordsRepository {
  return {
    async ensureMany(rows) {
      if (rows.length === 0) return [];
      assertChunk(rows, 'benefitRecords.ensureMany');
      await db.insertInto('benefit_records').values(rows.map((r) => ({
        tenant_id: r.tenantId, employee_id: r.employeeId, vendor_id: r.vendorId, plan_code: r.planCode, fields: JSON.stringify(r.fields),
      }))).onConflict((oc) => oc.columns(['tenant_id', 'employee_id', 'vendor_id', 'plan_code']).doNothing()).execute();
      const res = await sql<{ record_id: number; i: number }>`
        select b.record_id, k.i from unnest(${rows.map((r) => r.tenantId)}::text[], ${rows.map((r) => r.employeeId)}::text[],
          ${rows.map((r) => r.vendorId)}::text[], ${rows.map((r) => r.planCode)}::text[]) with ordinality as k(t, e, v, p, i)
        join benefit_records b on b.tenant_id = k.t and b.employee_id = k.e and b.vendor_id = k.v and b.plan_code = k.p
        order by k.i`.execute(db);
      return res.rows.map((r) => Number(r.record_id));
    },
    async get(recordId) {
      const row = await db.selectFrom('benefit_records').selectAll().where(sql<boolean>`record_id = ${recordId}`).executeTakeFirst();
      return row && toRecord(row);
    },
    async page(tenantId, vendorId, after, limit) {
      let q = db.selectFrom('benefit_records').selectAll().where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId);
      if (after) q = q.where(sql<boolean>`(employee_id, plan_code) > (${after.employeeId}, ${after.planCode})`);
      const rows = await q.orderBy('employee_id').orderBy('plan_code').limit(limit).execute();
      return rows.map(toRecord);
    },
    async updateFields(recordId, expectedVersion, patch) {
      const res = await sql<{ version: number }>`
        update benefit_records set fields = fields || ${JSON.stringify(patch)}::jsonb, version = version + 1, updated_at = now()
        where record_id = ${recordId} and version = ${expectedVersion} returning version`.execute(db);
      return res.rows[0]?.version ?? null;
    },
    async insertFileMembers(tenantId, fileId, members) {
      if (members.length === 0) return;
      assertChunk(members, 'benefitRecords.insertFileMembers');
      await db.insertInto('file_members').values(members.map((m) => ({
        tenant_id: tenantId, file_id: fileId, employee_id: m.employeeId, plan_code: m.planCode, record_id: m.recordId,
        record_version: m.recordVersion, record_hash: m.recordHash, maintenance_code: m.maintenanceCode, sent: JSON.stringify(m.sent),
      }))).onConflict((oc) => oc.columns(['file_id', 'employee_id', 'plan_code']).doNothing()).execute();
    },
  };
}
