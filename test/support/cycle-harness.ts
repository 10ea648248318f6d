import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { enrolTenant, startDemoEnvironment, type DemoEnvironment } from '../../src/main/demo-environment.js';
import { openOrchestrator, startWorking } from '../../src/main/orchestration.js';
import { openPlatform, type Platform } from '../../src/main/platform.js';
import { benefitRecordsChecksum, summariseRun, watchRun, type RunProgress } from '../../src/main/run-report.js';
import { startSimulators } from '../../src/sim/start-simulators.js';
import { dropRedisPrefix } from './redis.js';
import { sshdVendorHost } from './sshd.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../../src/vendors/registry.js';

export const VENDORS = ['acme-medical', 'bright-dental', 'summit-life'];
const ROOT = new URL('../..', import.meta.url).pathname;

export interface Harness {
  home: string;
  env: DemoEnvironment;
  /** The configuration every process of this test uses (also written to `configFile`). */
  config: Config;
  configFile: string;
  close(): Promise<void>;
}

/**
 * The world a run needs, for tests: the simulators in this process (no latency), the demo vendor on
 * its own SFTP port, a temp home with a PII key file, and a config binding them — for the embedded
 * engines, or for PostgreSQL + Redis when `databaseUrl` / `redisUrl` are given.
 */
export async function startHarness(o: {
  employees: number; seed?: number; databaseUrl?: string; redisUrl?: string;
  cycles?: Partial<Config['cycles']>; queue?: Partial<Config['queue']>; responseWindowMs?: number; silent?: string[];
  /** The demo vendor's SFTP server: the embedded one (default) or a private OpenSSH sshd chrooted to its files. */
  vendorServer?: 'embedded' | 'sshd';
}): Promise<Harness> {
  const home = mkdtempSync(join(tmpdir(), 'vf-cycle-'));
  const keyFile = join(home, 'pii-test.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const specs = loadVendorRegistry(EXAMPLE_VENDOR_FILES).list();
  const env = await startDemoEnvironment({
    home, specs, employees: o.employees, seed: o.seed ?? 7, latencyMs: 0, vendorPollMs: 200, silent: o.silent ?? [],
    ...(o.vendorServer === 'sshd' ? { vendorHost: sshdVendorHost } : {}),
    startServices: async (s) => {
      const sims = await startSimulators({ employees: s.employees, seed: s.seed, knobs: { latencyMs: 0, jitterMs: 0 } });
      return { services: sims.services, stop: () => sims.stop() };
    },
  });
  const redisPrefix = o.redisUrl ? `vft${randomBytes(4).toString('hex')}` : undefined;
  const raw = {
    home,
    ...(o.databaseUrl ? { database: { url: o.databaseUrl, poolSize: 5 } } : {}),
    ...(o.redisUrl ? { redis: { url: o.redisUrl, keyPrefix: redisPrefix } } : {}),
    log: { level: 'warn' },
    security: { piiKey: `file:${keyFile}` },
    cycles: { leaseMs: 3000, reconcileIntervalMs: 300, pickupIntervalMs: 300, maxAttempts: 8, ...o.cycles },
    queue: { backoffMs: 100, maxBackoffMs: 1000, lockDurationMs: 2000, stalledIntervalMs: 1000, ...o.queue },
    pipeline: { ...env.pipeline, responseWindowMs: o.responseWindowMs ?? 120_000 },
    ssrf: env.ssrf,
  };
  const config = ConfigSchema.parse(raw);
  const configFile = join(home, 'vendorflow.yaml');
  writeFileSync(configFile, stringify(raw));
  return {
    home, env, config, configFile,
    async close() {
      await env.stop();
      // The shared Redis keeps this run's queue and cache keys otherwise (a private Redis dies with its test).
      if (o.redisUrl && redisPrefix) await dropRedisPrefix(redisPrefix, o.redisUrl).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface RunOutcome {
  runId: string;
  status: string;
  cycles: Array<{ vendorId: string; status: string; stage: string; sla: string | null; error: string | null }>;
  checksum: { rows: number; sha256: string };
  summary: Awaited<ReturnType<typeof summariseRun>>;
}

/** Starts a run on an open platform and follows it until every cycle settles (or `until`). */
export async function runAndWatch(platform: Platform, tenantId: string, opts: { work: boolean; vendors?: string[]; timeoutMs?: number; scheduledFor?: Date; until?: (p: RunProgress) => boolean }): Promise<RunOutcome> {
  const vendors = opts.vendors ?? VENDORS;
  await enrolTenant(platform.db, tenantId, loadVendorRegistry(EXAMPLE_VENDOR_FILES).list().filter((s) => vendors.includes(s.id)));
  const orchestrator = openOrchestrator(platform);
  const working = opts.work ? await startWorking(platform, orchestrator, () => undefined) : null;
  try {
    const { runId } = await orchestrator.startRun({ tenantId, vendorIds: vendors, kind: 'full', ...(opts.scheduledFor ? { scheduledFor: opts.scheduledFor } : {}) });
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    const { run, cycles } = await watchRun(platform.db, runId, { pollMs: 100, until: (p) => Date.now() > deadline || (opts.until?.(p) ?? false) });
    return {
      runId, status: run.status,
      cycles: cycles.map((c) => ({ vendorId: c.vendorId, status: c.status, stage: c.stage, sla: c.slaStatus, error: c.error })),
      checksum: await benefitRecordsChecksum(platform.db, tenantId, vendors),
      summary: await summariseRun(platform.db, runId),
    };
  } finally {
    await working?.stop();
    await orchestrator.close();
  }
}

/** A `vendorflow worker` process on the harness's config, with extra environment (crash hooks). */
export function spawnWorker(h: Harness, env: Record<string, string> = {}): ChildProcess & { exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin/vendorflow.js'), 'worker', '--config', h.configFile], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); if (stderr.length > 20_000) stderr = stderr.slice(-10_000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { exited, get stderr() { return stderr; } });
}

export { openPlatform };
