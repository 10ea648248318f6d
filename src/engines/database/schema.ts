import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of the tables (migrations/ is the source of truth). Internal to engines/. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;
type Int8 = ColumnType<number, number | string | bigint, number | string | bigint>;

export interface TenantsTable { tenant_id: string; name: string; created_at: Timestamp }
export interface VendorsTable {
  tenant_id: string; vendor_id: string; name: string; spec: Json; spec_sha256: string; registered_at: Timestamp;
}
export interface TenantVendorsTable {
  tenant_id: string; vendor_id: string; settings: Json<Record<string, unknown>>;
  next_seq: Generated<number>; next_control_number: Generated<number>;
}
export interface EmployeesTable {
  tenant_id: string; employee_id: string; location: string; department: string; version: number;
  data: Json<Record<string, unknown>>; pii: Uint8Array | null; updated_at: Timestamp;
}
export interface BenefitRecordsTable {
  tenant_id: string; record_id: Generated<Int8>; employee_id: string; vendor_id: string; plan_code: string;
  version: Generated<number>; fields: Json<Record<string, unknown>>; last_file_id: string | null;
  last_line: number | null; updated_at: Timestamp;
}
export interface RunsTable {
  tenant_id: string; run_id: string; status: string; gather_mode: Generated<string>;
  batches_total: Generated<number>; batches_done: Generated<number>; batches_failed: Generated<number>;
  summary: Json<Record<string, unknown>>; created_at: Timestamp; finished_at: Date | null;
  // 008-cycles
  stage: Generated<string>; kind: Generated<string>; options: Json<Record<string, unknown>>; attempts: Generated<number>;
  lease_token: Generated<Int8>; lease_owner: string | null; lease_expires_at: Date | null; error: string | null;
  updated_at: Timestamp;
}
export interface CyclesTable {
  tenant_id: string; cycle_id: string; run_id: string; vendor_id: string; kind: Generated<string>;
  status: string; stage: string; scheduled_for: Timestamp; deadline: Date | null; sla_status: string | null;
  attempts: Generated<number>; lease_token: Generated<Int8>; lease_owner: string | null;
  lease_expires_at: Date | null; counters: Json<Record<string, unknown>>; timings: Json<Record<string, unknown>>;
  error: string | null; created_at: Timestamp; updated_at: Timestamp;
}
export interface BatchesTable {
  tenant_id: string; batch_id: string; run_id: string; location: string; department: string;
  part: Generated<number>; employee_ids: Json<string[]>; status: string; attempts: Generated<number>;
  lease_token: Generated<Int8>; lease_owner: string | null; lease_expires_at: Date | null;
  counts: Json<Record<string, unknown>>; error: string | null; updated_at: Timestamp;
}
export interface SnapshotsTable {
  tenant_id: string; run_id: string; employee_id: string; batch_id: string; version: number | null;
  status: string; reason: string | null; data: Json<Record<string, unknown>> | null; pii: Uint8Array | null;
}
export interface FilesTable {
  tenant_id: string; file_id: string; vendor_id: string; cycle_id: string | null; direction: 'in' | 'out';
  kind: string; name: string; seq: number | null; control_number: number | null; status: string;
  size: Int8 | null; sha256: string | null; rows: number | null; remote_path: string | null;
  resume_offset: Generated<Int8>; answers_file_id: string | null; error: string | null;
  created_at: Timestamp; updated_at: Timestamp;
}
export interface FileEventsTable {
  tenant_id: string; event_id: Generated<Int8>; file_id: string; kind: string; bytes: Int8 | null;
  outcome: string | null; error: string | null; at: Timestamp;
}
export interface InboxObservationsTable {
  tenant_id: string; vendor_id: string; name: string; size: Int8; mtime_ms: Int8; first_seen_at: Timestamp; last_seen_at: Timestamp;
}
export interface FileMembersTable {
  tenant_id: string; file_id: string; employee_id: string; plan_code: string; record_id: Int8;
  record_version: number; record_hash: string; maintenance_code: string | null; sent: Json<Record<string, unknown>>;
  sent_pii: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
}
export interface MemberHashesTable {
  tenant_id: string; vendor_id: string; employee_id: string; plan_code: string; record_hash: string; file_id: string;
}
export interface IngestCheckpointsTable {
  tenant_id: string; file_id: string; pass: Generated<number>; last_line: Generated<number>;
  status: Generated<string>; updated_at: Timestamp;
  // 007-ingest
  received: Generated<number>; rejected: Generated<number>; applied: Generated<number>; merged: Generated<number>;
  skipped: Generated<number>; conflicted: Generated<number>; reason: string | null;
}
export interface IngestBaselinesTable {
  tenant_id: string; file_id: string; record_id: Int8; employee_id: string; plan_code: string; line: number;
  expected_version: number; before: Json<Record<string, unknown>>;
}
export interface RowErrorsTable {
  tenant_id: string; error_id: Generated<Int8>; file_id: string; line: number; col: string; code: string;
  message: string; raw_masked: string | null; employee_id: string | null; plan_code: string | null;
}
export interface ConflictsTable {
  tenant_id: string; conflict_id: Generated<Int8>; file_id: string; line: number; record_id: Int8;
  expected_version: number; actual_version: number; before: Json | null; theirs: Json | null; ours: Json | null;
  status: Generated<string>; created_at: Timestamp;
}
export interface AuditLogTable {
  tenant_id: string; audit_id: Generated<Int8>; at: Timestamp; actor: string; action: string;
  entity_type: string; entity_id: string; before: Json | null; after: Json | null; file_id: string | null;
  line: number | null;
}
export interface AlertsTable {
  tenant_id: string; alert_id: Generated<Int8>; rule: string; severity: string; message: string; at: Timestamp;
  resolved_at: Date | null;
}

export interface PlatformSettingsTable { tenant_id: Generated<string>; name: string; value: string }

export interface DB {
  platform_settings: PlatformSettingsTable;
  tenants: TenantsTable;
  vendors: VendorsTable;
  tenant_vendors: TenantVendorsTable;
  employees: EmployeesTable;
  benefit_records: BenefitRecordsTable;
  runs: RunsTable;
  cycles: CyclesTable;
  batches: BatchesTable;
  snapshots: SnapshotsTable;
  files: FilesTable;
  file_events: FileEventsTable;
  inbox_observations: InboxObservationsTable;
  file_members: FileMembersTable;
  member_hashes: MemberHashesTable;
  ingest_checkpoints: IngestCheckpointsTable;
  ingest_baselines: IngestBaselinesTable;
  row_errors: RowErrorsTable;
  conflicts: ConflictsTable;
  audit_log: AuditLogTable;
  alerts: AlertsTable;
}
