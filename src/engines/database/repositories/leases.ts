import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';

/** The rows that carry a lease with a fencing token: a run (its plan), a batch (its gather), a cycle (its stage). */
export type LeaseKind = 'run' | 'batch' | 'cycle';

export interface Lease { kind: LeaseKind; id: string; token: number; owner: string }

export type ClaimResult =
  | { status: 'claimed'; lease: Lease; attempt: number }
  /** Finished, not in the state the job expected, or leased by a live owner: nothing to do. */
  | { status: 'not-claimable' }
  /** Claimed more than maxAttempts times: marked failed. */
  | { status: 'exhausted'; attempt: number };

export interface DueWork { kind: LeaseKind; id: string; runId: string; stage: string; attempts: number }

export interface LeasesRepository {
  /**
   * Takes the row if it is in `stage` and no live lease holds it: bumps the fencing token and the
   * attempt count. Time is the database's, so workers' clocks do not matter.
   */
  claim(kind: LeaseKind, id: string, stage: string, owner: string, leaseMs: number, maxAttempts: number): Promise<ClaimResult>;
  /** Extends the lease and locks the row until commit; false when a newer owner holds the token. */
  fence(lease: Lease, leaseMs: number): Promise<boolean>;
  /** Gives the lease up (the work is finished or handed on) if it is still ours. */
  release(lease: Lease): Promise<boolean>;
  /** Marks the leased work failed for good (a non-retryable error), if the lease is still ours. */
  fail(lease: Lease, message: string): Promise<boolean>;
  /** Runs, batches and cycles whose next step is a job and which no live lease holds. */
  due(limit: number): Promise<DueWork[]>;
}

const TABLES = {
  run: { table: 'runs', key: 'run_id' },
  batch: { table: 'batches', key: 'batch_id' },
  cycle: { table: 'cycles', key: 'cycle_id' },
} as const;

/** Stages of each kind that a job (rather than a state) moves on. */
export const BATCH_STAGE = 'gather';
export const RUN_JOB_STAGES = ['plan'];
export const CYCLE_JOB_STAGES = ['generate', 'deliver', 'ingest', 'apply', 'reconcile'];

export function createLeasesRepository(db: Kysely<DB>): LeasesRepository {
  const expiry = (ms: number) => sql<Date>`now() + ${ms} * interval '1 millisecond'`;
  const free = sql<boolean>`(lease_expires_at is null or lease_expires_at < now())`;

  /** The extra condition that makes a row of each kind claimable for `stage`. */
  const claimable = (kind: LeaseKind, stage: string) => {
    if (kind === 'batch') {
      return sql<boolean>`status = 'pending' and ${stage} = ${BATCH_STAGE}
        and exists (select 1 from runs r where r.run_id = batches.run_id and r.status = 'running' and r.stage = 'gather')`;
    }
    return sql<boolean>`status = 'running' and stage = ${stage}`;
  };

  return {
    async claim(kind, id, stage, owner, leaseMs, maxAttempts) {
      const { table, key } = TABLES[kind];
      const row = await sql<{ lease_token: number; attempts: number }>`
        update ${sql.table(table)} set lease_token = lease_token + 1, lease_owner = ${owner},
          lease_expires_at = ${expiry(leaseMs)}, attempts = attempts + 1, updated_at = now()
        where ${sql.ref(key)} = ${id} and ${claimable(kind, stage)} and ${free}
        returning lease_token, attempts`.execute(db);
      const got = row.rows[0];
      if (!got) return { status: 'not-claimable' };
      if (got.attempts > maxAttempts) {
        await failExhausted(db, kind, id, got.attempts);
        return { status: 'exhausted', attempt: got.attempts };
      }
      return { status: 'claimed', attempt: got.attempts, lease: { kind, id, token: Number(got.lease_token), owner } };
    },
    async fence(lease, leaseMs) {
      const { table, key } = TABLES[lease.kind];
      const res = await sql`update ${sql.table(table)} set lease_expires_at = ${expiry(leaseMs)}
        where ${sql.ref(key)} = ${lease.id} and lease_token = ${lease.token}`.execute(db);
      return Number(res.numAffectedRows ?? 0) === 1;
    },
    async release(lease) {
      const { table, key } = TABLES[lease.kind];
      const res = await sql`update ${sql.table(table)} set lease_expires_at = null, lease_owner = null
        where ${sql.ref(key)} = ${lease.id} and lease_token = ${lease.token}`.execute(db);
      return Number(res.numAffectedRows ?? 0) === 1;
    },
    async fail(lease, message) {
      const { table, key } = TABLES[lease.kind];
      const mine = await sql`select 1 from ${sql.table(table)} where ${sql.ref(key)} = ${lease.id} and lease_token = ${lease.token} for update`.execute(db);
      if (mine.rows.length === 0) return false;
      await failWith(db, lease.kind, lease.id, message);
      return true;
    },
    async due(limit) {
      const runs = await sql<{ id: string; run_id: string; stage: string; attempts: number }>`
        select run_id as id, run_id, stage, attempts from runs
        where status = 'running' and stage in ('plan') and ${free} order by run_id limit ${limit}`.execute(db);
      const batches = await sql<{ id: string; run_id: string; attempts: number }>`
        select b.batch_id as id, b.run_id, b.attempts from batches b join runs r on r.run_id = b.run_id
        where r.status = 'running' and r.stage = 'gather' and b.status = 'pending'
          and (b.lease_expires_at is null or b.lease_expires_at < now())
        order by b.batch_id limit ${limit}`.execute(db);
      const cycles = await sql<{ id: string; run_id: string; stage: string; attempts: number }>`
        select cycle_id as id, run_id, stage, attempts from cycles
        where status = 'running' and stage in ('generate', 'deliver', 'ingest', 'apply', 'reconcile') and ${free}
        order by cycle_id limit ${limit}`.execute(db);
      return [
        ...runs.rows.map((r) => ({ kind: 'run' as const, id: r.id, runId: r.run_id, stage: r.stage, attempts: r.attempts })),
        ...batches.rows.map((r) => ({ kind: 'batch' as const, id: r.id, runId: r.run_id, stage: BATCH_STAGE, attempts: r.attempts })),
        ...cycles.rows.map((r) => ({ kind: 'cycle' as const, id: r.id, runId: r.run_id, stage: r.stage, attempts: r.attempts })),
      ];
    },
  };
}

/** Out of attempts: a batch counts as failed on its run (fan-in still completes); a run or cycle fails. */
async function failExhausted(db: Kysely<DB>, kind: LeaseKind, id: string, attempts: number): Promise<void> {
  // The cause is what an operator needs: each failed attempt recorded its error on the row.
  const { table, key } = TABLES[kind];
  const last = (await sql<{ error: string | null }>`select error from ${sql.table(table)} where ${sql.ref(key)} = ${id}`.execute(db)).rows[0]?.error;
  await failWith(db, kind, id, `gave up after ${attempts - 1} attempts${last ? `; last error: ${last}` : ''}`.slice(0, 2000));
}

async function failWith(db: Kysely<DB>, kind: LeaseKind, id: string, error: string): Promise<void> {
  if (kind === 'batch') {
    const b = await db.updateTable('batches').set({ status: 'failed', error, lease_owner: null, lease_expires_at: null })
      .where('batch_id', '=', id).where('status', '=', 'pending').returning('run_id').executeTakeFirst();
    if (b) await sql`update runs set batches_failed = batches_failed + 1,
        status = case when batches_done + batches_failed + 1 >= batches_total then 'blocked' else status end,
        error = case when batches_done + batches_failed + 1 >= batches_total then 'gather incomplete: failed batches (vendorflow run retry-batch)' else error end,
        updated_at = now() where run_id = ${b.run_id}`.execute(db);
    return;
  }
  if (kind === 'run') {
    await db.updateTable('runs').set({ status: 'failed', error, lease_expires_at: null, finished_at: new Date() }).where('run_id', '=', id).execute();
    await db.updateTable('cycles').set({ status: 'failed', error: `run failed: ${error}`, updated_at: new Date() })
      .where('run_id', '=', id).where('status', 'in', ['pending', 'running']).execute();
    return;
  }
  await sql`update cycles set status = 'failed', lease_expires_at = null, updated_at = now(),
      error = ${`${error}`} || coalesce('; last error: ' || error, '')
    where cycle_id = ${id}`.execute(db);
}
