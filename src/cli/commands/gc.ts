import type { Command } from 'commander';
import { runGarbageCollection } from '../../main/scheduling.js';
import { globalOptions, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';

export function registerGc(program: Command, ctx: CliContext): void {
  program.command('gc')
    .description('Remove expired spool files, archives, snapshots and row payloads (configuration section retention)')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .action(async (opts: { dryRun?: boolean }, cmd: Command) => {
      const g = globalOptions(cmd);
      const platform = await ctx.openPlatform(ctx.loadConfig(g.config));
      try {
        const report = await runGarbageCollection(platform, opts.dryRun === true);
        if (g.json) return printJson(ctx.out, report);
        const verb = report.dryRun ? 'would remove' : 'removed';
        for (const f of [...report.spool.removed, ...report.archives.removed]) ctx.out.write(`${verb} ${f.path} (${f.bytes} bytes)\n`);
        for (const runId of report.snapshots.runs) ctx.out.write(`${verb} snapshots of run ${runId}\n`);
        const bytes = (files: Array<{ bytes: number }>) => files.reduce((n, f) => n + f.bytes, 0);
        printTable(ctx.out, [
          [`spool files ${verb}`, `${report.spool.removed.length} (${bytes(report.spool.removed)} bytes)`],
          ['spool files kept for unfinished cycles', report.spool.keptForUnfinishedCycles],
          [`archive files ${verb}`, `${report.archives.removed.length} (${bytes(report.archives.removed)} bytes)`],
          [`snapshot rows ${verb}`, `${report.snapshots.rows} (${report.snapshots.runs.length} runs)`],
          [`row payloads ${verb}`, `${report.rowPayloads.rows} (${report.rowPayloads.files} files)`],
        ]);
      } finally {
        await platform.close();
      }
    });
}
