import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VendorflowError } from '../shared/errors.js';
import { SERVICE_NAMES, type KnobsPatch } from './knobs.js';
import type { ServiceUrls, SimulatorOptions } from './start-simulators.js';

export interface SpawnedSimulators {
  services: ServiceUrls;
  pid: number;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES = {
  lean: ['--import', 'tsx', fileURLToPath(new URL('./sim-process.ts', import.meta.url))],
  cli: [fileURLToPath(new URL('../../bin/vendorflow.js', import.meta.url))],
};
const READY_TIMEOUT_MS = 120_000;

const KNOB_FLAGS: Record<keyof KnobsPatch, string> = {
  latencyMs: '--latency', jitterMs: '--jitter', errorRate: '--error-rate', rateLimit: '--rate-limit',
  slowTailRate: '--slow-tail-rate', slowTailMs: '--slow-tail-ms', malformedRate: '--malformed-rate',
  outOfUnitRate: '--out-of-unit-rate', down: '--down',
};

/** The `vendorflow sim start` arguments for these options. */
export function simStartArgs(opts: SimulatorOptions): string[] {
  const args = ['sim', 'start', '--json'];
  const add = (flag: string, v: unknown) => { if (v !== undefined) args.push(flag, String(v)); };
  add('--employees', opts.employees);
  add('--seed', opts.seed);
  add('--as-of', opts.asOf);
  add('--host', opts.host);
  add('--port-base', opts.portBase);
  add('--replicas', opts.replicas);
  for (const [k, v] of Object.entries(opts.knobs ?? {})) {
    const flag = KNOB_FLAGS[k as keyof KnobsPatch];
    if (k === 'down') { if (v) args.push(flag); } else add(flag, v);
  }
  if (opts.serviceKnobs) add('--service-knobs', JSON.stringify(opts.serviceKnobs));
  return args;
}

/**
 * Runs the simulators as a child process (the `vendorflow sim start --json` command, through the lean
 * entry sim-process.ts), so their CPU and memory never share the caller's event loop; resolves once
 * every port listens. `entry: 'cli'` runs `bin/vendorflow.js sim start` itself.
 */
export async function spawnSimulators(opts: SimulatorOptions & { entry?: 'lean' | 'cli' } = {}): Promise<SpawnedSimulators> {
  const { entry = 'lean', ...simOpts } = opts;
  const child = spawn(process.execPath, [...ENTRIES[entry], ...simStartArgs(simOpts)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const services = await new Promise<ServiceUrls>((resolve, reject) => {
    let out = '';
    let settled = false;
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new VendorflowError('SERVICE_UNAVAILABLE', `simulators failed to start: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? code}`));
    child.once('error', (e) => fail(e.message));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0 || settled) return;
      try {
        const ready = JSON.parse(out.slice(0, nl)) as { services: ServiceUrls };
        if (!SERVICE_NAMES.every((s) => Array.isArray(ready.services?.[s]))) throw new Error('no service URLs');
        settled = true;
        clearTimeout(timer);
        resolve(ready.services);
      } catch (e) {
        fail(`unreadable ready line (${(e as Error).message})`);
      }
    });
  });

  return {
    services,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
