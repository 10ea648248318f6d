import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { enrolTenant, startDemoEnvironment } from '../../main/demo-environment.js';
import { runDemo, type DemoReport } from '../../main/demo-run.js';
import { spawnSimulators } from '../../sim/index.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../../vendors/registry.js';
import { identifier, wholeNumber } from '../args.js';
import { formatBytes, globalOptions, printColumns, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';

/**
 * 5,000 employees finish in about a minute on two cores (npm start); the full-size demo is
 * `--employees 50000`.
 */
export const DEMO_EMPLOYEES = 5000;

interface DemoOptions { employees: number; seed: number; tenant: string; latency: number; vendor?: string[] }

export function registerDemo(program: Command, ctx: CliContext): void {
  program.command('demo')
    .description('The main job with zero set-up: a synthetic tenant gathered once, then a full cycle for each example vendor')
    .option('--employees <n>', `employees in the synthetic tenant (${DEMO_EMPLOYEES}; the full demo is 50000)`, wholeNumber({ min: 1, max: 1_000_000 }), DEMO_EMPLOYEES)
    .option('--latency <ms>', 'simulated latency of every internal-service call', wholeNumber({ min: 0, max: 60_000 }), 100)
    .option('--seed <n>', 'seed of the synthetic enterprise and the vendor answers', wholeNumber(), 42)
    .option('--tenant <id>', 'tenant id', identifier, 'demo')
    .option('--vendor <id...>', 'vendors (default: the three example vendors)')
    .action(async (opts: DemoOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const base = ctx.loadConfig(g.config);
      const registry = loadVendorRegistry(base.pipeline.vendorSpecs ?? EXAMPLE_VENDOR_FILES);
      const specs = opts.vendor?.length ? opts.vendor.map((v) => registry.get(v)) : registry.list();
      const say = (line: string) => { if (!g.json) ctx.err.write(`${line}\n`); };
      say(`vendorflow demo: ${opts.employees} employees, ${specs.length} vendors, simulated latency ${opts.latency} ms`);
      // The platform first: a bad database URL, an unreachable Redis or a wrong PII key stops the demo
      // before any simulator or SFTP server starts.
      const platform = await ctx.openPlatform({
        ...base,
        // The demo vendor answers within a second or two: poll its inbox accordingly.
        cycles: { ...base.cycles, pickupIntervalMs: Math.min(base.cycles.pickupIntervalMs, 1000), reconcileIntervalMs: Math.min(base.cycles.reconcileIntervalMs, 1000) },
      });
      // Platform sessions close before the demo vendor's server does (a peer vanishing under an open
      // SFTP session is what a shutdown should not have to wait out).
      let open = true;
      const closePlatform = async () => { if (open) { open = false; await platform.close(); } };
      try {
        const env = await startDemoEnvironment({
          home: base.home, specs, employees: opts.employees, seed: opts.seed, latencyMs: opts.latency,
          startServices: (o) => spawnSimulators({ employees: o.employees, seed: o.seed, knobs: { latencyMs: o.latencyMs, jitterMs: Math.round(o.latencyMs / 5) } }),
        });
        // Interrupted (Ctrl-C, or a signal to this process alone): the simulators' child and the SFTP
        // server go with us, and the database is closed cleanly if that is quick.
        const interrupted = (signal: NodeJS.Signals) => {
          ctx.err.write(`vendorflow demo: ${signal}: stopping\n`);
          setTimeout(() => process.exit(signal === 'SIGINT' ? 130 : 143), 10_000).unref();
          void closePlatform().catch(() => undefined).then(() => env.stop()).catch(() => undefined)
            .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
        };
        process.once('SIGINT', interrupted);
        process.once('SIGTERM', interrupted);
        try {
          const endpoint = Object.values(env.pipeline.vendorEndpoints)[0];
          say(`  simulators (pid ${env.services.pid ?? '-'}) and the demo vendor (sftp://${endpoint?.host}:${endpoint?.port}, host key ${endpoint?.hostKeyFingerprint}) are up`);
          const bound = {
            ...platform,
            config: {
              ...platform.config,
              pipeline: { ...base.pipeline, ...env.pipeline, responseWindowMs: base.pipeline.responseWindowMs ?? 15 * 60_000 },
              ssrf: { ...base.ssrf, resolverHosts: base.ssrf.resolverHosts ?? env.ssrf.resolverHosts },
            },
          };
          await enrolTenant(platform.db, opts.tenant, specs);
          // Workers that join take the demo's jobs, so they need this demo's simulators and vendor
          // (free ports, chosen now): the file holds them for as long as the demo runs.
          if (platform.queue.kind === 'bullmq') {
            const workerConfig = resolve(base.home, 'demo', 'worker.yaml');
            writeFileSync(workerConfig, stringify({ home: resolve(base.home), pipeline: bound.config.pipeline, ssrf: bound.config.ssrf }), { mode: 0o600 });
            say(`  workers may join while this demo runs (same DATABASE_URL, REDIS_URL, VENDORFLOW_PII_KEY): npx vendorflow worker --config ${workerConfig}`);
          }
          const report = await runDemo({
            platform: bound, tenantId: opts.tenant, vendorIds: specs.map((s) => s.id), err: ctx.err, quiet: g.json === true,
            simulatorsPid: env.services.pid ?? null,
          });
          if (g.json) printJson(ctx.out, report);
          else printReport(ctx.out, report);
          if (report.status !== 'done') process.exitCode = 1;
          // The summary is out: a shutdown step stuck on a peer (an SFTP session, a child) must not hold
          // the terminal. The timer is unref'd, so a clean shutdown exits at once without it.
          setTimeout(() => {
            ctx.err.write('vendorflow demo: shutdown took over 15 s; exiting\n');
            process.exit(process.exitCode ?? 0);
          }, 15_000).unref();
        } finally {
          process.off('SIGINT', interrupted);
          process.off('SIGTERM', interrupted);
          await closePlatform();
          await env.stop();
        }
      } finally {
        await closePlatform();
      }
    });
}

function printReport(out: NodeJS.WritableStream, r: DemoReport): void {
  const w = (s = '') => out.write(`${s}\n`);
  const table = (head: string[], rows: Array<Array<string | number>>) => printColumns(out, head, rows);
  w();
  w(`vendorflow demo — run ${r.runId} for tenant ${r.tenantId}: ${r.status} in ${r.seconds} s (${r.engines.database}, ${r.engines.queue} queue)`);
  w();
  w(`Gather: ${r.employees} employees (${r.incomplete} incomplete), ${r.calls.made} internal calls made vs ${r.calls.naive} naive per-employee calls` +
    (r.calls.ratio ? ` (${r.calls.ratio}× fewer)` : ''));
  w();
  table(['vendor', 'status', 'file', 'size', 'records', 'transfer', 'received', 'applied', 'rejected', 'conflicted', 'skipped', 'SLA'],
    r.vendors.map((v) => [v.vendorId, v.response.quarantined ? 'quarantined' : v.status, v.file.name ?? '-', formatBytes(v.file.bytes), v.file.records,
      formatRate(v.file.bytes, v.transfer.seconds), v.response.received, v.response.applied + v.response.merged,
      v.response.rejected, v.response.conflicted, v.response.skipped, v.sla ?? '-']));
  w();
  const quarantined = r.vendors.filter((x) => x.response.quarantined);
  for (const v of quarantined) w(`  ${v.vendorId}: response quarantined, nothing applied — ${v.response.quarantined}`);
  if (quarantined.length) w();
  table(['stage', 'seconds', 'peak RSS MB'], r.stages.map((s) => [s.stage, s.seconds, s.peakRssMb]));
  w();
  table(['process', 'peak RSS MB'], r.processes.map((p) => [p.name, p.peakRssMb]));
  w();
  w('Next:');
  printTable(out, r.next.map((n) => [n.command, n.purpose]));
}

/** A transfer's rate in the unit that reads best (a small file moves in KB/s, not "0 MB/s"). */
function formatRate(bytes: number, seconds: number): string {
  if (!(seconds > 0) || bytes === 0) return '-';
  return `${formatBytes(Math.round(bytes / seconds))}/s`;
}
