/**
 * Simulators: generating the synthetic enterprise, starting `vendorflow sim start` as a child process,
 * its memory, and pulling the whole HRIS through the unit bulk route — each beside a baseline from
 * the same run (JSON.stringify of the same data; a one-employee child for start-up and memory). The
 * `cli_*` rows run `vendorflow sim start` itself; the others the lean entry spawnSimulators uses.
 * Full: 50,000 employees. --quick: 10,000.
 */
import { readFileSync } from 'node:fs';
import { generateEmployees } from '../src/sim/enterprise.js';
import { spawnSimulators } from '../src/sim/spawn-simulators.js';
import { round, vs, type BenchOptions, type Metrics } from './report.js';

/** Current and peak RSS of another process, in MB (Linux /proc). */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: round(kb('VmRSS') / 1024, 1), peak: round(kb('VmHWM') / 1024, 1) };
}

async function startChild(employees: number, entry: 'lean' | 'cli' = 'lean') {
  const t0 = performance.now();
  const sim = await spawnSimulators({ employees, seed: 42, knobs: { latencyMs: 0, jitterMs: 0 }, entry });
  return { sim, readySeconds: (performance.now() - t0) / 1000 };
}

/** Every employee through `GET /units/:l/:d/employees`, pages of 1,000, 8 units at a time. */
async function pullHris(hris: string): Promise<{ seconds: number; records: number; bytes: number }> {
  const t0 = performance.now();
  const units = (await (await fetch(`${hris}/units`)).json()) as Array<{ location: string; department: string }>;
  let records = 0;
  let bytes = 0;
  const queue = [...units];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let u = queue.shift(); u; u = queue.shift()) {
      for (let cursor: string | null = ''; cursor !== null;) {
        const url = `${hris}/units/${encodeURIComponent(u.location)}/${encodeURIComponent(u.department)}/employees?limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
        const text = await (await fetch(url)).text();
        const page = JSON.parse(text) as { items: unknown[]; nextCursor: string | null };
        records += page.items.length;
        bytes += text.length;
        cursor = page.nextCursor;
      }
    }
  }));
  return { seconds: (performance.now() - t0) / 1000, records, bytes };
}

export default async function sim(opts: BenchOptions): Promise<Metrics> {
  const employees = opts.quick ? 10_000 : 50_000;

  // Generation (streamed, as the demo consumes it), and the baseline: serialising the same snapshots.
  let t0 = performance.now();
  let count = 0;
  for (const _ of generateEmployees({ seed: 42, employees })) count++;
  const generateSeconds = (performance.now() - t0) / 1000;
  let stringifySeconds = 0;
  let jsonBytes = 0;
  for (const e of generateEmployees({ seed: 42, employees })) {
    t0 = performance.now();
    jsonBytes += JSON.stringify(e).length;
    stringifySeconds += (performance.now() - t0) / 1000;
  }
  if (count !== employees) throw new Error(`generated ${count} of ${employees}`);
  console.log(`generated ${employees} employees in ${round(generateSeconds)} s (${round(jsonBytes / employees)} B each as JSON); stringify ${round(stringifySeconds)} s`);

  const tiny = await startChild(1);
  const tinyRss = rssOf(tiny.sim.pid);
  await tiny.sim.stop();

  // `vendorflow sim start` itself (the whole CLI loaded), beside the lean entry spawnSimulators uses.
  const cli = await startChild(employees, 'cli');
  const cliRss = rssOf(cli.sim.pid);
  await cli.sim.stop();
  console.log(`vendorflow sim start --employees ${employees}: ready in ${round(cli.readySeconds)} s, RSS ${cliRss.rss} MB`);

  const big = await startChild(employees);
  try {
    const readyRss = rssOf(big.sim.pid);
    const pull = await pullHris(big.sim.services.hris[0]!);
    if (pull.records !== employees) throw new Error(`pulled ${pull.records} of ${employees}`);
    const after = rssOf(big.sim.pid);
    console.log(`child ready in ${round(big.readySeconds)} s (1-employee child ${round(tiny.readySeconds)} s); RSS ${readyRss.rss} MB at ready, peak ${after.peak} MB after pulling ${pull.records} HRIS records (${round(pull.bytes / 1e6)} MB) in ${round(pull.seconds)} s`);
    return {
      generate_seconds: vs(generateSeconds, 's', 'JSON.stringify of the same snapshots', stringifySeconds, `${employees} in seconds`),
      bytes_per_employee: { value: round(jsonBytes / employees), unit: 'B', goal: '~2 KB' },
      child_ready_seconds: vs(big.readySeconds, 's', '1-employee child', tiny.readySeconds, 'serves within seconds'),
      cli_ready_seconds: vs(cli.readySeconds, 's', '1-employee lean child', tiny.readySeconds, 'serves within seconds'),
      cli_rss_mb: vs(cliRss.peak, 'MB', '1-employee lean child', tinyRss.peak, '< 500 MB'),
      child_peak_rss_mb: vs(after.peak, 'MB', '1-employee child', tinyRss.peak, '< 500 MB'),
      hris_bulk_pull_seconds: vs(pull.seconds, 's', 'JSON.stringify of the same snapshots', stringifySeconds),
    };
  } finally {
    await big.sim.stop();
  }
}
