import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { VendorflowError } from '../../shared/errors.js';
import { migrations } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import { lockDataDir } from './pglite-lock.js';
import type { Database } from './port.js';
import { createRepositories } from './repositories/index.js';
import { inProcessSessionLocks, postgresSessionLocks } from './session-lock.js';
import type { DB } from './schema.js';

export type DatabaseTarget =
  | { engine: 'postgres'; url: string; poolSize?: number;
    /** The server ends a transaction left idle this long (a frozen or partitioned worker) and frees its row locks. */
    idleInTransactionTimeoutMs?: number }
  | { engine: 'pglite'; dataDir: string | null }; // null: in memory

const INT8 = 20;
const insideUnitOfWork = new AsyncLocalStorage<true>();

/** Describes a target for messages without leaking a password. */
export function describeTarget(t: DatabaseTarget): string {
  if (t.engine === 'pglite') return `PGlite at ${t.dataDir ?? 'memory'}`;
  try {
    const u = new URL(t.url);
    return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const db = target.engine === 'postgres' ? await openPostgres(target) : await openPGlite(target.dataDir);
  const tryLock = target.engine === 'postgres' ? postgresSessionLocks(target.url) : inProcessSessionLocks();
  const unitOfWork: Database['unitOfWork'] = async (fn) => {
    if (insideUnitOfWork.getStore()) {
      throw new VendorflowError('NESTED_UNIT_OF_WORK',
        'a unit of work was opened inside another one; pass the repositories down instead');
    }
    return insideUnitOfWork.run(true, () =>
      db.transaction().execute((trx) => fn(createRepositories(trx))));
  };
  return {
    engine: target.engine,
    tryLock,
    unitOfWork,
    read: unitOfWork,
    async migrate() {
      const { error, results } = await new Migrator({
        db, provider: { getMigrations: async () => migrations },
        // Areas add migrations independently; each is self-contained, so one that lands with an
        // earlier name than one already applied is applied rather than refused.
        allowUnorderedMigrations: true,
      }).migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
        throw new VendorflowError('INTERNAL', `migration ${failed} failed: ${(error as Error).message}`, { cause: error });
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPostgres(target: { url: string; poolSize?: number; idleInTransactionTimeoutMs?: number }): Promise<Kysely<DB>> {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    ...(target.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: target.idleInTransactionTimeoutMs } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        (oid === INT8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its server (restart, failover) must not crash the process: idle ones are dropped
  // by the pool, checked-out ones fail their query, and the next checkout reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy().catch(() => {});
    const where = describeTarget({ engine: 'postgres', url: target.url });
    const missing = (e as { code?: string }).code === '3D000'; // invalid_catalog_name
    throw new VendorflowError('DATABASE_UNREACHABLE', missing
      ? `${where}: ${(e as Error).message} (create it first, e.g. createdb)`
      : `cannot reach ${where}: ${(e as Error).message}`, { cause: e });
  }
  return db;
}

async function openPGlite(dataDir: string | null): Promise<Kysely<DB>> {
  let unlock = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    unlock = lockDataDir(dataDir);
  }
  const pglite = new PGlite(dataDir ?? undefined, { parsers: { [INT8]: Number } });
  return new Kysely<DB>({ dialect: new PGliteDialect(pglite, unlock) });
}
