/**
 * Ingest benchmark. Each reader runs in its own process over the same file (so peak RSS is its own):
 * our CSV tokenizer beside csv-parse and papaparse at 100 MB and 1 GB (10 and 50 MB with --quick),
 * pass 1's parse + normalise + validate, and pass 2's apply on PostgreSQL and PGlite beside the same
 * set-based UPDATE + audit INSERT issued raw (no file, no validation) and a one-row-at-a-time loop;
 * pass 1 with its database checks on both engines; download + decrypt + pass 1 of 100 MB (20 MB with
 * --quick) beside OpenSSH sftp + gpg -d + a newline count. Throughputs are wall-clock; the CPU-time
 * figures beside them say how much a loaded machine held the wall-clock ones back. The children run
 * with bin/vendorflow.js's node flags, as the product does.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Database } from '../src/engines/database/port.js';
import { applyFile } from '../src/pipeline/apply/apply-file.js';
import { compileIngestSpec } from '../src/pipeline/ingest/ingest-spec.js';
import { runPass1, type PassContext } from '../src/pipeline/ingest/pass1.js';
import { checkUrl, mapResolver, vendorPolicy } from '../src/security/ssrf/index.js';
import { createTestDatabase, type EngineName } from '../test/support/databases.js';
import { peakRssMb, round, vs, type BenchOptions, type Metrics } from './report.js';
import { BENCH_SPEC, benchEmployee, HEADER, responseRow, responseValues, writeResponseFile } from './support/ingest-data.js';
import { launcherNodeFlags } from './support/launcher-flags.js';
import type { PickupComparison } from './support/pickup-vs-openssh.js';

const exec = promisify(execFile);
const MB = 1e6;

/** Children run with the launcher's node flags, as the product does. */
const NODE_FLAGS = launcherNodeFlags();

async function reader(which: string, file: string): Promise<{ records: number; seconds: number; cpuSeconds: number; maxRssMb: number }> {
  const { stdout } = await exec(process.execPath, [...NODE_FLAGS, '--import', 'tsx', new URL('./support/csv-throughput.ts', import.meta.url).pathname, which, file], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

/** `--x-only=readers,apply,pickup` runs only those parts (all by default). */
function parts(args: string[]): Set<string> {
  const all = ['readers', 'apply', 'pickup'];
  const only = args.find((a) => a.startsWith('--x-only='))?.slice('--x-only='.length).split(',') ?? all;
  const bad = only.filter((p) => !all.includes(p));
  if (bad.length) throw new Error(`--x-only: unknown part ${bad.join(', ')} (parts: ${all.join(', ')})`);
  return new Set(only);
}

export default async function ingestBench({ quick, args }: BenchOptions): Promise<Metrics> {
  const run = parts(args);
  const dir = mkdtempSync(join(tmpdir(), 'vf-bench-ingest-'));
  const metrics: Metrics = {};
  try {
    if (run.has('readers')) await readersBench(quick, dir, metrics);
    if (run.has('apply')) for (const engine of ['postgres', 'pglite'] as EngineName[]) Object.assign(metrics, await applyBench(engine, quick ? 5000 : 50_000, dir));
    if (run.has('pickup')) await pickupBench(quick, dir, metrics);
    metrics.peak_rss_bench_process = { value: peakRssMb(), unit: 'MB' };
    return metrics;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readersBench(quick: boolean, dir: string, metrics: Metrics): Promise<void> {
  const sizes: Array<[string, number]> = quick ? [['10mb', 10 * MB], ['50mb', 50 * MB]] : [['100mb', 100 * MB], ['1gb', 1000 * MB]];
  const rss: number[] = [];
  for (const [label, bytes] of sizes) {
    const file = join(dir, `response-${label}.csv`);
    // One row in 500 is invalid: pass 1 pays for its rejections too.
    const rows = await writeResponseFile(file, bytes, { invalidEvery: 500 });
    const size = statSync(file).size / MB;
    const ours = await reader('ours', file);
    const parse = await reader('csv-parse', file);
    const papa = await reader('papaparse', file);
    for (const r of [ours, parse, papa]) if (r.records !== rows + 1) throw new Error(`reader counted ${r.records} records, file has ${rows + 1}`);
    metrics[`tokenizer_${label}`] = vs(size / ours.seconds, 'MB/s', 'csv-parse', size / parse.seconds, '>= 150 MB/s and >= 4.5x csv-parse');
    metrics[`tokenizer_${label}_vs_papaparse`] = vs(size / ours.seconds, 'MB/s', 'papaparse', size / papa.seconds);
    metrics[`tokenizer_${label}_cpu`] = vs(size / ours.cpuSeconds, 'MB/cpu-s', 'csv-parse', size / parse.cpuSeconds);
    const p1 = await reader('pass1', file);
    if (p1.records !== rows) throw new Error(`pass 1 read ${p1.records} rows, file has ${rows}`);
    metrics[`pass1_${label}`] = vs(size / p1.seconds, 'MB/s', 'tokenizer alone', size / ours.seconds, '>= 50 MB/s');
    metrics[`pass1_${label}_cpu`] = vs(size / p1.cpuSeconds, 'MB/cpu-s', 'tokenizer alone', size / ours.cpuSeconds);
    metrics[`tokenizer_rss_${label}`] = { value: round(ours.maxRssMb, 1), unit: 'MB' };
    metrics[`pass1_rss_${label}`] = { value: round(p1.maxRssMb, 1), unit: 'MB' };
    rss.push(p1.maxRssMb);
    rmSync(file);
  }
  metrics.pass1_rss_growth = vs(rss[1]!, 'MB', `peak RSS at ${sizes[0]![0]}`, rss[0]!, 'flat: <= 1.1x');
}

async function pickupBench(quick: boolean, dir: string, metrics: Metrics): Promise<void> {
  const [pickupLabel, pickupBytes] = quick ? ['20mb', 20 * MB] : ['100mb', 100 * MB];
  const plain = join(dir, `pickup-${pickupLabel}.csv`);
  const pickupRows = await writeResponseFile(plain, pickupBytes, { invalidEvery: 500 });
  const { stdout } = await exec(process.execPath, [...NODE_FLAGS, '--import', 'tsx', new URL('./support/pickup-child.ts', import.meta.url).pathname, plain, dir, quick ? '1' : '2'], { maxBuffer: 1 << 20 });
  const pick = JSON.parse(stdout) as PickupComparison & { maxRssMb: number };
  if (pick.rows !== pickupRows || pick.newlines !== pickupRows + 1) throw new Error(`pickup read ${pick.rows} rows, wc -l ${pick.newlines}; file has ${pickupRows}`);
  metrics[`download_decrypt_pass1_${pickupLabel}`] = vs(pick.ours, 's', 'sftp get + gpg -d | wc -l', pick.openssh, '<= 2x the OpenSSH + GnuPG time');
  // Where our time goes: the pickup (connect, download, decrypt + verify, claim), then pass 1.
  metrics[`download_decrypt_pass1_${pickupLabel}_pickup_part`] = { value: round(pick.oursPickup), unit: 's' };
  metrics[`download_decrypt_pass1_${pickupLabel}_pass1_part`] = { value: round(pick.oursPass1), unit: 's' };
  metrics[`download_decrypt_pass1_${pickupLabel}_cpu`] = vs(pick.oursCpu, 'cpu-s', 'sftp + ssh + gpg + wc', pick.opensshCpu);
  metrics[`download_decrypt_pass1_${pickupLabel}_rss`] = { value: round(pick.maxRssMb, 1), unit: 'MB' };
}

const TENANT = 'bench';

/** Records for one vendor, all at version 1; returns their ids in employee order. */
async function seed(db: Database, vendorId: string, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let from = 0; from < n; from += 1000) {
    const count = Math.min(1000, n - from);
    ids.push(...await db.unitOfWork(async (r) => {
      await r.employees.upsertMany(Array.from({ length: count }, (_, k) => ({
        tenantId: TENANT, employeeId: benchEmployee(from + k), location: 'L', department: 'D', version: 1, data: {}, pii: null,
      })));
      return r.benefitRecords.ensureMany(Array.from({ length: count }, (_, k) => ({
        tenantId: TENANT, employeeId: benchEmployee(from + k), vendorId, planCode: 'MED', fields: { tier: 'EE', monthlyPremium: '0.00' },
      })));
    }));
  }
  return ids;
}

async function applyBench(engine: EngineName, n: number, dir: string): Promise<Metrics> {
  const t = await createTestDatabase(engine);
  try {
    const db = t.db;
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId: TENANT, name: 'bench' }));
    await seed(db, 'ours', n);
    const rawIds = await seed(db, 'raw', n);
    const naiveN = Math.max(1000, Math.floor(n / 5));
    const naiveIds = await seed(db, 'naive', naiveN);

    // Ours: pass 1 untimed, then pass 2 (re-read the file, validate, chunked optimistic apply + audit + checkpoint).
    const file = join(dir, `apply-${engine}.csv`);
    writeFileSync(file, `${HEADER}\r\n${Array.from({ length: n }, (_, i) => responseRow(i, 'MED')).join('\r\n')}\r\n`);
    const { file: inbound } = await db.unitOfWork(async (r) => {
      const reg = await r.ingest.registerInboundFile({ tenantId: TENANT, vendorId: 'ours', name: 'apply.csv', sha256: `bench-${engine}`, size: 1, answersFileId: null, cycleId: null });
      await r.ingest.openCheckpoint(TENANT, reg.file.fileId);
      return reg;
    });
    const policy = vendorPolicy({ schemes: ['https'], hosts: ['docs.acme.example'] });
    const resolver = mapResolver({ 'docs.acme.example': ['93.184.216.34'] });
    const ctx: PassContext = {
      db, tenantId: TENANT, vendorId: 'ours', fileId: inbound.fileId, path: file, compiled: compileIngestSpec(BENCH_SPEC),
      answersFileId: null, chunkSize: 1000, checkUrl: (url) => checkUrl(url, policy, { resolver }),
    };
    const fileMb = statSync(file).size / MB;
    let t0 = performance.now();
    const p1 = await runPass1(ctx);
    const pass1Seconds = (performance.now() - t0) / 1000;
    if (p1.rejected) throw new Error(`bench apply: ${p1.rejected} rows rejected`);
    await db.unitOfWork((r) => r.ingest.closePass1(inbound.fileId, { status: 'applying', received: p1.received, rejected: 0, reason: null }));
    t0 = performance.now();
    await applyFile(ctx);
    const oursRate = n / ((performance.now() - t0) / 1000);
    const cp = await db.unitOfWork((r) => r.ingest.getCheckpoint(inbound.fileId));
    if (cp!.applied !== n) throw new Error(`bench apply: ${cp!.applied} of ${n} applied`);

    // Raw: the same UPDATE ... FROM unnest + audit INSERT statement, 1,000 rows a transaction, nothing else.
    t0 = performance.now();
    for (let from = 0; from < n; from += 1000) {
      const rows = rawIds.slice(from, from + 1000).map((recordId, k) => ({ recordId, expectedVersion: 1, values: responseValues(from + k, 'MED'), line: from + k + 2 }));
      await db.unitOfWork((r) => r.ingest.applyChunk({ tenantId: TENANT, fileId: 'raw', actor: 'bench', rows }));
    }
    const rawRate = n / ((performance.now() - t0) / 1000);

    // Naive: row by row as a straightforward implementation does it — UPDATE ... WHERE version =
    // expected, then its audit INSERT — 1,000 rows a transaction.
    t0 = performance.now();
    for (let from = 0; from < naiveN; from += 1000) {
      const ids = naiveIds.slice(from, from + 1000);
      const applied = await db.unitOfWork(async (r) => {
        let count = 0;
        for (const [k, recordId] of ids.entries()) {
          const row = { recordId, expectedVersion: 1, values: responseValues(from + k, 'MED'), line: from + k + 2 };
          if ((await r.ingest.applyRow({ tenantId: TENANT, fileId: 'naive', actor: 'bench', row })) !== null) count++;
        }
        return count;
      });
      if (applied !== ids.length) throw new Error(`bench naive apply: ${applied} of ${ids.length} applied`);
    }
    const naiveRate = naiveN / ((performance.now() - t0) / 1000);
    return {
      // Pass 1 whole: parse, normalise, validate, per-chunk key checks, baselines (1,000 rows a unit of work).
      [`pass1_with_db_${engine}`]: { value: round(fileMb / pass1Seconds), unit: 'MB/s' },
      [`pass1_with_db_${engine}_rows`]: { value: round(n / pass1Seconds), unit: 'rows/s' },
      [`apply_${engine}`]: vs(oursRate, 'rows/s', 'raw unnest UPDATE + audit INSERT', rawRate, '>= 0.8x raw'),
      [`apply_${engine}_vs_naive`]: vs(oursRate, 'rows/s', 'per-row loop', naiveRate, '>= 8x naive'),
    };
  } finally {
    await t.drop();
  }
}
