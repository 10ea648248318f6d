import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Orchestrator } from '../pipeline/run-cycle.js';
import { collectGarbage, type GcReport } from '../pipeline/retention/collect-garbage.js';
import { createScheduler, type ScheduleEvent } from '../pipeline/schedule/scheduler.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../vendors/registry.js';
import type { Platform } from './platform.js';

/**
 * Makes this process a scheduler candidate (workers and the all-in-one process): it fires vendor
 * schedules while it holds the scheduler lock and stands by otherwise. Off with `schedule.enabled: false`.
 */
export function startScheduling(platform: Platform, orchestrator: Orchestrator, log: (line: string) => void): { stop(): Promise<void> } {
  const { config } = platform;
  if (!config.schedule.enabled) return { stop: async () => {} };
  const vendors = loadVendorRegistry(config.pipeline.vendorSpecs ?? EXAMPLE_VENDOR_FILES).list();
  const scheduler = createScheduler({
    db: platform.db, vendors: () => vendors, tickMs: config.schedule.tickMs,
    startRun: (req) => orchestrator.startRun(req), onEvent: (e) => log(describeEvent(e)),
  });
  scheduler.start();
  return { stop: () => scheduler.stop() };
}

function describeEvent(e: ScheduleEvent): string {
  switch (e.kind) {
    case 'lock-acquired': return `scheduler: active in process ${process.pid}`;
    case 'lock-lost': return `scheduler: lock lost in process ${process.pid}; standing by`;
    case 'first-start': return 'scheduler: first start; fires from now on';
    case 'fired': return `scheduler: run ${e.runId} for tenant ${e.tenantId} (${e.vendorIds.join(', ')}) scheduled for ${e.scheduledFor.toISOString()}`;
    case 'skipped': return `scheduler: tenant ${e.tenantId} vendor ${e.vendorId} at ${e.scheduledFor.toISOString()} skipped: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`;
    case 'error': return `scheduler: ${e.tenantId ? `tenant ${e.tenantId}: ` : ''}${(e.error as Error)?.message ?? String(e.error)}`;
  }
}

/** The folders retention works on, from configuration (the same spool the stages write to). */
export function retentionDirs(config: Config): { spoolDir: string; archiveDirs: string[] } {
  const home = resolve(config.home);
  return {
    spoolDir: resolve(config.pipeline.spoolDir ?? join(home, 'spool')),
    archiveDirs: [join(home, 'archive'), ...config.retention.archiveDirs.map((d) => resolve(d))],
  };
}

export function runGarbageCollection(platform: Platform, dryRun: boolean): Promise<GcReport> {
  return collectGarbage({ db: platform.db, ...retentionDirs(platform.config), policy: platform.config.retention, dryRun });
}
