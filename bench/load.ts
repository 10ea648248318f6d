/**
 * Loading a tenant's employees: our chunked, sealed upsert into PostgreSQL and into PGlite, beside a
 * bare psql COPY of the same (pre-sealed) rows into PostgreSQL. Each load runs in its own process.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { round, vs, type BenchFn, type Metrics } from './report.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}

function child(engine: string, employees: number, url?: string): { seconds: number; rows: number; maxRssMb: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL('./support/load-child.ts', import.meta.url).pathname,
    engine, String(employees), ...(url ? [url] : [])], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

async function withDatabase<T>(fn: (url: string) => T): Promise<T> {
  const name = `vf_bench_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  try { return fn(u.toString()); } finally { await admin(`drop database if exists ${name} with (force)`); }
}

const bench: BenchFn = async ({ quick }) => {
  const employees = quick ? 5_000 : 50_000;
  const copy = await withDatabase((url) => child('copy', employees, url));
  const postgres = await withDatabase((url) => child('postgres', employees, url));
  const pglite = child('pglite', employees);
  const copyRate = copy.rows / copy.seconds;
  const metrics: Metrics = {
    employees: { value: employees, unit: 'rows' },
    postgres_load: vs(postgres.rows / postgres.seconds, 'rows/s', 'bare COPY', copyRate),
    pglite_load: vs(pglite.rows / pglite.seconds, 'rows/s', 'bare COPY', copyRate),
    postgres_peak_rss: { value: round(postgres.maxRssMb), unit: 'MB' },
    pglite_peak_rss: { value: round(pglite.maxRssMb), unit: 'MB' },
    copy_seconds: { value: round(copy.seconds), unit: 's' },
  };
  return metrics;
};
export default bench;
