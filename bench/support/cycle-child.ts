/**
 * One embedded run in its own process (so its peak RSS is its own): PGlite under the config's home,
 * the in-process runner, every stage in this process. Prints one JSON line: seconds, stage times,
 * the run summary, the benefit-record checksum and this process's peak RSS.
 */
import { loadConfig } from '../../src/config/load-config.js';
import { enrolTenant } from '../../src/main/demo-environment.js';
import { openOrchestrator, startWorking } from '../../src/main/orchestration.js';
import { openPlatform } from '../../src/main/platform.js';
import { benefitRecordsChecksum, summariseRun, watchRun } from '../../src/main/run-report.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../../src/vendors/registry.js';

const [configFile, tenantId, scheduledFor] = process.argv.slice(2) as [string, string, string];
const platform = await openPlatform(loadConfig({ env: {}, file: configFile }));
const orchestrator = openOrchestrator(platform);
try {
  const specs = loadVendorRegistry(platform.config.pipeline.vendorSpecs ?? EXAMPLE_VENDOR_FILES).list();
  await enrolTenant(platform.db, tenantId, specs);
  const working = await startWorking(platform, orchestrator, (e) => process.stderr.write(`reconciler: ${(e as Error).message}\n`));
  const t0 = performance.now();
  const { runId } = await orchestrator.startRun({ tenantId, vendorIds: specs.map((s) => s.id), kind: 'full', scheduledFor: new Date(scheduledFor) });
  const watched = await watchRun(platform.db, runId, { pollMs: 100 });
  const seconds = (performance.now() - t0) / 1000;
  await working.stop();
  const summary = await summariseRun(platform.db, runId);
  const checksum = await benefitRecordsChecksum(platform.db, tenantId, specs.map((s) => s.id));
  process.stdout.write(`${JSON.stringify({ seconds, stages: watched.stages, summary, checksum, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
} finally {
  await orchestrator.close();
  await platform.close();
}
