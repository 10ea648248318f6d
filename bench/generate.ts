/**
 * Outbound generation throughput: each format's streaming writer (records → writer → sha256 →
 * file), and CSV through PGP, beside a bare hand-written RFC 4180 loop over the same rows in the
 * same run. Each measurement runs in its own process, so peak RSS is that pipeline's alone; the
 * large size checks that memory does not grow with the file.
 *   full:  50,000 and 500,000 records (CSV ≈ 100 MB and ≈ 1 GB)
 *   quick: 5,000 and 25,000
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vs, round, type BenchFn, type Metrics } from './report.js';

interface Run { mode: string; count: number; bytes: number; seconds: number; maxRssMb: number }

const bench: BenchFn = async ({ quick }) => {
  const [small, large] = quick ? [5_000, 25_000] : [50_000, 500_000];
  const dir = mkdtempSync(join(tmpdir(), 'vf-bench-generate-'));
  const child = new URL('./support/generate-child.ts', import.meta.url).pathname;
  const run = (mode: string, count: number): Run => {
    const out = join(dir, `${mode}-${count}.out`);
    const line = execFileSync(process.execPath, ['--import', 'tsx', child, mode, String(count), out], { encoding: 'utf8', maxBuffer: 1 << 20 });
    rmSync(out, { force: true });
    const r = JSON.parse(line.trim().split('\n').pop()!) as Run;
    console.error(`  ${mode} ${count}: ${round(r.bytes / 1e6)} MB in ${round(r.seconds)} s, peak RSS ${round(r.maxRssMb)} MB`);
    return r;
  };
  const mbps = (r: Run) => r.bytes / 1e6 / r.seconds;
  const m: Metrics = {};
  try {
    for (const count of [small, large]) {
      const bare = run('bare-csv', count);
      const csv = run('csv', count);
      const pgp = run('csv-pgp', count);
      const fw = run('fixed-width', count);
      const x12 = run('x12-834', count);
      const tag = `${count / 1000}k`;
      m[`csv_${tag}_mb_s`] = vs(mbps(csv), 'MB/s', 'bare RFC 4180 loop', mbps(bare), '>= 0.8x');
      m[`csv_${tag}_file_mb`] = { value: round(csv.bytes / 1e6), unit: 'MB' };
      m[`csv_pgp_${tag}_time`] = vs(pgp.seconds, 's', 'csv without PGP', csv.seconds, '<= 1.5x');
      m[`fixed_width_${tag}_mb_s`] = vs(mbps(fw), 'MB/s', 'bare RFC 4180 loop', mbps(bare));
      m[`x12_834_${tag}_mb_s`] = vs(mbps(x12), 'MB/s', 'bare RFC 4180 loop', mbps(bare));
      for (const [name, r] of [['bare', bare], ['csv', csv], ['csv_pgp', pgp], ['fixed_width', fw], ['x12_834', x12]] as const) {
        m[`${name}_${tag}_peak_rss`] = { value: round(r.maxRssMb, 1), unit: 'MB' };
      }
    }
    const tagS = `${small / 1000}k`;
    const tagL = `${large / 1000}k`;
    for (const name of ['csv', 'csv_pgp', 'fixed_width', 'x12_834']) {
      m[`${name}_rss_growth`] = vs(m[`${name}_${tagL}_peak_rss`]!.value, 'MB', `peak RSS at ${tagS}`, m[`${name}_${tagS}_peak_rss`]!.value, '<= 1.1x');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return m;
};
export default bench;
