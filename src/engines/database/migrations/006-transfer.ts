import { sql, type Kysely } from 'kysely';

/**
 * What pickup saw in a vendor's inbox at its last poll: a file is taken only when a later poll sees
 * the same size and mtime (a vendor may still be writing it). Kept in the database, not in memory,
 * so any worker's next poll — or the one after a restart — can confirm stability.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table inbox_observations (
    tenant_id text not null references tenants(tenant_id),
    vendor_id text not null,
    name text not null,
    size bigint not null,
    mtime_ms bigint not null,
    first_seen_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    primary key (tenant_id, vendor_id, name)
  )`.execute(db);
}
