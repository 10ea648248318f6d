import { sql, type Kysely } from 'kysely';

/**
 * An inbound file's identity is its vendor, its content and the outbound file it answers. Content
 * alone was not enough: a vendor answering two deliveries with the same bytes (nothing changed, and a
 * response that names its delivery only in the file name) had the second answer taken for a re-send
 * of the first, and that cycle waited for a response that had come.
 */
const statements = `
drop index files_inbound_identity;
create unique index files_inbound_identity on files (tenant_id, vendor_id, sha256, (coalesce(answers_file_id, ''))) where direction = 'in'`;

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements.split(/;\s*\n/)) {
    if (statement.trim()) await sql.raw(statement).execute(db);
  }
}
