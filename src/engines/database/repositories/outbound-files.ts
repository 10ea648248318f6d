import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { assertChunk } from './chunk.js';

/**
 * What generating an outbound file needs: the tenant × vendor settings and counters, the file row
 * (its seq and control number allocated once), the records it carries (file_members, with the
 * benefit_record each one reflects) and the change-file hashes, which advance only on delivery.
 */
export interface TenantVendor { tenantId: string; vendorId: string; settings: Record<string, unknown>; nextSeq: number; nextControlNumber: number }

export interface OutboundFileRow {
  tenantId: string; fileId: string; vendorId: string; cycleId: string | null; kind: 'full' | 'change'; name: string;
  seq: number; controlNumber: number; status: string; size: number | null; sha256: string | null; rows: number | null;
}

export interface OutboundMember {
  employeeId: string; planCode: string; recordId: number; recordVersion: number; recordHash: string;
  maintenanceCode: string; sent: Record<string, unknown>; sentPii: Uint8Array | null;
}

export interface MemberKey { employeeId: string; planCode: string }
/** A member as generation stores it: the benefit record it reflects is found, or created from `fields` at version 1. */
export type NewMember = Omit<OutboundMember, 'recordId' | 'recordVersion'> & { fields: Record<string, unknown> };
export interface MemberHash extends MemberKey { recordHash: string; fileId: string }

export interface OutboundFilesRepository {
  tenantVendor(tenantId: string, vendorId: string): Promise<TenantVendor | undefined>;
  /** Creates or replaces the tenant's settings for a vendor (counters are kept). */
  putTenantVendor(tenantId: string, vendorId: string, settings: Record<string, unknown>): Promise<void>;
  /** Registers (or updates) a vendor's validated spec for a tenant. */
  putVendor(tenantId: string, vendorId: string, name: string, spec: unknown, specSha256: string): Promise<void>;
  /** Takes the next file sequence number and interchange control number, atomically. */
  allocateNumbers(tenantId: string, vendorId: string): Promise<{ seq: number; controlNumber: number }>;
  insertOutbound(file: Omit<OutboundFileRow, 'status' | 'size' | 'sha256' | 'rows'>): Promise<void>;
  getOutbound(tenantId: string, fileId: string): Promise<OutboundFileRow | undefined>;
  /** The outbound file of a cycle for a vendor, if one was created. */
  outboundForCycle(tenantId: string, cycleId: string, vendorId: string): Promise<OutboundFileRow | undefined>;
  setOutbound(tenantId: string, fileId: string, patch: Partial<Pick<OutboundFileRow, 'status' | 'size' | 'sha256' | 'rows' | 'name'>> & { error?: string | null }): Promise<void>;
  /** Deletes up to one chunk of a file's members (call until it returns 0). */
  clearMembersChunk(tenantId: string, fileId: string): Promise<number>;
  /**
   * Stores up to one chunk of a file's members, each linked to its benefit record (id and version as
   * they are now) — created at version 1 from the member's fields when the vendor has none for that
   * member × plan yet. One statement.
   */
  insertMembers(tenantId: string, vendorId: string, fileId: string, members: readonly NewMember[]): Promise<void>;
  /** Keyset page of a file's members by (employee, plan). */
  membersPage(tenantId: string, fileId: string, after: MemberKey | null, limit: number): Promise<OutboundMember[]>;
  /** Members as sent by given files (to terminate someone who left with the values the vendor holds). */
  sentMembers(tenantId: string, keys: ReadonlyArray<MemberKey & { fileId: string }>): Promise<OutboundMember[]>;
  /** Delivered hashes of a vendor's members with employee id in (range.after, range.upTo] (null: unbounded), keyset paged by `after`. */
  hashesRange(tenantId: string, vendorId: string, range: { after: string | null; upTo: string | null }, after: MemberKey | null, limit: number): Promise<MemberHash[]>;
  upsertHashes(tenantId: string, vendorId: string, hashes: readonly MemberHash[]): Promise<void>;
  /**
   * Makes a file's members the vendor's delivered state, in the database: their hashes are set
   * (inserted or replaced) and its terminations' hashes removed. Returns how many of each.
   */
  advanceHashesFromFile(tenantId: string, vendorId: string, fileId: string): Promise<{ advanced: number; removed: number }>;
  /** Deletes up to one chunk of hashes not set by `fileId` (a delivered full file replaces them all). */
  deleteHashesNotFromChunk(tenantId: string, vendorId: string, fileId: string): Promise<number>;
  rowError(tenantId: string, fileId: string, e: { line: number; column: string; code: string; message: string }): Promise<void>;
}

const toFile = (r: Record<string, any>): OutboundFileRow => ({
  tenantId: r.tenant_id, fileId: r.file_id, vendorId: r.vendor_id, cycleId: r.cycle_id, kind: r.kind, name: r.name,
  seq: r.seq, controlNumber: r.control_number, status: r.status, size: r.size === null ? null : Number(r.size), sha256: r.sha256, rows: r.rows,
});

const toMember = (r: Record<string, any>): OutboundMember => ({
  employeeId: r.employee_id, planCode: r.plan_code, recordId: Number(r.record_id), recordVersion: r.record_version,
  recordHash: r.record_hash, maintenanceCode: r.maintenance_code, sent: typeof r.sent === 'string' ? JSON.parse(r.sent) : r.sent, sentPii: r.sent_pii,
});

export function createOutboundFilesRepository(db: Kysely<DB>): OutboundFilesRepository {
  return {
    async tenantVendor(tenantId, vendorId) {
      const r = await db.selectFrom('tenant_vendors').selectAll().where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).executeTakeFirst();
      return r && { tenantId, vendorId, settings: r.settings, nextSeq: r.next_seq, nextControlNumber: r.next_control_number };
    },
    async putTenantVendor(tenantId, vendorId, settings) {
      await db.insertInto('tenant_vendors').values({ tenant_id: tenantId, vendor_id: vendorId, settings: JSON.stringify(settings) })
        .onConflict((oc) => oc.columns(['tenant_id', 'vendor_id']).doUpdateSet({ settings: JSON.stringify(settings) })).execute();
    },
    async putVendor(tenantId, vendorId, name, spec, specSha256) {
      await db.insertInto('vendors').values({ tenant_id: tenantId, vendor_id: vendorId, name, spec: JSON.stringify(spec), spec_sha256: specSha256 })
        .onConflict((oc) => oc.columns(['tenant_id', 'vendor_id']).doUpdateSet({ name, spec: JSON.stringify(spec), spec_sha256: specSha256 })).execute();
    },
    async allocateNumbers(tenantId, vendorId) {
      await db.insertInto('tenant_vendors').values({ tenant_id: tenantId, vendor_id: vendorId, settings: '{}' })
        .onConflict((oc) => oc.columns(['tenant_id', 'vendor_id']).doNothing()).execute();
      const r = await sql<{ seq: number; ctl: number }>`update tenant_vendors
        set next_seq = next_seq + 1, next_control_number = case when next_control_number >= 999999999 then 1 else next_control_number + 1 end
        where tenant_id = ${tenantId} and vendor_id = ${vendorId}
        returning next_seq - 1 as seq, case when next_control_number = 1 then 999999999 else next_control_number - 1 end as ctl`.execute(db);
      return { seq: r.rows[0]!.seq, controlNumber: r.rows[0]!.ctl };
    },
    async insertOutbound(f) {
      await db.insertInto('files').values({
        tenant_id: f.tenantId, file_id: f.fileId, vendor_id: f.vendorId, cycle_id: f.cycleId, direction: 'out', kind: f.kind,
        name: f.name, seq: f.seq, control_number: f.controlNumber, status: 'generating',
      }).execute();
    },
    async getOutbound(tenantId, fileId) {
      const r = await db.selectFrom('files').selectAll().where('tenant_id', '=', tenantId).where('file_id', '=', fileId).where('direction', '=', 'out').executeTakeFirst();
      return r && toFile(r);
    },
    async outboundForCycle(tenantId, cycleId, vendorId) {
      const r = await db.selectFrom('files').selectAll().where('tenant_id', '=', tenantId).where('cycle_id', '=', cycleId)
        .where('vendor_id', '=', vendorId).where('direction', '=', 'out').orderBy('created_at', 'desc').executeTakeFirst();
      return r && toFile(r);
    },
    async setOutbound(tenantId, fileId, p) {
      await db.updateTable('files').set({
        ...(p.status !== undefined ? { status: p.status } : {}), ...(p.size !== undefined ? { size: p.size } : {}),
        ...(p.sha256 !== undefined ? { sha256: p.sha256 } : {}), ...(p.rows !== undefined ? { rows: p.rows } : {}),
        ...(p.name !== undefined ? { name: p.name } : {}), ...(p.error !== undefined ? { error: p.error } : {}), updated_at: new Date(),
      }).where('tenant_id', '=', tenantId).where('file_id', '=', fileId).execute();
    },
    async clearMembersChunk(tenantId, fileId) {
      const r = await sql`delete from file_members where ctid in (
        select ctid from file_members where tenant_id = ${tenantId} and file_id = ${fileId} limit 1000)`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
    async insertMembers(tenantId, vendorId, fileId, members) {
      if (members.length === 0) return;
      assertChunk(members, 'outboundFiles.insertMembers');
      // One JSON parameter for the chunk, as upsertSnapshots does: ten bound parameters a row cost
      // more to assemble and bind than the insert itself. Records created here come back from the
      // insert's RETURNING (the statement's snapshot does not see them); the others are joined.
      const payload = JSON.stringify(members.map((m) => ({
        e: m.employeeId, p: m.planCode, f: m.fields, h: m.recordHash, c: m.maintenanceCode, s: m.sent,
        x: m.sentPii === null ? null : Buffer.from(m.sentPii.buffer, m.sentPii.byteOffset, m.sentPii.byteLength).toString('base64'),
      })));
      await sql`with j as (
          select * from jsonb_to_recordset(${payload}::jsonb) as j(e text, p text, f jsonb, h text, c text, s jsonb, x text)
        ), created as (
          insert into benefit_records (tenant_id, employee_id, vendor_id, plan_code, fields)
          select ${tenantId}, e, ${vendorId}, p, f from j
          on conflict (tenant_id, employee_id, vendor_id, plan_code) do nothing
          returning employee_id, plan_code, record_id, version
        )
        insert into file_members (tenant_id, file_id, employee_id, plan_code, record_id, record_version, record_hash, maintenance_code, sent, sent_pii)
        select ${tenantId}, ${fileId}, j.e, j.p, coalesce(n.record_id, b.record_id), coalesce(n.version, b.version), j.h, j.c, j.s, decode(j.x, 'base64')
        from j left join created n on n.employee_id = j.e and n.plan_code = j.p
        left join benefit_records b on n.record_id is null and b.tenant_id = ${tenantId} and b.vendor_id = ${vendorId}
          and b.employee_id = j.e and b.plan_code = j.p`.execute(db);
    },
    async membersPage(tenantId, fileId, after, limit) {
      let q = db.selectFrom('file_members').selectAll().where('tenant_id', '=', tenantId).where('file_id', '=', fileId);
      if (after) q = q.where(sql<boolean>`(employee_id, plan_code) > (${after.employeeId}, ${after.planCode})`);
      return (await q.orderBy('employee_id').orderBy('plan_code').limit(limit).execute()).map(toMember);
    },
    async sentMembers(tenantId, keys) {
      if (keys.length === 0) return [];
      assertChunk(keys, 'outboundFiles.sentMembers');
      const r = await sql<Record<string, unknown>>`select m.* from unnest(${keys.map((k) => k.fileId)}::text[], ${keys.map((k) => k.employeeId)}::text[],
          ${keys.map((k) => k.planCode)}::text[]) as k(f, e, p)
        join file_members m on m.tenant_id = ${tenantId} and m.file_id = k.f and m.employee_id = k.e and m.plan_code = k.p`.execute(db);
      return r.rows.map(toMember);
    },
    async hashesRange(tenantId, vendorId, range, after, limit) {
      let q = db.selectFrom('member_hashes').select(['employee_id', 'plan_code', 'record_hash', 'file_id'])
        .where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId);
      if (range.after !== null) q = q.where('employee_id', '>', range.after);
      if (range.upTo !== null) q = q.where('employee_id', '<=', range.upTo);
      if (after) q = q.where(sql<boolean>`(employee_id, plan_code) > (${after.employeeId}, ${after.planCode})`);
      const rows = await q.orderBy('employee_id').orderBy('plan_code').limit(limit).execute();
      return rows.map((r) => ({ employeeId: r.employee_id, planCode: r.plan_code, recordHash: r.record_hash, fileId: r.file_id }));
    },
    async upsertHashes(tenantId, vendorId, hashes) {
      if (hashes.length === 0) return;
      assertChunk(hashes, 'outboundFiles.upsertHashes');
      await db.insertInto('member_hashes').values(hashes.map((h) => ({
        tenant_id: tenantId, vendor_id: vendorId, employee_id: h.employeeId, plan_code: h.planCode, record_hash: h.recordHash, file_id: h.fileId,
      }))).onConflict((oc) => oc.columns(['tenant_id', 'vendor_id', 'employee_id', 'plan_code']).doUpdateSet((eb) => ({
        record_hash: eb.ref('excluded.record_hash'), file_id: eb.ref('excluded.file_id'),
      }))).execute();
    },
    async advanceHashesFromFile(tenantId, vendorId, fileId) {
      // Set-based: the members never travel to this process and back (a full file is one row per
      // member × plan; reading them in pages to write them again cost more than the writes).
      const up = await sql`insert into member_hashes (tenant_id, vendor_id, employee_id, plan_code, record_hash, file_id)
        select tenant_id, ${vendorId}, employee_id, plan_code, record_hash, file_id from file_members
        where file_id = ${fileId} and tenant_id = ${tenantId} and maintenance_code is distinct from '024'
        on conflict (tenant_id, vendor_id, employee_id, plan_code) do update set record_hash = excluded.record_hash, file_id = excluded.file_id`.execute(db);
      const ended = await sql<{ n: string }>`select count(*)::text as n from file_members
        where file_id = ${fileId} and tenant_id = ${tenantId} and maintenance_code = '024'`.execute(db);
      const removed = Number(ended.rows[0]?.n ?? 0);
      // Most files end no one's coverage: the join would then probe file_members once per hash of the
      // vendor (every member of a full file) to delete nothing (~165 ms at 50,000).
      if (removed > 0) {
        await sql`delete from member_hashes h using file_members m
          where m.file_id = ${fileId} and m.tenant_id = ${tenantId} and m.maintenance_code = '024'
            and h.tenant_id = ${tenantId} and h.vendor_id = ${vendorId} and h.employee_id = m.employee_id and h.plan_code = m.plan_code`.execute(db);
      }
      return { advanced: Number(up.numAffectedRows ?? 0), removed };
    },
    async deleteHashesNotFromChunk(tenantId, vendorId, fileId) {
      const r = await sql`delete from member_hashes where ctid in (select ctid from member_hashes
        where tenant_id = ${tenantId} and vendor_id = ${vendorId} and file_id <> ${fileId} limit 1000)`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
    async rowError(tenantId, fileId, e) {
      await db.insertInto('row_errors').values({ tenant_id: tenantId, file_id: fileId, line: e.line, col: e.column, code: e.code, message: e.message })
        .onConflict((oc) => oc.columns(['file_id', 'line', 'col', 'code']).doNothing()).execute();
    },
  };
}
