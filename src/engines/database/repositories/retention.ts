import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { MAX_CHUNK } from './chunk.js';

/** A file some unfinished work still needs, with what its spool copy can be recognised by. */
export interface NeededFile { fileId: string; tenantId: string; vendorId: string; name: string }

/**
 * What retention may remove and what it must keep. "Unfinished" is a cycle that is in flight or
 * failed (a failed cycle can be resumed), and a run that is running or blocked, or has such a cycle:
 * their snapshots and files are never touched, whatever their age. Every delete touches one chunk.
 */
export interface RetentionRepository {
  /** Keyset page of files that unfinished cycles (or an unsolicited response not yet applied) still need. */
  neededFiles(afterFileId: string | null, limit: number): Promise<NeededFile[]>;
  /** Keyset page of finished runs created before `before` that still have snapshot rows. */
  expiredSnapshotRuns(before: Date, afterRunId: string | null, limit: number): Promise<string[]>;
  countSnapshots(runId: string): Promise<number>;
  /**
   * Fresh planner statistics for the snapshots table. PGlite has no autovacuum: after a bulk load
   * the planner believes the table tiny and sorts a whole run for every chunk instead of reading
   * the primary key in order (measured: 50x slower at 20k rows, quadratic beyond).
   */
  refreshStatistics(): Promise<void>;
  /** Deletes up to one chunk of the run's snapshots, only while the run is still finished; returns how many. */
  deleteSnapshotsChunk(runId: string): Promise<number>;
  /** Keyset page of files created before `before` whose cycle (or ingest) is finished. */
  expiredPayloadFiles(before: Date, afterFileId: string | null, limit: number): Promise<string[]>;
  /** Per-row payloads of one file that retention would clear: ingest baselines, masked raw lines, sent values no hash refers to. */
  countPayloads(fileId: string): Promise<number>;
  /** Clears up to one chunk of each kind of the file's row payloads; returns how many rows changed. */
  clearPayloadsChunk(fileId: string): Promise<number>;
}

const UNFINISHED_CYCLE = sql`('pending', 'running', 'awaiting', 'awaiting-overdue', 'failed')`;

export function createRetentionRepository(db: Kysely<DB>): RetentionRepository {
  /** A file is still needed when its cycle, or the cycle whose outbound file it answers, is unfinished. */
  const fileNeeded = (f: string) => sql`(
    exists (select 1 from cycles c where c.cycle_id = ${sql.ref(`${f}.cycle_id`)} and c.status in ${UNFINISHED_CYCLE})
    or exists (select 1 from files o join cycles c on c.cycle_id = o.cycle_id
      where o.file_id = ${sql.ref(`${f}.answers_file_id`)} and c.status in ${UNFINISHED_CYCLE})
    or exists (select 1 from cycles c where c.counters->>'responseFileId' = ${sql.ref(`${f}.file_id`)} and c.status in ${UNFINISHED_CYCLE})
    or (${sql.ref(`${f}.direction`)} = 'in' and ${sql.ref(`${f}.cycle_id`)} is null and ${sql.ref(`${f}.answers_file_id`)} is null
      and not exists (select 1 from ingest_checkpoints k where k.file_id = ${sql.ref(`${f}.file_id`)} and k.status in ('applied', 'quarantined'))))`;

  const runFinished = (r: string) => sql`(${sql.ref(`${r}.status`)} in ('done', 'failed', 'cancelled')
    and not exists (select 1 from cycles c where c.run_id = ${sql.ref(`${r}.run_id`)} and c.status in ${UNFINISHED_CYCLE}))`;

  const unreferencedMembers = (fileId: string) => sql`select m.file_id, m.employee_id, m.plan_code from file_members m
    join files f on f.file_id = m.file_id
    where m.file_id = ${fileId} and not exists (select 1 from member_hashes h where h.tenant_id = m.tenant_id
      and h.vendor_id = f.vendor_id and h.employee_id = m.employee_id and h.plan_code = m.plan_code and h.file_id = m.file_id)`;

  return {
    async neededFiles(after, limit) {
      const r = await sql<{ file_id: string; tenant_id: string; vendor_id: string; name: string }>`
        select f.file_id, f.tenant_id, f.vendor_id, f.name from files f
        where ${after === null ? sql`true` : sql`f.file_id > ${after}`} and ${fileNeeded('f')}
        order by f.file_id limit ${limit}`.execute(db);
      return r.rows.map((x) => ({ fileId: x.file_id, tenantId: x.tenant_id, vendorId: x.vendor_id, name: x.name }));
    },
    async expiredSnapshotRuns(before, after, limit) {
      const r = await sql<{ run_id: string }>`select r.run_id from runs r
        where r.created_at < ${before} and ${after === null ? sql`true` : sql`r.run_id > ${after}`} and ${runFinished('r')}
          and exists (select 1 from snapshots s where s.run_id = r.run_id)
        order by r.run_id limit ${limit}`.execute(db);
      return r.rows.map((x) => x.run_id);
    },
    async countSnapshots(runId) {
      const r = await sql<{ n: number }>`select count(*)::int as n from snapshots where run_id = ${runId}`.execute(db);
      return r.rows[0]?.n ?? 0;
    },
    async refreshStatistics() {
      await sql`analyze snapshots`.execute(db);
    },
    async deleteSnapshotsChunk(runId) {
      // The run is locked and re-checked in this transaction: a resume racing with gc either sees the
      // run still finished (and waits for us) or has already made it unfinished (and we delete nothing).
      const run = await sql<{ ok: boolean }>`select ${runFinished('r')} as ok from runs r where r.run_id = ${runId} for update`.execute(db);
      if (!run.rows[0]?.ok) return 0;
      // A key range read in primary-key order, not `in (subquery)`, which the planner may join against the whole run.
      const r = await sql`delete from snapshots where run_id = ${runId} and employee_id <= (
        select max(employee_id) from (select employee_id from snapshots where run_id = ${runId} order by employee_id limit ${MAX_CHUNK}) f)`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },
    async expiredPayloadFiles(before, after, limit) {
      const r = await sql<{ file_id: string }>`select f.file_id from files f
        where f.created_at < ${before} and ${after === null ? sql`true` : sql`f.file_id > ${after}`} and not ${fileNeeded('f')}
        order by f.file_id limit ${limit}`.execute(db);
      return r.rows.map((x) => x.file_id);
    },
    async countPayloads(fileId) {
      const r = await sql<{ n: number }>`select
          (select count(*) from ingest_baselines where file_id = ${fileId})
        + (select count(*) from row_errors where file_id = ${fileId} and raw_masked is not null)
        + (select count(*) from (${unreferencedMembers(fileId)}) m) as n`.execute(db);
      return Number(r.rows[0]?.n ?? 0);
    },
    async clearPayloadsChunk(fileId) {
      const a = await sql`delete from ingest_baselines where file_id = ${fileId} and record_id in (
        select record_id from ingest_baselines where file_id = ${fileId} order by record_id limit ${MAX_CHUNK})`.execute(db);
      const b = await sql`update row_errors set raw_masked = null where error_id in (
        select error_id from row_errors where file_id = ${fileId} and raw_masked is not null order by error_id limit ${MAX_CHUNK})`.execute(db);
      const c = await sql`delete from file_members where (file_id, employee_id, plan_code) in (
        select * from (${unreferencedMembers(fileId)} order by m.employee_id, m.plan_code limit ${MAX_CHUNK}) u)`.execute(db);
      return Number(a.numAffectedRows ?? 0) + Number(b.numAffectedRows ?? 0) + Number(c.numAffectedRows ?? 0);
    },
  };
}
