import { sql, type Kysely } from 'kysely';

/**
 * Durable orchestration: a run's own stage and lease (plan is a job on the run), and the rule that one
 * tenant × vendor has at most one cycle in flight — enforced by the database, so two processes racing
 * to start one cannot both win.
 */
const statements = `
alter table runs add column stage text not null default 'plan';
alter table runs add column kind text not null default 'full';
alter table runs add column options jsonb not null default '{}';
alter table runs add column attempts integer not null default 0;
alter table runs add column lease_token bigint not null default 0;
alter table runs add column lease_owner text;
alter table runs add column lease_expires_at timestamptz;
alter table runs add column error text;
alter table runs add column updated_at timestamptz not null default now();
create unique index cycles_one_in_flight on cycles (tenant_id, vendor_id)
  where status in ('pending', 'running', 'awaiting', 'awaiting-overdue');
create index cycles_by_status on cycles (status, stage);
create index cycles_by_run on cycles (run_id);
create index runs_by_status on runs (status);
create index batches_by_run on batches (run_id, status)`;

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements.split(/;\s*\n/)) {
    if (statement.trim()) await sql.raw(statement).execute(db);
  }
}
