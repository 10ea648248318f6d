import { sql, type Kysely } from 'kysely';

/**
 * Formats: the sensitive part of what an outbound record sent (SSN, birth date, address) sealed
 * beside the plain `sent` image, so a member who leaves can be terminated with the exact values the
 * vendor holds; and indexes for keyset reads of a file's members and a vendor's hashes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table file_members add column sent_pii bytea`.execute(db);
  await sql`create index files_out_cycle on files (tenant_id, cycle_id, vendor_id) where direction = 'out'`.execute(db);
  await sql`create index member_hashes_file on member_hashes (tenant_id, vendor_id, file_id)`.execute(db);
}
