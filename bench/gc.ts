/**
 * Retention: what `vendorflow gc` costs. Snapshot rows of a finished run deleted in ≤ 1,000-row
 * statements (each re-checking the run under a row lock) beside one bare `delete ... where run_id`
 * of the same number of rows; the spool sweep (per-file age and needed-by-a-cycle checks) beside a
 * bare recursive remove of the same files. In-memory PGlite, the embedded default (the baseline's
 * table is a bare PGlite one: no other way to issue one unchunked statement).
 * Full: 200k snapshot rows, 20k files. --quick: 20k rows, 2k files.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/engines/database/open-database.js';
import type { Database } from '../src/engines/database/port.js';
import { collectGarbage } from '../src/pipeline/retention/collect-garbage.js';
import { round, timed, vs, type BenchFn, type Metrics } from './report.js';

const DAY = 86_400_000;
const POLICY = { spoolDays: 1, archiveDays: 1, snapshotDays: 1, rowPayloadDays: 1 };

async function finishedRunWithSnapshots(db: Database, runId: string, rows: number): Promise<void> {
  await db.unitOfWork((r) => r.runs.create({ tenantId: 'bench', runId, kind: 'full', gatherMode: 'batched', options: {} }));
  for (let i = 0; i < rows; i += 1000) {
    await db.unitOfWork((r) => r.gather.upsertSnapshots(Array.from({ length: Math.min(1000, rows - i) }, (_, k) => ({
      tenantId: 'bench', runId, employeeId: `E${String(i + k).padStart(7, '0')}`, batchId: 'b', version: 1,
      status: 'complete' as const, reason: null, data: { employeeId: `E${i + k}`, plans: ['MED', 'DEN'], salary: '85000.00' }, pii: null,
    }))));
  }
  await db.unitOfWork((r) => r.runs.cancel(runId));
}

function spoolFiles(root: string, files: number, at: Date): void {
  for (let i = 0; i < files; i++) {
    const dir = join(root, 'outbound', 'bench', `vendor-${i % 20}`);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `FILE_${i}.csv`);
    writeFileSync(path, 'x'.repeat(256));
    utimesSync(path, at, at);
  }
}

/** Baseline: the same rows in a bare PGlite table of the snapshots' shape, removed by one unchunked DELETE. */
async function bareDelete(rows: number): Promise<{ seconds: number }> {
  const pg = new PGlite();
  try {
    await pg.exec(`create table snapshots (tenant_id text, run_id text, employee_id text, batch_id text, version int, status text,
      reason text, data jsonb, pii bytea, primary key (run_id, employee_id))`);
    await pg.exec(`insert into snapshots select 'bench', 'run-bare', 'E' || lpad(i::text, 7, '0'), 'b', 1, 'complete', null,
      jsonb_build_object('employeeId', 'E' || i, 'plans', jsonb_build_array('MED', 'DEN'), 'salary', '85000.00'), null
      from generate_series(0, ${rows - 1}) i`);
    return await timed(() => pg.exec(`delete from snapshots where run_id = 'run-bare'`));
  } finally {
    await pg.close();
  }
}

const bench: BenchFn = async ({ quick }) => {
  const rows = quick ? 20_000 : 200_000;
  const files = quick ? 2_000 : 20_000;
  const work = mkdtempSync(join(tmpdir(), 'vf-bench-gc-'));
  const db = await openDatabase({ engine: 'pglite', dataDir: null });
  try {
    await db.migrate();
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'bench', name: 'Bench' }));
    const bare = await bareDelete(rows);
    await finishedRunWithSnapshots(db, 'run-gc', rows);
    const now = new Date(Date.now() + 10 * DAY);
    const run = (spoolDir: string) => collectGarbage({ db, spoolDir, archiveDirs: [], policy: POLICY, dryRun: false, now });
    const snapshots = await timed(() => run(join(work, 'empty')));
    if (snapshots.result.snapshots.rows !== rows) throw new Error(`gc removed ${snapshots.result.snapshots.rows} of ${rows} rows`);
    const old = new Date(Date.now() - 10 * DAY);
    spoolFiles(join(work, 'spool'), files, old);
    spoolFiles(join(work, 'bare'), files, old);
    const sweep = await timed(() => run(join(work, 'spool')));
    if (sweep.result.spool.removed.length !== files) throw new Error(`gc removed ${sweep.result.spool.removed.length} of ${files} files`);
    const bareFiles = await timed(() => rmSync(join(work, 'bare'), { recursive: true }));
    const snapshotSeconds = snapshots.seconds;
    const sweepSeconds = sweep.seconds;
    console.log(`snapshots: ${rows} rows in ${round(snapshotSeconds)} s in chunks vs ${round(bare.seconds)} s one statement; `
      + `spool: ${files} files in ${round(sweepSeconds)} s vs ${round(bareFiles.seconds)} s bare rm -r`);
    const m: Metrics = {
      // Chunks bound each statement (PGlite runs them on the JavaScript thread); the cost is per-chunk overhead.
      snapshot_delete_rows_s: vs(round(rows / snapshotSeconds, 0), 'rows/s', 'one unchunked DELETE of the same rows', round(rows / bare.seconds, 0), '>= 0.1x'),
      spool_sweep_files_s: vs(round(files / sweepSeconds, 0), 'files/s', 'bare recursive rm of the same tree', round(files / bareFiles.seconds, 0), '>= 0.2x'),
    };
    return m;
  } finally {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  }
};
export default bench;
