import { sql, type Kysely } from 'kysely';

/**
 * Ingest: what pass 1 learnt about each applicable row, and the running counts of pass 2.
 *
 * ingest_baselines: one row per benefit record a response row answers — the first line claiming it
 * (a later line with the same key is a duplicate), the version apply must find (from file_members for
 * a correlated response, else the version read when the file was first read) and the before-image a
 * conflict is judged against. ingest_checkpoints gains the counters that the reconciliation identity
 * is checked with; they advance in the same transaction as the chunk they count.
 */
const statements = `
create table ingest_baselines (
  tenant_id text not null references tenants(tenant_id),
  file_id text not null references files(file_id),
  record_id bigint not null,
  employee_id text not null,
  plan_code text not null,
  line integer not null,
  expected_version integer not null,
  before jsonb not null,
  primary key (file_id, record_id),
  unique (file_id, line)
);
alter table ingest_checkpoints
  add column received integer not null default 0,
  add column rejected integer not null default 0,
  add column applied integer not null default 0,
  add column merged integer not null default 0,
  add column skipped integer not null default 0,
  add column conflicted integer not null default 0,
  add column reason text;
create index audit_file on audit_log (file_id) where file_id is not null`;

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements.split(/;\s*\n/)) {
    if (statement.trim()) await sql.raw(statement).execute(db);
  }
}
