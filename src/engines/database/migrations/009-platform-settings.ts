import { sql, type Kysely } from 'kysely';

/** Platform-wide facts that must agree across processes, e.g. which PII key sealed the data. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table platform_settings (
    tenant_id text not null default '_platform',
    name text not null,
    value text not null,
    primary key (tenant_id, name)
  )`.execute(db);
}
