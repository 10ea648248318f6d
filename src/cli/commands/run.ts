import type { Command } from 'commander';
import { openOrchestrator, startWorking } from '../../main/orchestration.js';
import { VendorflowError } from '../../shared/errors.js';
import { globalOptions, printColumns, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';
import { waitForRun } from './cycle.js';

interface RunOptions { tenant: string; vendor: string[]; full?: boolean; change?: boolean; gather: string; wait?: boolean }

export function registerRun(program: Command, ctx: CliContext): void {
  const run = program.command('run')
    .description("Start a tenant's run: one gather, then a cycle per vendor")
    // Checked in the action: a required option here would also be demanded of `run retry-batch`.
    .option('--tenant <id>', 'tenant id (required)')
    .option('--vendor <id...>', 'vendor ids (repeatable)', [])
    .option('--full', 'send full files (default)')
    .option('--change', 'send change files')
    .option('--gather <mode>', 'batched | per-employee (the naive baseline)', 'batched')
    .option('--wait', 'with Redis: wait for the run here (embedded mode always runs it in this process)')
    .action(async (opts: RunOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      if (!opts.tenant) throw new VendorflowError('USAGE', 'name the tenant: --tenant <id>');
      if (opts.full && opts.change) throw new VendorflowError('USAGE', 'choose --full or --change, not both');
      if (opts.vendor.length === 0) throw new VendorflowError('USAGE', 'name at least one --vendor');
      if (!['batched', 'per-employee'].includes(opts.gather)) throw new VendorflowError('USAGE', `--gather: expected batched or per-employee, got "${opts.gather}"`);
      const platform = await ctx.openPlatform(ctx.loadConfig(g.config));
      try {
        const orchestrator = openOrchestrator(platform);
        // Embedded: this process runs the jobs, so its configuration must bind them (workers check their own).
        const embedded = platform.queue.kind === 'in-process';
        if (embedded) {
          try {
            orchestrator.preflight(opts.vendor);
          } catch (e) {
            await orchestrator.close();
            throw e;
          }
        }
        const { runId, cycleIds } = await orchestrator.startRun({
          tenantId: opts.tenant, vendorIds: opts.vendor, kind: opts.change ? 'change' : 'full',
          gatherMode: opts.gather as 'batched' | 'per-employee',
        });
        if (!g.json) ctx.err.write(`run ${runId} started: cycles ${cycleIds.join(', ')}\n`);
        // Embedded: nobody else will run the jobs. Distributed: workers do, unless asked to wait.
        let working: { stop(): Promise<void> } | null = null;
        if (embedded) working = await startWorking(platform, orchestrator, (e) => ctx.err.write(`reconciler: ${(e as Error).message}\n`));
        try {
          const result = embedded || opts.wait ? await waitForRun(platform.db, runId, ctx.err, g.json) : { runId, cycleIds, status: 'started' };
          if (g.json) printJson(ctx.out, result);
          else if ('cycles' in result) {
            printTable(ctx.out, [['run', result.runId], ['status', `${result.status} at ${result.stage}`], ...(result.error ? [['error', result.error] as [string, string]] : [])]);
            printColumns(ctx.out, ['cycle', 'vendor', 'status', 'stage', 'SLA', 'error'],
              result.cycles.map((c) => [c.cycleId, c.vendorId, c.status, c.stage, c.sla ?? '-', c.error ?? '-']));
          } else printTable(ctx.out, [['run', result.runId], ['status', 'started: workers run it'], ['cycles', result.cycleIds.join(', ')]]);
          if (result.status === 'failed' || result.status === 'blocked') process.exitCode = 1;
        } finally {
          await working?.stop();
          await orchestrator.close();
        }
      } finally {
        await platform.close();
      }
    });

  run.command('retry-batch <run> <unit>')
    .description('Gather one batch of a run again (batch id, or location/department)')
    .action(async (runId: string, unit: string, _o: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const platform = await ctx.openPlatform(ctx.loadConfig(g.config));
      try {
        const ids = await openOrchestrator(platform).retryBatch(runId, unit);
        if (g.json) printJson(ctx.out, { runId, batches: ids });
        else ctx.out.write(`re-queued ${ids.length} batch(es) of run ${runId}: ${ids.join(', ')}\n`);
      } finally {
        await platform.close();
      }
    });
}
