import type { Command } from 'commander';
import type { Database } from '../../engines/database/port.js';
import type { CycleRow } from '../../engines/database/repositories/cycles.js';
import { openOrchestrator } from '../../main/orchestration.js';
import { VendorflowError } from '../../shared/errors.js';
import { globalOptions, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';

const TERMINAL = new Set(['done', 'failed', 'cancelled']);

/** A run and its cycles as `cycle status` shows them: per stage, and the gather per batch. */
export async function describeCycle(db: Database, cycleId: string) {
  return db.unitOfWork(async (r) => {
    const cycle = await r.cycles.get(cycleId);
    if (!cycle) throw new VendorflowError('NOT_FOUND', `no cycle ${cycleId}`);
    const run = (await r.runs.get(cycle.runId))!;
    const batches = await r.runs.batches(run.runId, null, 1000);
    return {
      cycle: summariseCycle(cycle),
      run: { runId: run.runId, status: run.status, stage: run.stage, error: run.error,
        batches: { total: run.batchesTotal, done: run.batchesDone, failed: run.batchesFailed } },
      batches: batches.map((b) => ({ batchId: b.batchId, unit: `${b.location}/${b.department}#${b.part}`, employees: b.employees,
        status: b.status, attempts: b.attempts, owner: b.leaseOwner, error: b.error })),
    };
  });
}

function summariseCycle(c: CycleRow) {
  return { cycleId: c.cycleId, tenantId: c.tenantId, vendorId: c.vendorId, kind: c.kind, status: c.status, stage: c.stage,
    attempts: c.attempts, owner: c.leaseOwner, deadline: c.deadline?.toISOString() ?? null, sla: c.slaStatus,
    error: c.error, counters: c.counters, timings: c.timings };
}

/** Polls the rows (the same in embedded and distributed mode) until every cycle of the run is finished or awaiting. */
export async function waitForRun(db: Database, runId: string, err: NodeJS.WritableStream, quiet = false, pollMs = 250) {
  let last = '';
  for (;;) {
    const { run, cycles } = await db.unitOfWork(async (r) => ({ run: (await r.runs.get(runId))!, cycles: await r.cycles.byRun(runId) }));
    const line = `run ${run.status}/${run.stage} batches ${run.batchesDone}+${run.batchesFailed}/${run.batchesTotal}; ` +
      cycles.map((c) => `${c.vendorId} ${c.status}/${c.stage}`).join(', ');
    if (!quiet && line !== last) err.write(`  ${line}\n`);
    last = line;
    const settled = cycles.every((c) => TERMINAL.has(c.status) || c.status.startsWith('awaiting'));
    if (['blocked', 'failed', 'cancelled', 'done'].includes(run.status) && (run.status !== 'blocked' || settled) || (run.stage === 'cycles' && settled)) {
      return { runId, status: run.status, stage: run.stage, error: run.error,
        cycles: cycles.map((c) => ({ cycleId: c.cycleId, vendorId: c.vendorId, status: c.status, stage: c.stage, sla: c.slaStatus, error: c.error })) };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function registerCycle(program: Command, ctx: CliContext): void {
  const cycle = program.command('cycle').description('Inspect and steer one vendor cycle');
  const withPlatform = async (cmd: Command, fn: (p: Awaited<ReturnType<CliContext['openPlatform']>>, json: boolean) => Promise<void>) => {
    const g = globalOptions(cmd);
    const platform = await ctx.openPlatform(ctx.loadConfig(g.config));
    try { await fn(platform, Boolean(g.json)); } finally { await platform.close(); }
  };

  cycle.command('status <id>').description('Per stage and per batch, with progress')
    .action((id: string, _o: unknown, cmd: Command) => withPlatform(cmd, async (p, json) => {
      const s = await describeCycle(p.db, id);
      if (json) return printJson(ctx.out, s);
      const c = s.cycle;
      printTable(ctx.out, [
        ['cycle', `${c.cycleId} (${c.tenantId} / ${c.vendorId}, ${c.kind})`], ['status', `${c.status} at ${c.stage}`],
        ['attempts', c.attempts], ['sla', c.sla ?? '-'], ['deadline', c.deadline ?? '-'], ['error', c.error ?? '-'],
        ['run', `${s.run.runId} ${s.run.status}/${s.run.stage}`],
        ['batches', `${s.run.batches.done} done, ${s.run.batches.failed} failed of ${s.run.batches.total}`],
        ...Object.entries(c.timings).map(([k, v]) => [`  ${k}`, JSON.stringify(v)] as [string, string]),
      ]);
      for (const b of s.batches.filter((b) => b.status !== 'done').slice(0, 20)) {
        ctx.out.write(`  batch ${b.batchId} ${b.unit} ${b.status} attempts=${b.attempts}${b.error ? ` error=${b.error}` : ''}\n`);
      }
    }));
  cycle.command('resume <id>').description('Put a failed cycle back on its stage with fresh attempts')
    .action((id: string, _o: unknown, cmd: Command) => withPlatform(cmd, async (p, json) => {
      const c = await openOrchestrator(p).resumeCycle(id);
      if (json) printJson(ctx.out, summariseCycle(c));
      else ctx.out.write(`cycle ${id} resumed at ${c.stage} (${c.status}); workers will pick it up\n`);
    }));
  cycle.command('cancel <id>').description('Stop a cycle; running work commits nothing further')
    .action((id: string, _o: unknown, cmd: Command) => withPlatform(cmd, async (p, json) => {
      const c = await openOrchestrator(p).cancelCycle(id);
      if (json) printJson(ctx.out, summariseCycle(c));
      else ctx.out.write(`cycle ${id} cancelled at ${c.stage}\n`);
    }));
}
