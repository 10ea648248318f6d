import type { Command } from 'commander';
import { loadEmployees } from '../../pipeline/load-employees.js';
import { generateEmployees } from '../../sim/enterprise.js';
import { identifier, wholeNumber } from '../args.js';
import { globalOptions, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';
import { createProgress } from '../progress.js';

export function registerDemo(program: Command, ctx: CliContext): void {
  program.command('demo')
    .description('Run the main job on the embedded engines with zero set-up: a synthetic tenant end to end')
    .option('--employees <n>', 'employees in the synthetic tenant', wholeNumber({ min: 1, max: 1_000_000 }), 5000)
    .option('--seed <n>', 'seed of the synthetic enterprise', wholeNumber(), 42)
    .option('--tenant <id>', 'tenant id', identifier, 'demo')
    .action(async (opts: { employees: number; seed: number; tenant: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const { employees, seed } = opts;
      const config = ctx.loadConfig(g.config);
      const platform = await ctx.openPlatform(config);
      const started = performance.now();
      try {
        await platform.db.unitOfWork((r) => r.tenants.ensure({ tenantId: opts.tenant, name: `Demo tenant ${opts.tenant}` }));
        const progress = createProgress(ctx.err, g.json);
        progress.start('load', employees);
        const loaded = await loadEmployees({
          db: platform.db, pii: platform.pii, tenantId: opts.tenant,
          employees: generateEmployees({ seed, employees }), onProgress: (n) => progress.update(n),
        });
        progress.stop();
        const total = await platform.db.unitOfWork((r) => r.employees.count(opts.tenant));
        const summary = {
          tenant: opts.tenant, engine: platform.db.engine, employeesLoaded: loaded, employeesInTenant: total,
          seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
          peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        };
        if (g.json) printJson(ctx.out, summary);
        else {
          ctx.out.write('vendorflow demo\n');
          printTable(ctx.out, Object.entries(summary));
        }
      } finally {
        await platform.close();
      }
    });
}
