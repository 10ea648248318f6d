import type { Command } from 'commander';
import { loadEmployees } from '../../pipeline/load-employees.js';
import { generateEmployees } from '../../sim/enterprise.js';
import { VendorflowError } from '../../shared/errors.js';
import { globalOptions, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';
import { createProgress } from '../progress.js';

export function registerDemo(program: Command, ctx: CliContext): void {
  program.command('demo')
    .description('Run the main job on the embedded engines with zero set-up: a synthetic tenant end to end')
    .option('--employees <n>', 'employees in the synthetic tenant', '5000')
    .option('--seed <n>', 'seed of the synthetic enterprise', '42')
    .option('--tenant <id>', 'tenant id', 'demo')
    .action(async (opts: { employees: string; seed: string; tenant: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const employees = positiveInt(opts.employees, '--employees');
      const seed = positiveInt(opts.seed, '--seed');
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

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new VendorflowError('USAGE', `${flag}: expected a positive whole number, got "${value}"`);
  return n;
}
