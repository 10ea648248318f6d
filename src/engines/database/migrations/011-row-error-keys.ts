import { sql, type Kysely } from 'kysely';

/**
 * The employee and plan a rejected row named (when they could be read), so an operator working the
 * discrepancy report sees whose answer was refused without opening the vendor's file.
 */
const statements = `
alter table row_errors add column employee_id text;
alter table row_errors add column plan_code text`;

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements.split(/;\s*\n/)) {
    if (statement.trim()) await sql.raw(statement).execute(db);
  }
}
