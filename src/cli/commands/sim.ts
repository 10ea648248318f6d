import type { Command } from 'commander';
import { z } from 'zod';
import { VendorflowError } from '../../shared/errors.js';
import { KnobsPatch, SERVICE_NAMES, type ServiceName } from '../../sim/knobs.js';
import { DEFAULT_EMPLOYEES, DEFAULT_SEED, startSimulators, type SimulatorOptions } from '../../sim/start-simulators.js';
import { globalOptions, printTable } from '../output.js';
import type { CliContext } from '../program.js';

interface SimStartOptions {
  employees: string; seed: string; asOf?: string; host: string; portBase: string; replicas: string;
  latency?: string; jitter?: string; errorRate?: string; rateLimit?: string; slowTailRate?: string;
  slowTailMs?: string; malformedRate?: string; outOfUnitRate?: string; down?: boolean; serviceKnobs?: string;
}

/** Needs only the output stream: `src/sim/sim-process.ts` runs it without loading the rest of the CLI. */
export function registerSim(program: Command, ctx: Pick<CliContext, 'out'>): void {
  const sim = program.command('sim').description('Internal-service simulators (HRIS, roles, payroll, elections, leave)');
  sim.command('start')
    .description('Serve the synthetic enterprise over HTTP until interrupted; see docs/simulators.md')
    .option('--employees <n>', 'employees in the synthetic enterprise', String(DEFAULT_EMPLOYEES))
    .option('--seed <n>', 'seed of the synthetic enterprise', String(DEFAULT_SEED))
    .option('--as-of <date>', 'day the data describes (YYYY-MM-DD)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port-base <p>', 'first port (0 = ephemeral ports)', '0')
    .option('--replicas <n>', 'replicas (ports) per service', '1')
    .option('--latency <ms>', 'latency per call (default 100)')
    .option('--jitter <ms>', 'latency jitter, ± (default 20)')
    .option('--error-rate <share>', 'share of calls answered 5xx')
    .option('--rate-limit <rps>', 'requests per second per service (0 = unlimited)')
    .option('--slow-tail-rate <share>', 'share of calls that wait --slow-tail-ms more')
    .option('--slow-tail-ms <ms>', 'extra wait of slow calls (default 2000)')
    .option('--malformed-rate <share>', 'share of records with a broken required field')
    .option('--out-of-unit-rate <share>', 'share of unit bulk responses carrying another unit\'s employee')
    .option('--down', 'start with every service answering 503')
    .option('--service-knobs <json>', 'per-service knobs, e.g. {"payroll":{"errorRate":0.1}}')
    .action(async (opts: SimStartOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const options = parseOptions(opts);
      const started = performance.now();
      const sims = await startSimulators(options);
      const ready = { services: sims.services, employees: sims.enterprise.size, seed: sims.enterprise.seed, pid: process.pid };
      if (g.json) ctx.out.write(`${JSON.stringify(ready)}\n`); // one line: spawnSimulators reads it
      else {
        ctx.out.write(`vendorflow simulators: ${ready.employees} employees, seed ${ready.seed}, ready in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
        printTable(ctx.out, SERVICE_NAMES.map((s) => [s, sims.services[s].join(' ')]));
        ctx.out.write('Ctrl-C to stop.\n');
      }
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await sims.stop();
    });
}

function num(value: string | undefined, flag: string, schema: z.ZodType<number>): number | undefined {
  if (value === undefined) return undefined;
  const n = schema.safeParse(Number(value));
  if (value.trim() === '' || !n.success) throw new VendorflowError('USAGE', `${flag}: invalid value "${value}"`);
  return n.data;
}

function parseOptions(o: SimStartOptions): SimulatorOptions {
  const whole = z.number().int().min(0);
  const positive = z.number().int().min(1);
  const share = z.number().min(0).max(1);
  const knobs: KnobsPatch = Object.fromEntries(Object.entries({
    latencyMs: num(o.latency, '--latency', whole), jitterMs: num(o.jitter, '--jitter', whole),
    errorRate: num(o.errorRate, '--error-rate', share), rateLimit: num(o.rateLimit, '--rate-limit', z.number().min(0)),
    slowTailRate: num(o.slowTailRate, '--slow-tail-rate', share), slowTailMs: num(o.slowTailMs, '--slow-tail-ms', whole),
    malformedRate: num(o.malformedRate, '--malformed-rate', share), outOfUnitRate: num(o.outOfUnitRate, '--out-of-unit-rate', share),
    down: o.down ? true : undefined,
  }).filter(([, v]) => v !== undefined));
  let serviceKnobs: Partial<Record<ServiceName, KnobsPatch>> | undefined;
  if (o.serviceKnobs) {
    let raw: unknown;
    try {
      raw = JSON.parse(o.serviceKnobs);
    } catch {
      throw new VendorflowError('USAGE', '--service-knobs: not JSON');
    }
    const parsed = z.partialRecord(z.enum(SERVICE_NAMES), KnobsPatch.strict()).safeParse(raw);
    if (!parsed.success) throw new VendorflowError('USAGE', `--service-knobs: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    serviceKnobs = parsed.data;
  }
  if (o.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.asOf)) throw new VendorflowError('USAGE', `--as-of: expected YYYY-MM-DD, got "${o.asOf}"`);
  return {
    employees: num(o.employees, '--employees', positive)!, seed: num(o.seed, '--seed', whole)!,
    host: o.host, portBase: num(o.portBase, '--port-base', z.number().int().min(0).max(65535))!,
    replicas: num(o.replicas, '--replicas', positive)!, knobs,
    ...(o.asOf ? { asOf: o.asOf } : {}), ...(serviceKnobs ? { serviceKnobs } : {}),
  };
}
