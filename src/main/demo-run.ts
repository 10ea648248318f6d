import { createProgress } from '../cli/progress.js';
import { openOrchestrator, startWorking } from './orchestration.js';
import type { Platform } from './platform.js';
import { processRssMb, REPORT_STAGES, summariseRun, watchRun, type RunSummary } from './run-report.js';

export interface DemoReport extends RunSummary {
  seconds: number;
  engines: { database: string; queue: string };
  stages: Array<{ stage: string; seconds: number; peakRssMb: number }>;
  processes: Array<{ name: string; pid: number; peakRssMb: number }>;
  /** Commands worth running after the demo, each with what it is for. */
  next: Array<{ command: string; purpose: string }>;
}

const CYCLE_STEPS = ['generate', 'deliver', 'await', 'ingest', 'apply', 'reconcile', 'done'];

/**
 * One run for a tenant and its vendors, worked in this process (and by any `vendorflow worker`
 * sharing the same Redis and PostgreSQL), followed from the rows with progress per stage, then
 * summarised. In embedded mode nothing else can hold the database, so cycles left in flight by an
 * interrupted earlier demo are cancelled first (otherwise the new cycles would be refused).
 */
export async function runDemo(o: {
  platform: Platform; tenantId: string; vendorIds: string[]; err: NodeJS.WritableStream; quiet: boolean; simulatorsPid: number | null;
  /** On PostgreSQL + Redis: a config file with the demo's services and vendor, for workers that join. */
  workerConfigFile?: string;
}): Promise<DemoReport> {
  const { platform } = o;
  const say = (line: string) => { if (!o.quiet) o.err.write(`${line}\n`); };
  const orchestrator = openOrchestrator(platform);
  try {
    if (platform.db.engine === 'pglite') {
      for (const vendorId of o.vendorIds) {
        const stale = await platform.db.unitOfWork((r) => r.cycles.inFlight(o.tenantId, vendorId));
        if (stale) {
          await orchestrator.cancelCycle(stale.cycleId);
          say(`  cancelled cycle ${stale.cycleId} (${vendorId}) left in flight by an earlier, interrupted demo`);
        }
      }
    }
    const working = await startWorking(platform, orchestrator, (e) => say(`  reconciler: ${(e as Error).message}`));
    const started = performance.now();
    try {
      const { runId } = await orchestrator.startRun({ tenantId: o.tenantId, vendorIds: o.vendorIds, kind: 'full' });
      say(`  run ${runId} started`);
      const bar = createProgress(o.err as NodeJS.WritableStream & { isTTY?: boolean }, o.quiet);
      let shown = '';
      const seen = new Set<string>();
      const watched = await watchRun(platform.db, runId, {
        pids: o.simulatorsPid ? [o.simulatorsPid] : [],
        onProgress: ({ run, cycles }) => {
          // One bar for the gather (batches), one for the cycles (stages passed, all vendors).
          const phase = run.stage === 'cycles' ? 'cycles' : run.stage;
          if (phase !== shown) {
            bar.stop();
            shown = phase;
            if (phase === 'gather') bar.start('gather', Math.max(run.batchesTotal, 1));
            if (phase === 'cycles') bar.start('cycles', cycles.length * (CYCLE_STEPS.length - 1));
          }
          if (phase === 'gather') bar.update(run.batchesDone + run.batchesFailed);
          if (phase === 'cycles') bar.update(cycles.reduce((n, c) => n + Math.max(0, CYCLE_STEPS.indexOf(c.stage)), 0));
          for (const c of cycles) {
            const key = `${c.vendorId}:${c.stage}:${c.status}`;
            if (run.stage === 'cycles' && !seen.has(key) && (c.status === 'failed' || c.status === 'awaiting-overdue')) {
              seen.add(key);
              say(`\n  ${c.vendorId}: ${c.status} at ${c.stage}${c.error ? `: ${c.error}` : ''}`);
            }
          }
        },
      });
      bar.stop();
      const seconds = (performance.now() - started) / 1000;
      const summary = await summariseRun(platform.db, runId);
      const processes = [{ name: 'vendorflow (platform + in-process jobs)', pid: process.pid, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }];
      if (o.simulatorsPid) {
        processes.push({ name: 'simulators (child process)', pid: o.simulatorsPid, peakRssMb: Math.max(processRssMb(o.simulatorsPid, 'VmHWM'), watched.peakRssMb[String(o.simulatorsPid)] ?? 0) });
      }
      const anyCycle = summary.vendors[0]?.cycleId ?? '<cycle>';
      return {
        ...summary, seconds: Number(seconds.toFixed(1)),
        engines: { database: platform.db.engine, queue: platform.queue.kind },
        stages: REPORT_STAGES.map((s) => {
          const w = watched.stages[s];
          return { stage: s, seconds: w.startedMs === null ? 0 : Number((((w.endedMs ?? w.startedMs) - w.startedMs) / 1000).toFixed(1)), peakRssMb: w.peakRssMb };
        }),
        processes,
        next: [
          { command: `npx vendorflow cycle status ${anyCycle}`, purpose: `one cycle (${summary.vendors[0]?.vendorId ?? 'a vendor'}) stage by stage, and its gather batches` },
          ...(summary.employees < 50_000 ? [{ command: 'npx vendorflow demo --employees 50000', purpose: 'the full-size demo' }] : []),
          { command: 'npx vendorflow demo --json', purpose: 'the same summary, machine-readable' },
          ...(platform.queue.kind === 'in-process'
            // A distributed deployment must be given the key that seals employee data (embedded mode keeps one under its home).
            ? [{ command: 'DATABASE_URL=postgres://... REDIS_URL=redis://... VENDORFLOW_PII_KEY=env:PII_KEY npx vendorflow demo', purpose: 'the same on PostgreSQL and Redis, where workers can join (PII_KEY: 32 random bytes, base64)' }]
            : []),
          { command: 'npm run bench -- cycle --quick', purpose: 'end-to-end benchmark, embedded and distributed' },
        ],
      };
    } finally {
      await working.stop();
    }
  } finally {
    await orchestrator.close();
  }
}
