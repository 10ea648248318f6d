import { InvalidArgumentError, type Command } from 'commander';
import type { Database } from '../../engines/database/port.js';
import type { CycleRow, CycleStage, CycleStatus } from '../../engines/database/repositories/cycles.js';
import { openOrchestrator } from '../../main/orchestration.js';
import { incompleteReasons, readRunState } from '../../main/run-report.js';
import { VendorflowError } from '../../shared/errors.js';
import { identifier, wholeNumber } from '../args.js';
import { formatBytes, globalOptions, printColumns, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';

const TERMINAL = new Set(['done', 'failed', 'cancelled']);
const CYCLE_STATUSES: CycleStatus[] = ['pending', 'running', 'awaiting', 'awaiting-overdue', 'done', 'failed', 'cancelled'];

/** Commander collector for a repeatable `--status`: an unknown status stops with the list of known ones. */
function cycleStatus(value: string, previous: CycleStatus[]): CycleStatus[] {
  if (!CYCLE_STATUSES.includes(value as CycleStatus)) throw new InvalidArgumentError(`expected one of ${CYCLE_STATUSES.join(', ')}, got "${value}"`);
  return [...previous, value as CycleStatus];
}

/** A run and its cycles as `cycle status` shows them: per stage, and the gather per batch. */
export async function describeCycle(db: Database, cycleId: string) {
  return db.unitOfWork(async (r) => {
    const cycle = await r.cycles.get(cycleId);
    if (!cycle) throw new VendorflowError('NOT_FOUND', `no cycle ${cycleId}`);
    const run = (await r.runs.get(cycle.runId))!;
    const batches = await r.runs.batches(run.runId, null, 1000);
    const employees = await r.gather.snapshotCounts(run.runId);
    return {
      cycle: summariseCycle(cycle),
      run: { runId: run.runId, status: run.status, stage: run.stage, error: run.error,
        batches: { total: run.batchesTotal, done: run.batchesDone, failed: run.batchesFailed },
        // Employees gathered, and why the others could not be (what a vendor file would lack).
        employees },
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
    const { run, cycles } = await readRunState(db, runId);
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

  cycle.command('list').description('Recent cycles, newest first, with their stage and SLA')
    .option('--tenant <id>', 'only this tenant', identifier)
    .option('--vendor <id>', 'only this vendor', identifier)
    .option('--status <status>', `only these statuses (repeatable: ${CYCLE_STATUSES.join(', ')})`, cycleStatus, [] as CycleStatus[])
    .option('--limit <n>', 'at most this many', wholeNumber({ min: 1, max: 10_000 }), 20)
    .action((o: { tenant?: string; vendor?: string; status: CycleStatus[]; limit: number }, cmd: Command) => withPlatform(cmd, async (p, json) => {
      const rows = await p.db.unitOfWork((r) => r.cycles.list({ tenantId: o.tenant, vendorId: o.vendor, statuses: o.status, limit: o.limit }));
      if (json) return printJson(ctx.out, rows.map(summariseCycle));
      if (!rows.length) return void ctx.out.write('no cycles match\n');
      printColumns(ctx.out, ['cycle', 'tenant', 'vendor', 'kind', 'status', 'stage', 'sla', 'created', 'error'], rows.map((c) => [
        c.cycleId, c.tenantId, c.vendorId, c.kind, c.status, c.stage, c.slaStatus ?? '-', c.createdAt.toISOString().slice(0, 19).replace('T', ' '),
        c.error ? c.error.slice(0, 60) : '-',
      ]));
    }));
  cycle.command('status <id>').description('Per stage and per batch, with progress')
    .action((id: string, _o: unknown, cmd: Command) => withPlatform(cmd, async (p, json) => {
      const s = await describeCycle(p.db, id);
      if (json) return printJson(ctx.out, s);
      printCycleStatus(ctx.out, s);
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

const STAGES: CycleStage[] = ['generate', 'deliver', 'await', 'ingest', 'apply', 'reconcile'];

/** The human view: the cycle, its stages in pipeline order with their figures, the batches not done. */
function printCycleStatus(out: NodeJS.WritableStream, s: Awaited<ReturnType<typeof describeCycle>>): void {
  const c = s.cycle;
  const b = s.run.batches;
  printTable(out, [
    ['cycle', `${c.cycleId} (${c.tenantId} / ${c.vendorId}, ${c.kind})`],
    ['status', c.stage === 'done' || TERMINAL.has(c.status) ? c.status : `${c.status} at ${c.stage}`],
    ['sla', `${c.sla ?? 'pending'}${c.deadline ? ` (deadline ${c.deadline})` : ''}`],
    ['run', `${s.run.runId} ${s.run.status}; gather ${b.done} of ${b.total} batches done${b.failed ? `, ${b.failed} failed` : ''}`],
    ...(s.run.employees.incomplete ? [['incomplete', `${s.run.employees.incomplete} of ${s.run.employees.complete + s.run.employees.incomplete} employees not gathered: ${incompleteReasons(s.run.employees.reasons)}`] as [string, string]] : []),
    ...(c.error ? [['error', c.error] as [string, string]] : []),
  ]);
  out.write('\n');
  const at = STAGES.indexOf(c.stage as CycleStage);
  printColumns(out, ['stage', 'state', 'started', 'seconds', 'peak RSS MB', 'figures'], STAGES.map((stage, i) => {
    const t = (c.timings as Record<string, { ms?: number; rssMb?: number; startedAt?: string } | undefined>)[stage];
    const state = c.stage === 'done' || (at >= 0 && i < at) ? 'done' : i === at ? c.status : c.status === 'cancelled' ? '-' : 'pending';
    return [stage, state, t?.startedAt ? t.startedAt.slice(11, 19) : '-', t?.ms === undefined ? '-' : Number((t.ms / 1000).toFixed(1)),
      t?.rssMb ?? '-', stageFigures(stage, c.counters, c.timings)];
  }));
  const open = s.batches.filter((x) => x.status !== 'done');
  if (open.length) {
    out.write(`\n  gather batches not done (${open.length}${open.length > 20 ? ', first 20' : ''}):\n`);
    printColumns(out, ['batch', 'unit', 'employees', 'status', 'attempts', 'owner', 'error'],
      open.slice(0, 20).map((x) => [x.batchId, x.unit, x.employees, x.status, x.attempts, x.owner ?? '-', x.error ?? '-']));
  }
}

/** A stage's counters in a line: counts and short facts; paths and ids are in `--json`. */
function stageFigures(stage: string, counters: Record<string, unknown>, timings: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(counters)) {
    if (!key.startsWith(`${stage}.`) || value === null) continue;
    const name = key.slice(stage.length + 1);
    if (typeof value === 'number') parts.push(name === 'bytes' || name === 'bytesSent' ? `${name} ${formatBytes(value)}` : `${name} ${value}`);
    else if (typeof value === 'boolean') parts.push(`${name} ${value ? 'yes' : 'no'}`);
    else if (typeof value === 'string' && value.length <= 24 && !value.includes('/')) parts.push(`${name} ${value}`);
  }
  if (stage === 'await' && typeof timings.responseAt === 'string') parts.push(`response at ${timings.responseAt.slice(11, 19)}`);
  return parts.join(', ') || '-';
}
