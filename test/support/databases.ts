import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../../src/engines/database/open-database.js';
import type { Database } from '../../src/engines/database/port.js';
import { TEST_DATABASE_URL } from './services.js';

export type EngineName = 'pglite' | 'postgres';
export const ENGINES: EngineName[] = ['pglite', 'postgres'];

export interface TestDatabase {
  db: Database;
  /** For PostgreSQL, a URL to this test's own database (other processes, raw connections). */
  url: string | null;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own: in-memory PGlite, or a new PostgreSQL database dropped afterwards. */
export async function createTestDatabase(engine: EngineName): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const db = await openDatabase({ engine: 'pglite', dataDir: null });
    await db.migrate();
    return { db, url: null, drop: () => db.close() };
  }
  const name = `vf_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = withDatabase(TEST_DATABASE_URL, name);
  const db = await openDatabase({ engine: 'postgres', url, poolSize: 5 });
  await db.migrate();
  return {
    db,
    url,
    async drop() {
      await db.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}
