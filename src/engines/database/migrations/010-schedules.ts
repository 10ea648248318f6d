import { sql, type Kysely } from 'kysely';

/**
 * Schedules, SLAs and retention. A cycle's delivery deadline (its scheduled time plus the vendor's
 * delivery SLA) and when its file was delivered, so met or missed is decided from rows; an index
 * that finds finished runs by age for retention.
 */
const statements = `
alter table cycles add column delivery_deadline timestamptz;
alter table cycles add column delivered_at timestamptz;
alter table cycles add column sla_reason text;
create index cycles_sla_open on cycles (vendor_id, delivery_deadline) where sla_status is null;
create index runs_by_age on runs (created_at, run_id)`;

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements.split(/;\s*\n/)) {
    if (statement.trim()) await sql.raw(statement).execute(db);
  }
}
