import { sql, type Kysely } from 'kysely';

/**
 * The data model of DESIGN.md. Every table carries tenant_id and every tenant-scoped key starts with
 * it. Sensitive employee fields live encrypted in `pii` (bytea); `data` holds the rest.
 */
const statements = `
create table tenants (
  tenant_id text primary key,
  name text not null,
  created_at timestamptz not null default now()
);
create table vendors (
  tenant_id text not null references tenants(tenant_id),
  vendor_id text not null,
  name text not null,
  spec jsonb not null,
  spec_sha256 text not null,
  registered_at timestamptz not null default now(),
  primary key (tenant_id, vendor_id)
);
create table tenant_vendors (
  tenant_id text not null references tenants(tenant_id),
  vendor_id text not null,
  settings jsonb not null default '{}',
  next_seq integer not null default 1,
  next_control_number integer not null default 1,
  primary key (tenant_id, vendor_id)
);
create table employees (
  tenant_id text not null references tenants(tenant_id),
  employee_id text not null,
  location text not null,
  department text not null,
  version integer not null,
  data jsonb not null,
  pii bytea,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, employee_id)
);
create index employees_unit on employees (tenant_id, location, department, employee_id);
create table benefit_records (
  tenant_id text not null references tenants(tenant_id),
  record_id bigserial primary key,
  employee_id text not null,
  vendor_id text not null,
  plan_code text not null,
  version integer not null default 1,
  fields jsonb not null default '{}',
  last_file_id text,
  last_line integer,
  updated_at timestamptz not null default now(),
  unique (tenant_id, employee_id, vendor_id, plan_code)
);
create table runs (
  tenant_id text not null references tenants(tenant_id),
  run_id text primary key,
  status text not null,
  gather_mode text not null default 'batched',
  batches_total integer not null default 0,
  batches_done integer not null default 0,
  batches_failed integer not null default 0,
  summary jsonb not null default '{}',
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create table cycles (
  tenant_id text not null references tenants(tenant_id),
  cycle_id text primary key,
  run_id text not null references runs(run_id),
  vendor_id text not null,
  kind text not null default 'full',
  status text not null,
  stage text not null,
  scheduled_for timestamptz not null,
  deadline timestamptz,
  sla_status text,
  attempts integer not null default 0,
  lease_token bigint not null default 0,
  lease_owner text,
  lease_expires_at timestamptz,
  counters jsonb not null default '{}',
  timings jsonb not null default '{}',
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, vendor_id, scheduled_for)
);
create table batches (
  tenant_id text not null references tenants(tenant_id),
  batch_id text primary key,
  run_id text not null references runs(run_id),
  location text not null,
  department text not null,
  part integer not null default 0,
  employee_ids jsonb not null,
  status text not null,
  attempts integer not null default 0,
  lease_token bigint not null default 0,
  lease_owner text,
  lease_expires_at timestamptz,
  counts jsonb not null default '{}',
  error text,
  updated_at timestamptz not null default now(),
  unique (run_id, location, department, part)
);
create table snapshots (
  tenant_id text not null references tenants(tenant_id),
  run_id text not null references runs(run_id),
  employee_id text not null,
  batch_id text not null,
  version integer,
  status text not null,
  reason text,
  data jsonb,
  pii bytea,
  primary key (run_id, employee_id)
);
create table files (
  tenant_id text not null references tenants(tenant_id),
  file_id text primary key,
  vendor_id text not null,
  cycle_id text references cycles(cycle_id),
  direction text not null,
  kind text not null,
  name text not null,
  seq integer,
  control_number integer,
  status text not null,
  size bigint,
  sha256 text,
  rows integer,
  remote_path text,
  resume_offset bigint not null default 0,
  answers_file_id text,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index files_inbound_identity on files (tenant_id, vendor_id, sha256) where direction = 'in';
create table file_events (
  tenant_id text not null references tenants(tenant_id),
  event_id bigserial primary key,
  file_id text not null references files(file_id),
  kind text not null,
  bytes bigint,
  outcome text,
  error text,
  at timestamptz not null default now()
);
create table file_members (
  tenant_id text not null references tenants(tenant_id),
  file_id text not null references files(file_id),
  employee_id text not null,
  plan_code text not null,
  record_id bigint not null,
  record_version integer not null,
  record_hash text not null,
  maintenance_code text,
  sent jsonb not null,
  primary key (file_id, employee_id, plan_code)
);
create table member_hashes (
  tenant_id text not null references tenants(tenant_id),
  vendor_id text not null,
  employee_id text not null,
  plan_code text not null,
  record_hash text not null,
  file_id text not null,
  primary key (tenant_id, vendor_id, employee_id, plan_code)
);
create table ingest_checkpoints (
  tenant_id text not null references tenants(tenant_id),
  file_id text primary key references files(file_id),
  pass integer not null default 1,
  last_line integer not null default 0,
  status text not null default 'pending',
  updated_at timestamptz not null default now()
);
create table row_errors (
  tenant_id text not null references tenants(tenant_id),
  error_id bigserial primary key,
  file_id text not null references files(file_id),
  line integer not null,
  col text not null,
  code text not null,
  message text not null,
  raw_masked text,
  unique (file_id, line, col, code)
);
create table conflicts (
  tenant_id text not null references tenants(tenant_id),
  conflict_id bigserial primary key,
  file_id text not null references files(file_id),
  line integer not null,
  record_id bigint not null,
  expected_version integer not null,
  actual_version integer not null,
  before jsonb,
  theirs jsonb,
  ours jsonb,
  status text not null default 'open',
  created_at timestamptz not null default now(),
  unique (file_id, line)
);
create table audit_log (
  tenant_id text not null references tenants(tenant_id),
  audit_id bigserial primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  entity_type text not null,
  entity_id text not null,
  before jsonb,
  after jsonb,
  file_id text,
  line integer
);
create index audit_entity on audit_log (tenant_id, entity_type, entity_id);
create table alerts (
  tenant_id text not null references tenants(tenant_id),
  alert_id bigserial primary key,
  rule text not null,
  severity text not null,
  message text not null,
  at timestamptz not null default now(),
  resolved_at timestamptz
)`;

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements.split(/;\s*\n/)) {
    if (statement.trim()) await sql.raw(statement).execute(db);
  }
}
