import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, IngestCheckpointsTable } from '../schema.js';
import { VendorflowError } from '../../../shared/errors.js';
import { assertChunk } from './chunk.js';
import { INBOUND_IDENTITY, sameInbound } from './transfers.js';

/**
 * Ingest and apply of vendor response files: inbound file identity, pass-1 findings (row errors,
 * baselines), the chunk checkpoint, the optimistic-locked apply with its audit rows, conflicts and
 * the counts reconciliation checks. Every write is idempotent (unique keys, on conflict do nothing,
 * compare-and-set), so a chunk done twice has the effect of once.
 */
export type Fields = Record<string, unknown>;

export interface InboundFile {
  fileId: string; tenantId: string; vendorId: string; name: string; status: string; sha256: string | null;
  answersFileId: string | null; cycleId: string | null; error: string | null;
}

export interface Checkpoint {
  fileId: string; pass: number; lastLine: number; status: string; reason: string | null;
  received: number; rejected: number; applied: number; merged: number; skipped: number; conflicted: number;
}

export interface RecordKey { employeeId: string; planCode: string }

export interface RowErrorRow {
  line: number; col: string; code: string; message: string; rawMasked: string | null;
  /** What the row named, where it could be read (null for a row too broken to say). */
  employeeId?: string | null; planCode?: string | null;
}

export interface BaselineRow extends RecordKey { recordId: number; line: number; expectedVersion: number; before: Fields }

export interface KeyedLine extends RecordKey { line: number }
export interface RecordClaim extends RecordKey { recordId: number; owner: number }

export interface ApplyRow { recordId: number; expectedVersion: number; values: Fields; line: number }

export interface ConflictRow {
  line: number; recordId: number; expectedVersion: number; actualVersion: number; before: Fields; theirs: Fields; ours: Fields;
}

export type CounterDelta = Partial<Pick<Checkpoint, 'applied' | 'merged' | 'skipped' | 'conflicted'>>;

export interface IngestRepository {
  /** The inbound file with this content for this vendor, created if new (identity: vendor + SHA-256). */
  registerInboundFile(f: { tenantId: string; vendorId: string; name: string; sha256: string; size: number; answersFileId: string | null; cycleId: string | null }): Promise<{ file: InboundFile; created: boolean }>;
  getFile(fileId: string): Promise<InboundFile | undefined>;
  setFileStatus(fileId: string, status: string, error: string | null, rows?: number): Promise<void>;
  /** The outbound file of this tenant × vendor with this sequence number, or with this id. */
  findOutbound(tenantId: string, vendorId: string, by: { seq: number } | { fileId: string }): Promise<{ fileId: string; cycleId: string | null } | undefined>;

  getCheckpoint(fileId: string): Promise<Checkpoint | undefined>;
  /** Creates the checkpoint at pass 1 if absent. */
  openCheckpoint(tenantId: string, fileId: string): Promise<Checkpoint>;
  /** Pass 1's verdict, once: true if this call moved the checkpoint out of pass 1. */
  closePass1(fileId: string, verdict: { status: 'applying' | 'quarantined'; received: number; rejected: number; reason: string | null }): Promise<boolean>;
  addCounters(fileId: string, delta: CounterDelta): Promise<void>;
  finishCheckpoint(fileId: string): Promise<boolean>;

  insertRowErrors(tenantId: string, fileId: string, rows: readonly RowErrorRow[]): Promise<void>;
  rowErrorsBetween(fileId: string, fromLine: number, toLine: number, codes: readonly string[]): Promise<Array<{ line: number; col: string }>>;
  /** Lines with at least one error whose code is not in `nonBlocking`. */
  countRejectedLines(fileId: string, nonBlocking: readonly string[]): Promise<number>;
  countRowErrors(fileId: string, code: string): Promise<number>;

  existingEmployees(tenantId: string, employeeIds: readonly string[]): Promise<Set<string>>;
  planCodes(tenantId: string, vendorId: string): Promise<Set<string>>;
  /**
   * Pass 1's database step for a chunk of keyed lines, in one statement: finds the benefit record each
   * key answers — of a known employee, and, for a correlated response, one the outbound file sent
   * (expected version and before-image from its file_members row), else the record as it is now — and
   * claims a baseline for it at the first of its lines (an earlier claim, by an earlier line or by the
   * same line on a re-run, stands). Returns, per key found, its record and the line holding the claim;
   * a key not returned has no record (or an unknown employee).
   */
  claimRecords(a: { tenantId: string; vendorId: string; fileId: string; answersFileId: string | null; lines: readonly KeyedLine[] }): Promise<RecordClaim[]>;
  baselinesBetween(fileId: string, fromLine: number, toLine: number): Promise<BaselineRow[]>;

  /**
   * One statement: UPDATE ... FROM unnest(...) WHERE version = expected, skipping rows whose values
   * are already there, with the audit rows inserted from its RETURNING. Returns the ids updated.
   */
  applyChunk(a: { tenantId: string; fileId: string; actor: string; rows: readonly ApplyRow[] }): Promise<Map<number, number>>;
  /**
   * Pass 2's statement for a chunk of lines, one round trip: the checkpoint's compare-and-set first
   * (its row locked while `last_line` is still `previousLine`; a worker that finds it moved claims
   * nothing and changes nothing — `claimed` false, roll back), then each line's record, expected
   * version and line from its pass-1 baseline (joined server-side: no before-image crosses to the
   * client unless needed), the same optimistic UPDATE and audit INSERT as applyChunk, and the
   * checkpoint moved to `nextLine` with its `applied` counter advanced by the rows updated. Lines
   * without a baseline (rejected or a duplicate in pass 1) are ignored; `missed` lists the lines with
   * one that were not updated (version moved, or values already there), for the caller to judge.
   */
  applyLines(a: {
    tenantId: string; fileId: string; actor: string; rows: ReadonlyArray<{ line: number; values: Fields }>;
    checkpoint: { previousLine: number; nextLine: number };
  }): Promise<{ claimed: boolean; applied: number; missed: number[] }>;
  /**
   * The one-row-at-a-time form of applyChunk, as a straightforward implementation writes it: an
   * UPDATE ... WHERE version = expected, then its audit INSERT. Ingest never uses it; the apply
   * benchmark measures applyChunk against it. Returns the new version, or null when not updated.
   */
  applyRow(a: { tenantId: string; fileId: string; actor: string; row: ApplyRow }): Promise<number | null>;
  /**
   * Fresh planner statistics for the tables ingest reads by key, for those whose statistics are
   * missing or stale: never analyzed, grown by more than a fifth since, or autovacuum's own rule (more
   * than 50 + 10 % of the rows changed since the last analyze). PGlite has no autovacuum, and on PostgreSQL a bulk load is not analyzed for up to a
   * minute: in both, the planner believes benefit_records tiny and hash-joins every chunk against
   * the whole tenant (measured: a 1,000-row apply chunk 140 ms instead of 45 at 110k records, and
   * growing with the table). Tables another session is analyzing are skipped, not waited for.
   */
  refreshStatistics(tables: ReadonlyArray<'benefit_records' | 'employees' | 'file_members' | 'ingest_baselines'>): Promise<string[]>;
  currentRecords(recordIds: readonly number[]): Promise<Map<number, { version: number; fields: Fields }>>;
  insertConflicts(tenantId: string, fileId: string, rows: readonly ConflictRow[]): Promise<void>;

  counts(fileId: string, answersFileId: string | null): Promise<{
    auditRows: number; conflictRows: number; sent: number | null; matched: number | null; absent: number | null;
  }>;
  /** Outbound members no response row matched, keyset-paged by record id. */
  absentMembers(fileId: string, answersFileId: string, afterRecordId: number, limit: number): Promise<Array<RecordKey & { recordId: number }>>;
  /** Row errors of a file, keyset-paged by error id. */
  rowErrorsPage(fileId: string, afterErrorId: number, limit: number): Promise<Array<RowErrorRow & { errorId: number }>>;
  conflictsPage(fileId: string, afterConflictId: number, limit: number): Promise<Array<{ conflictId: number; line: number; recordId: number; employeeId: string | null; planCode: string | null; expectedVersion: number; actualVersion: number }>>;
}

const toFile = (r: { file_id: string; tenant_id: string; vendor_id: string; name: string; status: string; sha256: string | null; answers_file_id: string | null; cycle_id: string | null; error: string | null }): InboundFile => ({
  fileId: r.file_id, tenantId: r.tenant_id, vendorId: r.vendor_id, name: r.name, status: r.status, sha256: r.sha256,
  answersFileId: r.answers_file_id, cycleId: r.cycle_id, error: r.error,
});

const toCheckpoint = (r: Selectable<IngestCheckpointsTable>): Checkpoint => ({
  fileId: r.file_id, pass: r.pass, lastLine: r.last_line, status: r.status, reason: r.reason,
  received: r.received, rejected: r.rejected, applied: r.applied, merged: r.merged, skipped: r.skipped, conflicted: r.conflicted,
});

/**
 * The optimistic update of the `src` rows (record_id, expected, vals, line) — applied only where the
 * record is still at the expected version and lacks the values — and one audit row per record applied;
 * CTEs `upd` (what was applied) and `audit`, for a statement whose earlier CTE is `src`.
 */
const updateAndAudit = (tenantId: string, fileId: string, actor: string) => sql`upd as (
          update benefit_records b
             set fields = b.fields || src.vals, version = b.version + 1, last_file_id = ${fileId}, last_line = src.line, updated_at = now()
            from src, benefit_records old
           where b.record_id = src.record_id and old.record_id = src.record_id and b.tenant_id = ${tenantId}
             and b.version = src.expected and not (b.fields @> src.vals)
          returning b.record_id, b.version, b.fields, old.fields as before, src.line
        ), audit as (
          insert into audit_log (tenant_id, actor, action, entity_type, entity_id, before, after, file_id, line)
          select ${tenantId}, ${actor}, 'ingest.apply', 'benefit_record', upd.record_id::text,
                 jsonb_build_object('version', upd.version - 1, 'fields', upd.before),
                 jsonb_build_object('version', upd.version, 'fields', upd.fields), ${fileId}, upd.line
            from upd
        )`;

const parseJson = (v: unknown): Fields => (typeof v === 'string' ? JSON.parse(v) : (v as Fields)) ?? {};

export function createIngestRepository(db: Kysely<DB>): IngestRepository {
  const keyArrays = (keys: readonly RecordKey[]) => [keys.map((k) => k.employeeId), keys.map((k) => k.planCode)];

  return {
    async registerInboundFile(f) {
      const fileId = `in_${randomUUID()}`;
      const inserted = await sql<{ file_id: string }>`
        insert into files (tenant_id, file_id, vendor_id, cycle_id, direction, kind, name, status, size, sha256, answers_file_id)
        values (${f.tenantId}, ${fileId}, ${f.vendorId}, ${f.cycleId}, 'in', 'response', ${f.name}, 'received', ${f.size}, ${f.sha256}, ${f.answersFileId})
        on conflict (${INBOUND_IDENTITY}) where direction = 'in' do nothing
        returning file_id`.execute(db);
      const row = await sameInbound(db, f.tenantId, f.vendorId, f.sha256, f.answersFileId).selectAll().executeTakeFirstOrThrow();
      return { file: toFile(row), created: inserted.rows.length === 1 };
    },
    async getFile(fileId) {
      const row = await db.selectFrom('files').selectAll().where('file_id', '=', fileId).executeTakeFirst();
      return row && toFile(row);
    },
    async setFileStatus(fileId, status, error, rows) {
      await db.updateTable('files').set({ status, error, updated_at: new Date(), ...(rows !== undefined ? { rows } : {}) })
        .where('file_id', '=', fileId).execute();
    },
    async findOutbound(tenantId, vendorId, by) {
      let q = db.selectFrom('files').select(['file_id', 'cycle_id'])
        .where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).where('direction', '=', 'out');
      // A vendor echoes what it saw: our file id, or the name the file reached it under.
      q = 'seq' in by ? q.where('seq', '=', by.seq) : q.where((eb) => eb.or([eb('file_id', '=', by.fileId), eb('name', '=', by.fileId)]));
      const row = await q.orderBy('created_at', 'desc').executeTakeFirst();
      return row && { fileId: row.file_id, cycleId: row.cycle_id };
    },

    async getCheckpoint(fileId) {
      const row = await db.selectFrom('ingest_checkpoints').selectAll().where('file_id', '=', fileId).executeTakeFirst();
      return row && toCheckpoint(row);
    },
    async openCheckpoint(tenantId, fileId) {
      await db.insertInto('ingest_checkpoints').values({ tenant_id: tenantId, file_id: fileId, pass: 1, last_line: 0, status: 'reading' })
        .onConflict((oc) => oc.column('file_id').doNothing()).execute();
      return toCheckpoint(await db.selectFrom('ingest_checkpoints').selectAll().where('file_id', '=', fileId).executeTakeFirstOrThrow());
    },
    async closePass1(fileId, v) {
      const res = await db.updateTable('ingest_checkpoints')
        .set({ pass: 2, last_line: 0, status: v.status, received: v.received, rejected: v.rejected, reason: v.reason, updated_at: new Date() })
        .where('file_id', '=', fileId).where('pass', '=', 1).executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },
    async addCounters(fileId, d) {
      await db.updateTable('ingest_checkpoints').set((eb) => ({
        applied: eb('applied', '+', d.applied ?? 0), merged: eb('merged', '+', d.merged ?? 0),
        skipped: eb('skipped', '+', d.skipped ?? 0), conflicted: eb('conflicted', '+', d.conflicted ?? 0),
      })).where('file_id', '=', fileId).execute();
    },
    async finishCheckpoint(fileId) {
      const res = await db.updateTable('ingest_checkpoints').set({ status: 'applied', updated_at: new Date() })
        .where('file_id', '=', fileId).where('status', '=', 'applying').executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    async insertRowErrors(tenantId, fileId, rows) {
      if (rows.length === 0) return;
      assertChunk(rows, 'ingest.insertRowErrors');
      await db.insertInto('row_errors').values(rows.map((r) => ({
        tenant_id: tenantId, file_id: fileId, line: r.line, col: r.col, code: r.code, message: r.message, raw_masked: r.rawMasked,
        employee_id: r.employeeId ?? null, plan_code: r.planCode ?? null,
      }))).onConflict((oc) => oc.columns(['file_id', 'line', 'col', 'code']).doNothing()).execute();
    },
    async rowErrorsBetween(fileId, from, to, codes) {
      if (codes.length === 0) return [];
      return db.selectFrom('row_errors').select(['line', 'col']).where('file_id', '=', fileId)
        .where('line', '>=', from).where('line', '<=', to).where('code', 'in', codes).execute();
    },
    async countRejectedLines(fileId, nonBlocking) {
      let q = db.selectFrom('row_errors').select(sql<string>`count(distinct line)`.as('n')).where('file_id', '=', fileId);
      if (nonBlocking.length) q = q.where('code', 'not in', nonBlocking);
      return Number((await q.executeTakeFirstOrThrow()).n);
    },

    async countRowErrors(fileId, code) {
      const row = await db.selectFrom('row_errors').select((eb) => eb.fn.countAll<string>().as('n'))
        .where('file_id', '=', fileId).where('code', '=', code).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async existingEmployees(tenantId, ids) {
      if (ids.length === 0) return new Set();
      assertChunk(ids, 'ingest.existingEmployees');
      const rows = await db.selectFrom('employees').select('employee_id').where('tenant_id', '=', tenantId)
        .where('employee_id', 'in', ids).execute();
      return new Set(rows.map((r) => r.employee_id));
    },
    async planCodes(tenantId, vendorId) {
      const rows = await db.selectFrom('benefit_records').select('plan_code').distinct()
        .where('tenant_id', '=', tenantId).where('vendor_id', '=', vendorId).execute();
      return new Set(rows.map((r) => r.plan_code));
    },
    async claimRecords({ tenantId, vendorId, fileId, answersFileId, lines }) {
      if (lines.length === 0) return [];
      assertChunk(lines, 'ingest.claimRecords');
      const [emps, plans] = keyArrays(lines);
      // The record a key answers, with the version apply must find and the before-image: what the
      // outbound file sent, or the record as it is now. Copied server-side, never through the client.
      const found = answersFileId
        ? sql`select distinct on (m.record_id) m.record_id, m.employee_id, m.plan_code, k.line,
                     m.record_version as expected_version, m.sent as before
              from k join employees e on e.tenant_id = ${tenantId} and e.employee_id = k.employee_id
              join file_members m on m.file_id = ${answersFileId} and m.employee_id = k.employee_id and m.plan_code = k.plan_code
              order by m.record_id, k.line`
        : sql`select distinct on (b.record_id) b.record_id, b.employee_id, b.plan_code, k.line,
                     b.version as expected_version, b.fields as before
              from k join employees e on e.tenant_id = ${tenantId} and e.employee_id = k.employee_id
              join benefit_records b on b.tenant_id = ${tenantId} and b.vendor_id = ${vendorId}
                and b.employee_id = k.employee_id and b.plan_code = k.plan_code
              order by b.record_id, k.line`;
      // The claims this statement inserts, else those there before it started (its snapshot).
      const res = await sql<{ record_id: string | number; employee_id: string; plan_code: string; owner: number | null }>`
        with k as (
          select * from unnest(${emps}::text[], ${plans}::text[], ${lines.map((l) => l.line)}::int[]) as k(employee_id, plan_code, line)
        ), hit as (${found}), ins as (
          insert into ingest_baselines (tenant_id, file_id, record_id, employee_id, plan_code, line, expected_version, before)
          select ${tenantId}, ${fileId}, record_id, employee_id, plan_code, line, expected_version, before from hit
          order by line
          on conflict do nothing
          returning record_id, line
        )
        select h.record_id, h.employee_id, h.plan_code, coalesce(ins.line, old.line) as owner
        from hit h left join ins on ins.record_id = h.record_id
        left join ingest_baselines old on old.file_id = ${fileId} and old.record_id = h.record_id`.execute(db);
      const claims = res.rows.map((r) => ({ recordId: Number(r.record_id), employeeId: r.employee_id, planCode: r.plan_code, owner: r.owner }));
      // A claim another worker committed while this statement waited on it is outside its snapshot: read it now.
      const unseen = claims.filter((c) => c.owner === null).map((c) => c.recordId);
      if (unseen.length) {
        const late = new Map((await db.selectFrom('ingest_baselines').select(['record_id', 'line']).where('file_id', '=', fileId)
          .where('record_id', 'in', unseen).execute()).map((r) => [Number(r.record_id), r.line]));
        for (const c of claims) if (c.owner === null) c.owner = late.get(c.recordId) ?? null;
      }
      return claims.map((c) => {
        if (c.owner === null) throw new VendorflowError('INTERNAL', `ingest.claimRecords: record ${c.recordId} has no baseline after its claim`);
        return { ...c, owner: c.owner };
      });
    },
    async baselinesBetween(fileId, from, to) {
      const rows = await db.selectFrom('ingest_baselines').selectAll().where('file_id', '=', fileId)
        .where('line', '>=', from).where('line', '<=', to).orderBy('line').execute();
      return rows.map((r) => ({
        recordId: Number(r.record_id), employeeId: r.employee_id, planCode: r.plan_code, line: r.line,
        expectedVersion: r.expected_version, before: parseJson(r.before),
      }));
    },

    async applyChunk({ tenantId, fileId, actor, rows }) {
      if (rows.length === 0) return new Map();
      assertChunk(rows, 'ingest.applyChunk');
      const res = await sql<{ record_id: number; version: number }>`
        with src as (
          select * from unnest(${rows.map((r) => r.recordId)}::bigint[], ${rows.map((r) => r.expectedVersion)}::int[],
                               ${rows.map((r) => JSON.stringify(r.values))}::jsonb[], ${rows.map((r) => r.line)}::int[])
            as u(record_id, expected, vals, line)
        ), ${updateAndAudit(tenantId, fileId, actor)}
        select record_id, version from upd`.execute(db);
      return new Map(res.rows.map((r) => [Number(r.record_id), r.version]));
    },
    async applyLines({ tenantId, fileId, actor, rows, checkpoint }) {
      assertChunk(rows, 'ingest.applyLines');
      // The chunk's lines lie after the previous position: the range keeps the baseline lookup an index
      // range scan (joined on line alone, the planner may hash the whole file's baselines every chunk).
      const res = await sql<{ claimed: string | number; applied: string | number; missed: number[] | null }>`
        with cp as (
          select file_id from ingest_checkpoints
           where file_id = ${fileId} and pass = 2 and status = 'applying' and last_line = ${checkpoint.previousLine}
           for update
        ), src as (
          select bl.record_id, bl.expected_version as expected, u.vals, u.line
            from unnest(${rows.map((r) => r.line)}::int[], ${rows.map((r) => JSON.stringify(r.values))}::jsonb[]) as u(line, vals)
            join ingest_baselines bl on bl.file_id = ${fileId} and bl.line = u.line
              and bl.line > ${checkpoint.previousLine} and bl.line <= ${checkpoint.nextLine}
           where exists (select 1 from cp)
        ), ${updateAndAudit(tenantId, fileId, actor)}, moved as (
          update ingest_checkpoints c set last_line = ${checkpoint.nextLine}, applied = c.applied + (select count(*) from upd), updated_at = now()
            from cp where c.file_id = cp.file_id
        )
        select (select count(*) from cp) as claimed, (select count(*) from upd) as applied,
               (select array_agg(src.line order by src.line) from src where not exists (select 1 from upd where upd.record_id = src.record_id)) as missed`.execute(db);
      const row = res.rows[0]!;
      return { claimed: Number(row.claimed) === 1, applied: Number(row.applied), missed: row.missed ?? [] };
    },
    async applyRow({ tenantId, fileId, actor, row }) {
      const updated = await sql<{ version: number; fields: unknown; before: unknown }>`
        update benefit_records b
           set fields = b.fields || ${JSON.stringify(row.values)}::jsonb, version = b.version + 1,
               last_file_id = ${fileId}, last_line = ${row.line}, updated_at = now()
          from benefit_records old
         where b.record_id = ${row.recordId} and old.record_id = b.record_id and b.tenant_id = ${tenantId}
           and b.version = ${row.expectedVersion} and not (b.fields @> ${JSON.stringify(row.values)}::jsonb)
        returning b.version, b.fields, old.fields as before`.execute(db);
      const u = updated.rows[0];
      if (!u) return null;
      await db.insertInto('audit_log').values({
        tenant_id: tenantId, actor, action: 'ingest.apply', entity_type: 'benefit_record', entity_id: String(row.recordId),
        before: JSON.stringify({ version: u.version - 1, fields: parseJson(u.before) }),
        after: JSON.stringify({ version: u.version, fields: parseJson(u.fields) }), file_id: fileId, line: row.line,
      }).execute();
      return u.version;
    },
    async refreshStatistics(tables) {
      if (tables.length === 0) return [];
      // Never analyzed; grown by a fifth since (PGlite keeps no change counts); or autovacuum's rule.
      const res = await sql<{ relname: string }>`
        select c.relname from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
        where c.relname = any(${[...tables]}::text[]) and c.relnamespace = current_schema()::regnamespace
          and (c.reltuples < 0
            or pg_relation_size(c.oid) / current_setting('block_size')::int > 1.2 * c.relpages + 8
            or coalesce(s.n_mod_since_analyze, 0) > 50 + 0.1 * greatest(c.reltuples, 0))`.execute(db);
      const stale = res.rows.map((r) => r.relname).filter((t) => (tables as readonly string[]).includes(t));
      // Names come from the fixed list above, never from input.
      if (stale.length) await sql.raw(`analyze (skip_locked) ${stale.join(', ')}`).execute(db);
      return stale;
    },
    async currentRecords(recordIds) {
      if (recordIds.length === 0) return new Map();
      assertChunk(recordIds, 'ingest.currentRecords');
      const rows = await db.selectFrom('benefit_records').select(['record_id', 'version', 'fields'])
        .where(sql<boolean>`record_id = any(${[...recordIds]}::bigint[])`).execute();
      return new Map(rows.map((r) => [Number(r.record_id), { version: r.version, fields: parseJson(r.fields) }]));
    },
    async insertConflicts(tenantId, fileId, rows) {
      if (rows.length === 0) return;
      assertChunk(rows, 'ingest.insertConflicts');
      await db.insertInto('conflicts').values(rows.map((r) => ({
        tenant_id: tenantId, file_id: fileId, line: r.line, record_id: r.recordId, expected_version: r.expectedVersion,
        actual_version: r.actualVersion, before: JSON.stringify(r.before), theirs: JSON.stringify(r.theirs), ours: JSON.stringify(r.ours),
      }))).onConflict((oc) => oc.columns(['file_id', 'line']).doNothing()).execute();
    },

    async counts(fileId, answersFileId) {
      const one = async (q: ReturnType<typeof sql<{ n: string }>>) => Number((await q.execute(db)).rows[0]!.n);
      const auditRows = await one(sql<{ n: string }>`select count(*) as n from audit_log where file_id = ${fileId} and action = 'ingest.apply'`);
      const conflictRows = await one(sql<{ n: string }>`select count(*) as n from conflicts where file_id = ${fileId}`);
      if (!answersFileId) return { auditRows, conflictRows, sent: null, matched: null, absent: null };
      const sent = await one(sql<{ n: string }>`select count(*) as n from file_members where file_id = ${answersFileId}`);
      const matched = await one(sql<{ n: string }>`
        select count(*) as n from ingest_baselines b
        where b.file_id = ${fileId} and exists (select 1 from file_members m where m.file_id = ${answersFileId} and m.record_id = b.record_id)`);
      const absent = await one(sql<{ n: string }>`
        select count(*) as n from file_members m
        where m.file_id = ${answersFileId} and not exists (select 1 from ingest_baselines b where b.file_id = ${fileId} and b.record_id = m.record_id)`);
      return { auditRows, conflictRows, sent, matched, absent };
    },
    async absentMembers(fileId, answersFileId, after, limit) {
      const res = await sql<{ record_id: number; employee_id: string; plan_code: string }>`
        select m.record_id, m.employee_id, m.plan_code from file_members m
        where m.file_id = ${answersFileId} and m.record_id > ${after}
          and not exists (select 1 from ingest_baselines b where b.file_id = ${fileId} and b.record_id = m.record_id)
        order by m.record_id limit ${limit}`.execute(db);
      return res.rows.map((r) => ({ recordId: Number(r.record_id), employeeId: r.employee_id, planCode: r.plan_code }));
    },
    async rowErrorsPage(fileId, after, limit) {
      const rows = await db.selectFrom('row_errors').select(['error_id', 'line', 'col', 'code', 'message', 'raw_masked', 'employee_id', 'plan_code'])
        .where('file_id', '=', fileId).where(sql<boolean>`error_id > ${after}`).orderBy('error_id').limit(limit).execute();
      return rows.map((r) => ({ errorId: Number(r.error_id), line: r.line, col: r.col, code: r.code, message: r.message, rawMasked: r.raw_masked,
        employeeId: r.employee_id, planCode: r.plan_code }));
    },
    async conflictsPage(fileId, after, limit) {
      const rows = await db.selectFrom('conflicts as c').leftJoin('benefit_records as b', 'b.record_id', 'c.record_id')
        .select(['c.conflict_id', 'c.line', 'c.record_id', 'c.expected_version', 'c.actual_version', 'b.employee_id', 'b.plan_code'])
        .where('c.file_id', '=', fileId).where(sql<boolean>`c.conflict_id > ${after}`).orderBy('c.conflict_id').limit(limit).execute();
      return rows.map((r) => ({ conflictId: Number(r.conflict_id), line: r.line, recordId: Number(r.record_id), employeeId: r.employee_id, planCode: r.plan_code,
        expectedVersion: r.expected_version, actualVersion: r.actual_version }));
    },
  };
}
