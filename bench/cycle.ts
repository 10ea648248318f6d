/**
 * A whole run end to end — plan, gather from the simulators (in their own process, with simulated
 * latency), generate, deliver over SFTP to the demo vendor, its answer picked up (polled every
 * second), ingested, applied, reconciled — for the three example vendors:
 * - embedded: PGlite and the in-process runner, all in one child process;
 * - distributed: PostgreSQL + Redis (BullMQ) with 1 and with 2 `vendorflow worker` processes, the
 *   demo vendor's files served by a private OpenSSH sshd (chrooted to them).
 * Every run of a size must end with the same benefit-record checksum (the bench fails otherwise).
 * Reports wall time, the time each stage was in flight, and peak RSS per process, beside the
 * baselines the issue sets: a PGlite load of the same employees (embedded memory), the embedded run
 * (distributed speed-up), and the half-size run (scaling). Full: 10k, 50k, 100k at 100 ms latency;
 * --quick: 1,000 employees at 2 ms; --x-sizes=N,M picks sizes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import { enrolTenant, startDemoEnvironment, type DemoEnvironment } from '../src/main/demo-environment.js';
import { openOrchestrator } from '../src/main/orchestration.js';
import { openPlatform } from '../src/main/platform.js';
import { benefitRecordsChecksum, processRssMb, REPORT_STAGES, summariseRun, watchRun, type StageObservation } from '../src/main/run-report.js';
import { spawnSimulators } from '../src/sim/index.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../src/vendors/registry.js';
import { sshdVendorHost } from '../test/support/sshd.js';
import { compiledEntry } from '../bin/compiled-entry.js';
import { round, vs, type BenchFn, type Metric, type Metrics } from './report.js';
import { launcherNodeFlags } from './support/launcher-flags.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);

interface Outcome {
  label: string; employees: number; seconds: number; status: string; checksum: { rows: number; sha256: string };
  stages: Record<string, StageObservation>; rss: Record<string, number>; cpu?: Record<string, number>; calls: { made: number; naive: number };
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}

/** The world around one run (simulators child + demo vendor) and the config that binds it. */
async function world(employees: number, latencyMs: number, extra: Record<string, unknown>, vendorServer: 'embedded' | 'sshd') {
  const home = mkdtempSync(join(tmpdir(), 'vf-bench-cycle-'));
  const keyFile = join(home, 'pii.key.b64');
  writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const specs = loadVendorRegistry(EXAMPLE_VENDOR_FILES).list();
  const env: DemoEnvironment = await startDemoEnvironment({
    home, specs, employees, seed: 42, latencyMs, vendorPollMs: 500,
    ...(vendorServer === 'sshd' ? { vendorHost: sshdVendorHost } : {}),
    startServices: (o) => spawnSimulators({ employees: o.employees, seed: o.seed, knobs: { latencyMs: o.latencyMs, jitterMs: Math.round(o.latencyMs / 5) } }),
  });
  const raw = {
    home, log: { level: 'warn' }, security: { piiKey: `file:${keyFile}` },
    cycles: { pickupIntervalMs: 1000, reconcileIntervalMs: 1000 },
    pipeline: { ...env.pipeline, responseWindowMs: 600_000 },
    ssrf: env.ssrf,
    ...extra,
  };
  const configFile = join(home, 'vendorflow.yaml');
  writeFileSync(configFile, stringify(raw));
  return {
    env, home, configFile, specs,
    async close() { await env.stop(); rmSync(home, { recursive: true, force: true }); },
  };
}

/** Each vendor's own time per stage (the stage table above is time in flight across vendors). */
function logStageWork(label: string, summary: Awaited<ReturnType<typeof summariseRun>>): void {
  for (const v of summary.vendors) {
    const stages = Object.entries(v.stageMs).map(([s, ms]) => `${s} ${round(ms / 1000)}`).join(', ');
    console.error(`  ${label} ${v.vendorId}: ${v.file.records} records, ${round(v.file.bytes / 1e6)} MB; s per stage: ${stages}`);
  }
}

const at = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();

async function embedded(employees: number, latencyMs: number, scheduledFor: string): Promise<Outcome> {
  const w = await world(employees, latencyMs, {}, 'embedded');
  try {
    const { stdout } = await run(process.execPath, [...await asProduct('bench/support/cycle-child.ts'), w.configFile, 'bench', scheduledFor],
      { cwd: ROOT, maxBuffer: 1 << 22, env: { ...process.env, DATABASE_URL: '', REDIS_URL: '' } });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      seconds: number; stages: Record<string, StageObservation>; summary: Awaited<ReturnType<typeof summariseRun>>; peakRssMb: number;
      checksum: Outcome['checksum'];
    };
    logStageWork(`embedded ${employees}`, r.summary);
    return {
      label: 'embedded', employees, seconds: r.seconds, status: r.summary.status, stages: r.stages, checksum: r.checksum,
      rss: { vendorflow: r.peakRssMb, simulators: processRssMb(w.env.services.pid!, 'VmHWM') }, calls: r.summary.calls,
    };
  } finally {
    await w.close();
  }
}

/** `--x-profile=DIR`: workers write V8 CPU profiles there (where a distributed run spends its time). */
let workerProfileDir: string | undefined;

/** A worker as an operator starts it (the program, its shebang's flags), or under node with a profiler. */
function workerCommand(configFile: string): [string, string[]] {
  const program = join(ROOT, 'bin/vendorflow.js');
  const args = ['worker', '--config', configFile];
  // node refuses --cpu-prof in NODE_OPTIONS: a profiled worker is node itself with the launcher's flags.
  if (!workerProfileDir) return [program, args];
  return [process.execPath, [...launcherNodeFlags(), '--cpu-prof', `--cpu-prof-dir=${workerProfileDir}`, program, ...args]];
}

async function distributed(employees: number, latencyMs: number, workers: number, scheduledFor: string): Promise<Outcome> {
  const name = `vf_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `vfb${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const w = await world(employees, latencyMs, { database: { url: url.toString(), poolSize: 10 }, redis: { url: REDIS_URL, keyPrefix: prefix } }, 'sshd');
  const children: ChildProcess[] = [];
  const platform = await openPlatform(loadConfig({ env: {}, file: w.configFile }));
  try {
    await enrolTenant(platform.db, 'bench', w.specs);
    for (let i = 0; i < workers; i++) {
      // Started as an operator starts them: the program itself, so its shebang's node flags apply.
      const [command, args] = workerCommand(w.configFile);
      children.push(spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }));
    }
    // Workers are up once each has registered with BullMQ; give tsx its start-up before the clock runs.
    await new Promise((r) => setTimeout(r, 4000));
    const orchestrator = openOrchestrator(platform);
    const t0 = performance.now();
    const { runId } = await orchestrator.startRun({ tenantId: 'bench', vendorIds: w.specs.map((s) => s.id), kind: 'full', scheduledFor: new Date(scheduledFor) });
    const pids = children.map((c) => c.pid!);
    const watched = await watchRun(platform.db, runId, { pollMs: 100, pids });
    const seconds = (performance.now() - t0) / 1000;
    await orchestrator.close();
    const summary = await summariseRun(platform.db, runId);
    logStageWork(`distributed-${workers}w ${employees}`, summary);
    console.error(`  distributed-${workers}w ${employees} peak RSS of the busiest process while each stage was in flight (MB): ${REPORT_STAGES.map((s) => `${s} ${watched.stages[s].peakRssMb}`).join(', ')}`);
    const checksum = await benefitRecordsChecksum(platform.db, 'bench', w.specs.map((s) => s.id));
    const rss: Record<string, number> = {};
    children.forEach((c, i) => { rss[`worker${i + 1}`] = Math.max(processRssMb(c.pid!, 'VmHWM'), watched.peakRssMb[String(c.pid)] ?? 0); });
    rss.simulators = processRssMb(w.env.services.pid!, 'VmHWM');
    // CPU seconds compare runs when other work on the machine makes wall times noisy.
    const cpu: Record<string, number> = {};
    children.forEach((c, i) => { cpu[`worker${i + 1}`] = processCpuSeconds(c.pid!); });
    return { label: `distributed-${workers}w`, employees, seconds, status: summary.status, stages: watched.stages, rss, cpu, calls: summary.calls, checksum };
  } finally {
    for (const c of children) { c.kill('SIGTERM'); await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))); }
    await platform.close();
    await w.close();
    await admin(`drop database if exists ${name} with (force)`);
    const redis = new Redis(REDIS_URL);
    try {
      for (let cursor = '0'; ;) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        if ((cursor = next) === '0') break;
      }
    } finally { redis.disconnect(); }
  }
}

/** User + system CPU time a live process has used so far (from /proc; clock ticks are 1/100 s here). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return round((Number(fields[11]) + Number(fields[12])) / 100);
}

/**
 * Node arguments that run a child script as the product runs (`vendorflow demo`, workers): compiled
 * into one module, with the launcher's node flags. The embedded run and its PGlite baseline both
 * run so, so their RSS compares like with like.
 */
async function asProduct(script: string): Promise<string[]> {
  const compiled = await compiledEntry(script);
  return [...launcherNodeFlags(), ...(compiled ? [fileURLToPath(compiled)] : ['--import', 'tsx', join(ROOT, script)])];
}

/** Peak RSS of loading the same employees into PGlite, in its own process (the embedded memory baseline). */
async function pgliteLoadRss(employees: number): Promise<number> {
  const { stdout } = await run(process.execPath, [...await asProduct('bench/support/load-child.ts'), 'pglite', String(employees)], { cwd: ROOT, maxBuffer: 1 << 20 });
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { maxRssMb: number }).maxRssMb;
}

const bench: BenchFn = async ({ quick, args }) => {
  // --x-sizes=10000,50000 runs part of the full matrix (each 100k run takes minutes).
  const profileDir = args.find((a) => a.startsWith('--x-profile='))?.slice('--x-profile='.length);
  workerProfileDir = profileDir;
  const chosen = args.find((a) => a.startsWith('--x-sizes='))?.slice('--x-sizes='.length).split(',').map(Number);
  const sizes = chosen ?? (quick ? [1000] : [10_000, 50_000, 100_000]);
  const latency = quick ? 2 : 100;
  // --x-modes=distributed-1w runs part of each size's trio (the embedded run stays the baseline when present).
  const modes = args.find((a) => a.startsWith('--x-modes='))?.slice('--x-modes='.length).split(',') ?? ['embedded', 'distributed-1w', 'distributed-2w'];
  const metrics: Metrics = { latency: { value: latency, unit: 'ms per internal call' } };
  const bySize = new Map<number, Outcome[]>();
  for (const n of sizes) {
    const outcomes: Outcome[] = [];
    // Files are dated by the cycle's scheduled time: one instant for every run of a size, so their
    // results can be compared.
    const scheduledFor = at();
    if (modes.includes('embedded')) outcomes.push(await embedded(n, latency, scheduledFor));
    if (modes.includes('distributed-1w')) outcomes.push(await distributed(n, latency, 1, scheduledFor));
    if (modes.includes('distributed-2w')) outcomes.push(await distributed(n, latency, 2, scheduledFor));
    bySize.set(n, outcomes);
    const loadRss = await pgliteLoadRss(n);
    const emb = outcomes.find((o) => o.label === 'embedded');
    for (const o of outcomes) {
      const k = `${n}_${o.label}`;
      if (o.status !== 'done') throw new Error(`${k}: run ended ${o.status}`);
      const goal = n === 50_000 && o !== emb ? '< 30 s at 50k distributed' : undefined;
      metrics[`${k}_wall`] = emb && o !== emb
        ? vs(o.seconds, 's', `embedded ${n}`, emb.seconds, goal)
        : { value: round(o.seconds), unit: 's', ...(goal ? { goal } : {}) };
      for (const s of REPORT_STAGES) {
        const st = o.stages[s]!;
        if (st.startedMs !== null) metrics[`${k}_${s}`] = { value: round(((st.endedMs ?? st.startedMs) - st.startedMs) / 1000), unit: 's in flight' };
      }
      for (const [proc, mb] of Object.entries(o.rss)) {
        const m: Metric = proc === 'vendorflow'
          ? vs(mb, 'MB peak RSS', `PGlite load of ${n}`, loadRss, '<= baseline + 400 MB')
          : proc.startsWith('worker') ? { value: mb, unit: 'MB peak RSS', goal: '< 400 MB' } : { value: mb, unit: 'MB peak RSS (reported)' };
        metrics[`${k}_rss_${proc}`] = m;
      }
      for (const [proc, seconds] of Object.entries(o.cpu ?? {})) metrics[`${k}_cpu_${proc}`] = { value: seconds, unit: 'CPU s (user + system)' };
    }
    const first = outcomes[0]!;
    const differing = outcomes.filter((o) => o.checksum.sha256 !== first.checksum.sha256);
    if (differing.length) throw new Error(`${n}: benefit-record checksums differ: ${outcomes.map((o) => `${o.label} ${o.checksum.rows} rows ${o.checksum.sha256.slice(0, 12)}`).join(', ')}`);
    metrics[`${n}_records_checksum`] = { value: first.checksum.rows, unit: `benefit records, same SHA-256 in all ${outcomes.length} runs (${first.checksum.sha256.slice(0, 12)})` };
    metrics[`${n}_calls`] = vs(first.calls.made, 'calls', 'naive per-employee calls', first.calls.naive);
  }
  if (bySize.has(50_000) && bySize.has(100_000)) {
    for (const label of ['embedded', 'distributed-1w', 'distributed-2w']) {
      const t50 = bySize.get(50_000)!.find((o) => o.label === label)?.seconds;
      const t100 = bySize.get(100_000)!.find((o) => o.label === label)?.seconds;
      if (t50 !== undefined && t100 !== undefined) metrics[`scaling_${label}_100k`] = vs(t100, 's', '50k run', t50, '<= 2.2x');
    }
  }
  return metrics;
};

export default bench;
